package aggregate

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"syscall"

	"github.com/emersion/go-smtp"

	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// ErrSTARTTLSNotOffered is the error an MTA returns, or wraps, when the
// receiving MX host did not list STARTTLS in its EHLO reply (RFC 3207 §4).
// ClassifyTLSError maps it to report.ResultSTARTTLSNotSupported with the
// reason code "starttls-not-offered" (RFC 8460 §4.3.1), as it maps the
// error github.com/emersion/go-smtp's DialStartTLS and NewClientStartTLS
// return for the same case, so an MTA using those need not look at the
// EHLO reply itself.
var ErrSTARTTLSNotOffered = errors.New("aggregate: server did not offer STARTTLS")

// ResultError is an error an MTA has already classified: typically
// returned from tls.Config.VerifyConnection by DANE or MTA-STS checks that
// crypto/tls cannot express (a TLSA mismatch is report.ResultTLSAInvalid).
// ClassifyTLSError returns its ResultType and ReasonCode unchanged.
type ResultError struct {
	// ResultType is the result-type to report. When empty, ClassifyTLSError
	// classifies Err instead.
	ResultType report.ResultType
	// ReasonCode is the failure-reason-code to report. When empty,
	// ClassifyTLSError uses the code it derives from Err.
	ReasonCode string
	// Err is the underlying error; it may be nil.
	Err error
}

// Error returns "aggregate: <result type>[ (<reason code>)][: <Err>]".
func (e *ResultError) Error() string {
	if e == nil {
		return "aggregate: unclassified failure"
	}
	var b strings.Builder
	b.WriteString("aggregate: ")
	if e.ResultType != "" {
		b.WriteString(string(e.ResultType))
	} else {
		b.WriteString("unclassified failure")
	}
	if e.ReasonCode != "" {
		b.WriteString(" (")
		b.WriteString(e.ReasonCode)
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *ResultError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// ClassifyTLSError maps an error from an outbound SMTP session's STARTTLS
// step — usually from (*tls.Conn).Handshake, x509.Certificate.Verify, the
// first read after the handshake, or go-smtp's DialStartTLS and
// NewClientStartTLS — to the result-type and the failure-reason-code of a
// report's failure-details (RFC 8460 §4.3, §4.4). A nil error was a
// successful session: it returns "" and "".
//
// The reason codes are this package's own, short and stable, so that
// reports from many sessions aggregate into one failure-details entry
// (RFC 8460 §4) and so that readers can match on them; Go's error texts
// carry times and names and change between releases. Each error below is
// looked up with errors.As and each sentinel with errors.Is, so Unwrap
// (one error or several, as errors.Join and fmt.Errorf with several %w
// make), Is and As methods are honoured: *tls.CertificateVerificationError,
// the caller's own fmt.Errorf("...: %w") wrappers and wrappers that only
// implement As are seen through. The crypto/x509 errors are values; a
// pointer to one counts as well. Checks run in the order of this table;
// the first that matches wins:
//
//	error                                          result-type                reason code
//	*ResultError                                   its ResultType             its ReasonCode
//	*policy.Error (MTA-STS and DANE evaluation):   its Failure:               its Code
//	  policy.FailureSTSFetch                       sts-policy-fetch-error
//	  policy.FailureSTSInvalid                     sts-policy-invalid
//	  policy.FailureSTSWebPKI                      sts-webpki-invalid
//	  policy.FailureTLSAInvalid                    tlsa-invalid
//	  policy.FailureDNSSECInvalid                  dnssec-invalid
//	  policy.FailureDANERequired                   dane-required
//	  another Failure                              validation-failure
//	ErrSTARTTLSNotOffered                          starttls-not-supported     starttls-not-offered
//	*smtp.SMTPError with code 454 (RFC 3207 §4:    starttls-not-supported     starttls-unavailable
//	  "TLS not available due to temporary reason")
//	x509.HostnameError                             certificate-host-mismatch  hostname-mismatch
//	x509.CertificateInvalidError, Expired:
//	  server certificate after NotAfter            certificate-expired        certificate-expired
//	  intermediate or root after NotAfter          certificate-expired        chain-certificate-expired
//	  server certificate before NotBefore          certificate-not-trusted    certificate-not-yet-valid
//	  intermediate or root before NotBefore        certificate-not-trusted    chain-certificate-not-yet-valid
//	x509.CertificateInvalidError, other reasons:   certificate-not-trusted
//	  NotAuthorizedToSign                                                     not-authorized-to-sign
//	  CANotAuthorizedForThisName                                              ca-not-authorized-for-name
//	  TooManyIntermediates                                                    too-many-intermediates
//	  IncompatibleUsage                                                       incompatible-usage
//	  NameMismatch                                                            issuer-name-mismatch
//	  NameConstraintsWithoutSANs                                              name-constraints-without-sans
//	  UnconstrainedName                                                       unconstrained-name
//	  TooManyConstraints                                                      too-many-constraints
//	  CANotAuthorizedForExtKeyUsage                                           ca-not-authorized-for-eku
//	  NoValidChains                                                           no-valid-chains
//	  a reason added to Go later                                              certificate-invalid-<n>
//	x509.UnknownAuthorityError:
//	  self-signed server certificate               certificate-not-trusted    self-signed-certificate
//	  chain ends in an untrusted self-signed root  certificate-not-trusted    self-signed-in-chain
//	  otherwise                                    certificate-not-trusted    unknown-authority
//	x509.ConstraintViolationError                  certificate-not-trusted    constraint-violation
//	x509.InsecureAlgorithmError                    certificate-not-trusted    insecure-algorithm
//	x509.UnhandledCriticalExtension                certificate-not-trusted    unhandled-critical-extension
//	x509.SystemRootsError                          validation-failure         system-roots-unavailable
//	tls.AlertError, or an alert received from the
//	  server ("remote error: tls: ...")            validation-failure         tls-alert-<name>
//	go-smtp's error for a server without STARTTLS  starttls-not-supported     starttls-not-offered
//	server chose a TLS version the client refuses  validation-failure         protocol-version
//	tls.RecordHeaderError (the peer is not
//	  speaking TLS)                                validation-failure         not-tls
//	*tls.ECHRejectionError                         validation-failure         ech-rejected
//	context.DeadlineExceeded,                      validation-failure         timeout
//	  os.ErrDeadlineExceeded, or the first
//	  net.Error in the tree reports Timeout
//	context.Canceled                               validation-failure         canceled
//	io.EOF, io.ErrUnexpectedEOF                    validation-failure         connection-closed
//	ECONNRESET, EPIPE, ECONNABORTED                validation-failure         connection-reset
//	anything else                                  validation-failure         handshake-error
//
// An empty ResultType or ReasonCode of a *ResultError is filled in from
// its Err, classified by this table. An empty Code of a *policy.Error is
// the code its Err gives, or, with no Err, the Failure's own name (such as
// dane-required). The codes of policy's evaluators are listed with
// policy.STSFetcher.Fetch, policy.MatchTLSA and policy.LookupTLSA; the
// failure's policy block (RFC 8460 §4.4) is its Policy field.
//
// Which certificate is the server's own is known from
// *tls.CertificateVerificationError; for a bare x509 error (the caller ran
// x509.Certificate.Verify itself) the certificate named in the error is
// taken to be the server's.
//
// <name> is the alert's name from the IANA "TLS Alerts" registry (RFC 8446
// §6) written with hyphens, for example tls-alert-handshake-failure,
// tls-alert-protocol-version or tls-alert-certificate-required (a server
// demanding a client certificate); an alert without a registered name is
// tls-alert-<number>.
//
// A server refusing every protocol version the client offers sends the
// protocol_version alert (tls-alert-protocol-version); the client-side
// protocol-version code is for a server that picks an older version the
// client was configured to refuse.
//
// A 454 reply is matched whichever command it answers; in the STARTTLS
// step only STARTTLS has it (AUTH, which also uses 454, comes after TLS).
// Other SMTP replies, such as a 554 greeting, are handshake-error.
//
// RFC 8460 §4.3.4 lets an MTA leave transient failures out of its report:
// the codes timeout, canceled, connection-closed and connection-reset are
// network conditions rather than TLS policy failures, and callers may
// choose not to record them.
//
// An error tree that errors.Is could not search safely — more than 64
// errors deep or more than 1024 in all (a wrapper that wraps itself), or
// holding a nil pointer, whose methods may panic — is handshake-error as a
// whole. ClassifyTLSError allocates once (the targets errors.As fills in),
// and more only if an As or Error method it calls does.
func ClassifyTLSError(err error) (report.ResultType, string) {
	if err == nil {
		return "", ""
	}
	return new(targets).classify(err, 0)
}

// targets holds one errors.As target of each type ClassifyTLSError looks
// for. errors.As makes its target escape to the heap, so ClassifyTLSError
// allocates the set once, not each target.
type targets struct {
	result       *ResultError
	policy       *policy.Error
	smtp         *smtp.SMTPError
	verification *tls.CertificateVerificationError
	hostname     x509.HostnameError
	hostnameP    *x509.HostnameError
	invalid      x509.CertificateInvalidError
	invalidP     *x509.CertificateInvalidError
	unknown      x509.UnknownAuthorityError
	unknownP     *x509.UnknownAuthorityError
	constraint   x509.ConstraintViolationError
	constraintP  *x509.ConstraintViolationError
	insecure     x509.InsecureAlgorithmError
	insecureP    *x509.InsecureAlgorithmError
	critical     x509.UnhandledCriticalExtension
	criticalP    *x509.UnhandledCriticalExtension
	roots        x509.SystemRootsError
	rootsP       *x509.SystemRootsError
	alert        tls.AlertError
	op           *net.OpError
	record       tls.RecordHeaderError
	ech          *tls.ECHRejectionError
	net          net.Error
}

// classify is ClassifyTLSError for a non-nil err; depth counts the
// *ResultError values whose Err is being classified, which As methods
// could nest without end.
func (t *targets) classify(err error, depth int) (report.ResultType, string) {
	if depth > maxDepth || !searchable(err) {
		return report.ResultValidationFailure, "handshake-error"
	}
	if asType(err, &t.result) && t.result != nil {
		re := t.result
		rt, code := re.ResultType, re.ReasonCode
		if rt == "" || code == "" {
			crt, ccode := report.ResultValidationFailure, "handshake-error"
			if re.Err != nil {
				crt, ccode = new(targets).classify(re.Err, depth+1)
			}
			if rt == "" {
				rt = crt
			}
			if code == "" {
				code = ccode
			}
		}
		return rt, code
	}

	if asType(err, &t.policy) && t.policy != nil {
		pe := t.policy
		code := pe.Code
		switch {
		case code != "":
		case pe.Err != nil:
			_, code = new(targets).classify(pe.Err, depth+1)
		case pe.Failure != "" && isCode(string(pe.Failure)):
			code = string(pe.Failure)
		default:
			code = "handshake-error"
		}
		return policyResult(pe.Failure), code
	}

	if errors.Is(err, ErrSTARTTLSNotOffered) {
		return report.ResultSTARTTLSNotSupported, "starttls-not-offered"
	}
	// RFC 3207 §4: 454 TLS not available due to temporary reason.
	if asType(err, &t.smtp) && t.smtp != nil && t.smtp.Code == 454 {
		return report.ResultSTARTTLSNotSupported, "starttls-unavailable"
	}

	if asValue(err, &t.hostname, &t.hostnameP) {
		return report.ResultCertificateHostMismatch, "hostname-mismatch"
	}
	if asValue(err, &t.invalid, &t.invalidP) {
		return t.classifyInvalid(err)
	}
	if asValue(err, &t.unknown, &t.unknownP) {
		switch {
		case !selfSigned(t.unknown.Cert):
			return report.ResultCertificateNotTrusted, "unknown-authority"
		case t.isLeaf(err, t.unknown.Cert):
			return report.ResultCertificateNotTrusted, "self-signed-certificate"
		}
		return report.ResultCertificateNotTrusted, "self-signed-in-chain"
	}
	if asValue(err, &t.constraint, &t.constraintP) {
		return report.ResultCertificateNotTrusted, "constraint-violation"
	}
	if asValue(err, &t.insecure, &t.insecureP) {
		return report.ResultCertificateNotTrusted, "insecure-algorithm"
	}
	if asValue(err, &t.critical, &t.criticalP) {
		return report.ResultCertificateNotTrusted, "unhandled-critical-extension"
	}
	if asValue(err, &t.roots, &t.rootsP) {
		// The sender could not evaluate trust at all: a local problem,
		// reported as the general failure (RFC 8460 §4.3.3).
		return report.ResultValidationFailure, "system-roots-unavailable"
	}

	// QUIC connections, and Go's wrapping of an alert it sent over QUIC.
	if asType(err, &t.alert) {
		return report.ResultValidationFailure, alertCode(uint8(t.alert))
	}
	switch fact, alert := t.opaque(err); fact {
	case factRemoteAlert:
		return report.ResultValidationFailure, alertCode(alert)
	case factNoSTARTTLS:
		return report.ResultSTARTTLSNotSupported, "starttls-not-offered"
	case factProtocolVersion:
		return report.ResultValidationFailure, "protocol-version"
	}

	if asType(err, &t.record) {
		return report.ResultValidationFailure, "not-tls"
	}
	if asType(err, &t.ech) && t.ech != nil {
		return report.ResultValidationFailure, "ech-rejected"
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return report.ResultValidationFailure, "timeout"
	}
	if errors.Is(err, context.Canceled) {
		return report.ResultValidationFailure, "canceled"
	}
	if asType(err, &t.net) && t.net != nil && !isNilPointer(t.net) && t.net.Timeout() {
		return report.ResultValidationFailure, "timeout"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return report.ResultValidationFailure, "connection-closed"
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return report.ResultValidationFailure, "connection-reset"
	}
	return report.ResultValidationFailure, "handshake-error"
}

// policyResult maps the failures of package policy's evaluators to the
// RFC 8460 §4.3.2 and §4.3.3 result types; one it does not know is
// validation-failure.
func policyResult(f policy.Failure) report.ResultType {
	switch f {
	case policy.FailureSTSFetch:
		return report.ResultSTSPolicyFetchError
	case policy.FailureSTSInvalid:
		return report.ResultSTSPolicyInvalid
	case policy.FailureSTSWebPKI:
		return report.ResultSTSWebPKIInvalid
	case policy.FailureTLSAInvalid:
		return report.ResultTLSAInvalid
	case policy.FailureDNSSECInvalid:
		return report.ResultDNSSECInvalid
	case policy.FailureDANERequired:
		return report.ResultDANERequired
	}
	return report.ResultValidationFailure
}

// isCode reports whether s is a short code of lower-case letters, digits
// and hyphens.
func isCode(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// asValue reports whether err's tree holds an E or a non-nil *E, as
// errors.As finds them, and leaves it in *v; p is scratch space. The
// crypto/x509 errors are values; callers sometimes wrap a pointer to one.
func asValue[E error, P interface {
	*E
	error
}](err error, v *E, p *P) bool {
	if asType(err, v) {
		return true
	}
	if asType(err, p) && *p != nil {
		*v = **p
		return true
	}
	return false
}

// asType is errors.As for a statically known target type: errors.AsType
// (Go 1.26) needs no reflection and lets target stay off the heap, so a
// classification does not allocate.
func asType[E error](err error, target *E) bool {
	v, ok := errors.AsType[E](err)
	if ok {
		*target = v
	}
	return ok
}

// Bounds on the error trees ClassifyTLSError searches.
const (
	maxDepth = 64
	maxNodes = 1024
)

// searchable reports whether errors.Is and errors.As can search err's tree
// without looping or panicking. They follow Unwrap without a bound, so a
// wrapper that wraps itself makes them loop forever, and they call the
// methods of every error in the tree, which for a nil pointer may
// dereference it. searchable visits what they visit — through the same
// Unwrap() error and Unwrap() []error methods; Is and As methods lead no
// further — and looks at nothing else.
func searchable(err error) bool {
	budget := maxNodes
	return searchableFrom(err, 0, &budget)
}

func searchableFrom(err error, depth int, budget *int) bool {
	for ; err != nil; depth++ {
		*budget--
		if depth >= maxDepth || *budget < 0 || isNilPointer(err) {
			return false
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if !searchableFrom(e, depth+1, budget) {
					return false
				}
			}
			return true
		default:
			return true
		}
	}
	return true
}

// isNilPointer reports whether err holds a nil pointer, whose methods may
// dereference it.
func isNilPointer(err error) bool {
	v := reflect.ValueOf(err)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// classifyInvalid maps the reasons of t.invalid, the first
// x509.CertificateInvalidError in err's tree.
func (t *targets) classifyInvalid(err error) (report.ResultType, string) {
	switch e := t.invalid; e.Reason {
	case x509.Expired:
		// RFC 8460 §4.3.1 certificate-expired means expired, so a
		// certificate that is not valid yet is a trust failure.
		prefix := ""
		if !t.isLeaf(err, e.Cert) {
			prefix = "chain-"
		}
		if fact, _ := t.opaque(err); fact == factNotYetValid {
			return report.ResultCertificateNotTrusted, prefix + "certificate-not-yet-valid"
		}
		return report.ResultCertificateExpired, prefix + "certificate-expired"
	case x509.NotAuthorizedToSign:
		return report.ResultCertificateNotTrusted, "not-authorized-to-sign"
	case x509.CANotAuthorizedForThisName:
		return report.ResultCertificateNotTrusted, "ca-not-authorized-for-name"
	case x509.TooManyIntermediates:
		return report.ResultCertificateNotTrusted, "too-many-intermediates"
	case x509.IncompatibleUsage:
		return report.ResultCertificateNotTrusted, "incompatible-usage"
	case x509.NameMismatch:
		return report.ResultCertificateNotTrusted, "issuer-name-mismatch"
	case x509.NameConstraintsWithoutSANs:
		return report.ResultCertificateNotTrusted, "name-constraints-without-sans"
	case x509.UnconstrainedName:
		return report.ResultCertificateNotTrusted, "unconstrained-name"
	case x509.TooManyConstraints:
		return report.ResultCertificateNotTrusted, "too-many-constraints"
	case x509.CANotAuthorizedForExtKeyUsage:
		return report.ResultCertificateNotTrusted, "ca-not-authorized-for-eku"
	case x509.NoValidChains:
		return report.ResultCertificateNotTrusted, "no-valid-chains"
	default:
		return report.ResultCertificateNotTrusted, "certificate-invalid-" + strconv.Itoa(int(e.Reason))
	}
}

// isLeaf reports whether c is the server's own certificate. crypto/x509
// names the certificate at fault, which may be an intermediate or a root;
// only a *tls.CertificateVerificationError in err's tree tells which one
// is the leaf. Without it (the caller ran x509.Certificate.Verify itself)
// c is taken to be the leaf.
func (t *targets) isLeaf(err error, c *x509.Certificate) bool {
	if c == nil || !asType(err, &t.verification) || t.verification == nil {
		return true
	}
	certs := t.verification.UnverifiedCertificates
	if len(certs) == 0 {
		return true
	}
	return certs[0] == c || certs[0] != nil && certs[0].Equal(c)
}

// selfSigned reports whether c is self-issued and signed by its own key
// (OpenSSL's "self signed certificate" at depth zero).
func selfSigned(c *x509.Certificate) bool {
	if c == nil || len(c.RawSubject) == 0 || !bytes.Equal(c.RawIssuer, c.RawSubject) {
		return false
	}
	return c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// An opaqueFact is something about an error that its packages say only
// in its text or through an unexported type.
type opaqueFact uint8

const (
	factNone            opaqueFact = iota
	factNotYetValid                // crypto/x509: certificate not valid yet
	factRemoteAlert                // crypto/tls: alert received from the peer
	factNoSTARTTLS                 // go-smtp: STARTTLS not in the EHLO reply
	factProtocolVersion            // crypto/tls: server chose a refused version
)

// What opaque matches, as Go 1.26.8 and go-smtp v0.25.1 write it.
const (
	// crypto/tls alert.go: type alert uint8.
	alertPkgPath  = "crypto/tls"
	alertTypeName = "alert"
	// go-smtp client.go, initStartTLS: errors.New.
	textNoSTARTTLS = "smtp: server doesn't support STARTTLS"
	// crypto/tls handshake_client.go, pickTLSVersion: fmt.Errorf, then
	// " %x" and the version.
	textProtocolVersion = "tls: server selected unsupported protocol version"
)

// opaque is the one place ClassifyTLSError reads error text or an
// unexported type, for what Go 1.26.8 and go-smtp v0.25.1 say no other
// way. It returns the first fact that holds for err's tree, and for
// factRemoteAlert the alert's number; t.invalid is what classify found.
// TestClassifyTLSErrorOpaque makes each fact happen in a real session and
// fails when one is no longer found.
//
//   - crypto/x509 (verify.go, isValid) gives the reason Expired to a
//     certificate used after NotAfter and to one used before NotBefore;
//     only Detail tells them apart: "current time ... is before ...".
//   - crypto/tls (conn.go, readRecordOrCCS) returns an alert received from
//     the peer as a *net.OpError with Op "remote error" whose Err has the
//     unexported type alert, a uint8; tls.AlertError carries only the
//     alerts of QUIC connections. The number is read by reflection or,
//     failing that, found by the text, which tls.AlertError prints alike.
//   - go-smtp (client.go, initStartTLS) reports from DialStartTLS and
//     NewClientStartTLS a server that does not list STARTTLS with
//     errors.New(textNoSTARTTLS).
//   - crypto/tls (handshake_client.go, pickTLSVersion) reports a server
//     that picked a version the client refuses with fmt.Errorf and
//     textProtocolVersion.
func (t *targets) opaque(err error) (opaqueFact, uint8) {
	if e := t.invalid; e.Reason == x509.Expired {
		if strings.Contains(e.Detail, " is before ") {
			return factNotYetValid, 0
		}
		return factNone, 0
	}
	if asType(err, &t.op) && t.op != nil && t.op.Op == "remote error" && t.op.Err != nil && !isNilPointer(t.op.Err) {
		v := reflect.ValueOf(t.op.Err)
		if v.Kind() == reflect.Uint8 && v.Type().PkgPath() == alertPkgPath && v.Type().Name() == alertTypeName {
			return factRemoteAlert, uint8(v.Uint())
		}
		text := t.op.Err.Error()
		for n := range 256 {
			if tls.AlertError(n).Error() == text {
				return factRemoteAlert, uint8(n)
			}
		}
	}
	switch text := err.Error(); {
	case strings.Contains(text, textNoSTARTTLS):
		return factNoSTARTTLS, 0
	case strings.Contains(text, textProtocolVersion):
		return factProtocolVersion, 0
	}
	return factNone, 0
}

// alertCode returns the reason code for alert n: "tls-alert-" and the
// alert's IANA "TLS Alerts" name with underscores turned into hyphens, or
// its decimal number. The codes are constants: alertCode does not
// allocate.
func alertCode(n uint8) string {
	switch n {
	case 0:
		return "tls-alert-close-notify"
	case 10:
		return "tls-alert-unexpected-message"
	case 20:
		return "tls-alert-bad-record-mac"
	case 21:
		return "tls-alert-decryption-failed"
	case 22:
		return "tls-alert-record-overflow"
	case 30:
		return "tls-alert-decompression-failure"
	case 40:
		return "tls-alert-handshake-failure"
	case 41:
		return "tls-alert-no-certificate"
	case 42:
		return "tls-alert-bad-certificate"
	case 43:
		return "tls-alert-unsupported-certificate"
	case 44:
		return "tls-alert-certificate-revoked"
	case 45:
		return "tls-alert-certificate-expired"
	case 46:
		return "tls-alert-certificate-unknown"
	case 47:
		return "tls-alert-illegal-parameter"
	case 48:
		return "tls-alert-unknown-ca"
	case 49:
		return "tls-alert-access-denied"
	case 50:
		return "tls-alert-decode-error"
	case 51:
		return "tls-alert-decrypt-error"
	case 60:
		return "tls-alert-export-restriction"
	case 70:
		return "tls-alert-protocol-version"
	case 71:
		return "tls-alert-insufficient-security"
	case 80:
		return "tls-alert-internal-error"
	case 86:
		return "tls-alert-inappropriate-fallback"
	case 90:
		return "tls-alert-user-canceled"
	case 100:
		return "tls-alert-no-renegotiation"
	case 109:
		return "tls-alert-missing-extension"
	case 110:
		return "tls-alert-unsupported-extension"
	case 111:
		return "tls-alert-certificate-unobtainable"
	case 112:
		return "tls-alert-unrecognized-name"
	case 113:
		return "tls-alert-bad-certificate-status-response"
	case 114:
		return "tls-alert-bad-certificate-hash-value"
	case 115:
		return "tls-alert-unknown-psk-identity"
	case 116:
		return "tls-alert-certificate-required"
	case 120:
		return "tls-alert-no-application-protocol"
	case 121:
		return "tls-alert-ech-required"
	}
	return "tls-alert-" + strconv.Itoa(int(n))
}
