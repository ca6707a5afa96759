package aggregate

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"syscall"

	"github.com/go-tlsrpt/tlsrpt/report"
)

// ErrSTARTTLSNotOffered is the error an MTA returns, or wraps, when the
// receiving MX host did not list STARTTLS in its EHLO reply (RFC 3207 §4);
// with github.com/emersion/go-smtp that is Client.Extension("STARTTLS")
// reporting false (its NewClientStartTLS reports the case with an error
// of its own, so look at the EHLO reply first). ClassifyTLSError maps it to report.ResultSTARTTLSNotSupported
// with the reason code "starttls-not-offered" (RFC 8460 §4.3.1). An MTA
// that wants another code for a related case, such as a 454 reply to the
// STARTTLS command, returns a *ResultError instead.
var ErrSTARTTLSNotOffered = errors.New("aggregate: server did not offer STARTTLS")

// ResultError is an error an MTA has already classified: typically returned
// from tls.Config.VerifyConnection by DANE or MTA-STS checks that crypto/tls
// cannot express (a TLSA mismatch is report.ResultTLSAInvalid). ClassifyTLSError
// returns its ResultType and ReasonCode unchanged.
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
// step — usually from (*tls.Conn).Handshake, x509.Certificate.Verify or the
// first read after the handshake — to the result-type and the
// failure-reason-code of a report's failure-details (RFC 8460 §4.3, §4.4).
// A nil error was a successful session: it returns "" and "".
//
// The reason codes are this package's own, short and stable, so that
// reports from many sessions aggregate into one failure-details entry
// (RFC 8460 §4) and so that readers can match on them; Go's error texts
// carry times and names and change between releases. The error tree is
// searched as errors.As and errors.Is search it (Unwrap() error,
// Unwrap() []error, Is methods; at most 64 levels deep, without
// allocating), so *tls.CertificateVerificationError, errors.Join and the
// caller's own fmt.Errorf("...: %w") wrappers are seen through. Checks run
// in the order of this table; the first that matches wins:
//
//	error                                          result-type                reason code
//	*ResultError                                   its ResultType             its ReasonCode
//	ErrSTARTTLSNotOffered                          starttls-not-supported     starttls-not-offered
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
//	alert received from the server ("remote
//	  error: tls: ...") or tls.AlertError          validation-failure         tls-alert-<name>
//	server chose a TLS version the client refuses  validation-failure         protocol-version
//	tls.RecordHeaderError (the peer is not
//	  speaking TLS)                                validation-failure         not-tls
//	*tls.ECHRejectionError                         validation-failure         ech-rejected
//	context.DeadlineExceeded, net.Error timeout    validation-failure         timeout
//	context.Canceled                               validation-failure         canceled
//	io.EOF, io.ErrUnexpectedEOF                    validation-failure         connection-closed
//	ECONNRESET, EPIPE, ECONNABORTED                validation-failure         connection-reset
//	anything else                                  validation-failure         handshake-error
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
// RFC 8460 §4.3.4 lets an MTA leave transient failures out of its report:
// the codes timeout, canceled, connection-closed and connection-reset are
// network conditions rather than TLS policy failures, and callers may
// choose not to record them.
func ClassifyTLSError(err error) (report.ResultType, string) {
	if err == nil {
		return "", ""
	}
	if semIsNilPointer(err) {
		return report.ResultValidationFailure, "handshake-error"
	}
	s := semScan{alert: -1}
	s.walk(err, 0)
	if re := s.result; re != nil {
		rt, code := re.ResultType, re.ReasonCode
		if rt == "" || code == "" {
			crt, ccode := report.ResultValidationFailure, "handshake-error"
			if re.Err != nil {
				crt, ccode = ClassifyTLSError(re.Err)
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
	switch {
	case s.is&semIsSTARTTLS != 0:
		return report.ResultSTARTTLSNotSupported, "starttls-not-offered"
	case s.hostname:
		return report.ResultCertificateHostMismatch, "hostname-mismatch"
	case s.hasInvalid:
		return semClassifyInvalid(s.invalid, s.isLeaf(s.invalid.Cert))
	case s.hasUnknown:
		if !semSelfSigned(s.unknown.Cert) {
			return report.ResultCertificateNotTrusted, "unknown-authority"
		}
		if s.isLeaf(s.unknown.Cert) {
			return report.ResultCertificateNotTrusted, "self-signed-certificate"
		}
		return report.ResultCertificateNotTrusted, "self-signed-in-chain"
	case s.constraint:
		return report.ResultCertificateNotTrusted, "constraint-violation"
	case s.insecure:
		return report.ResultCertificateNotTrusted, "insecure-algorithm"
	case s.critical:
		return report.ResultCertificateNotTrusted, "unhandled-critical-extension"
	case s.roots:
		// The sender could not evaluate trust at all: a local problem,
		// reported as the general failure (RFC 8460 §4.3.3).
		return report.ResultValidationFailure, "system-roots-unavailable"
	case s.alert >= 0:
		return report.ResultValidationFailure, semAlertCode(uint8(s.alert))
	}
	// crypto/tls reports this as a plain error (handshake_client.go), so
	// only its text identifies it; a loopback test guards the match.
	if strings.Contains(err.Error(), "tls: server selected unsupported protocol version") {
		return report.ResultValidationFailure, "protocol-version"
	}
	switch {
	case s.recordHeader:
		return report.ResultValidationFailure, "not-tls"
	case s.ech:
		return report.ResultValidationFailure, "ech-rejected"
	case s.is&semIsDeadline != 0:
		return report.ResultValidationFailure, "timeout"
	case s.is&semIsCanceled != 0:
		return report.ResultValidationFailure, "canceled"
	case s.timeout:
		return report.ResultValidationFailure, "timeout"
	case s.is&semIsEOF != 0:
		return report.ResultValidationFailure, "connection-closed"
	case s.is&semIsReset != 0:
		return report.ResultValidationFailure, "connection-reset"
	}
	return report.ResultValidationFailure, "handshake-error"
}

// semScan records, in one walk over an error tree, the first error of each
// kind ClassifyTLSError looks for — the one errors.As would find (depth
// first, pre-order) — and which sentinels errors.Is would match, without
// the allocations of one errors.As per kind. The crypto/x509 errors are
// values; pointers to them (a caller wrapping &err) count as well.
type semScan struct {
	is           semSentinels
	result       *ResultError
	verification *tls.CertificateVerificationError
	hostname     bool
	invalid      x509.CertificateInvalidError
	hasInvalid   bool
	unknown      x509.UnknownAuthorityError
	hasUnknown   bool
	constraint   bool
	insecure     bool
	critical     bool
	roots        bool
	alert        int // -1 for none
	recordHeader bool
	ech          bool
	timeout      bool
}

// semSentinels is a set of the sentinel errors ClassifyTLSError matches.
type semSentinels uint8

const (
	semIsSTARTTLS semSentinels = 1 << iota
	semIsDeadline
	semIsCanceled
	semIsEOF
	semIsReset
)

// semMaxDepth bounds the walk: a wrapper that wraps itself (a bug, on which
// errors.Is would loop forever) cannot hang ClassifyTLSError.
const semMaxDepth = 64

// walk visits err and everything it wraps.
func (s *semScan) walk(err error, depth int) {
	for ; err != nil && depth < semMaxDepth; depth++ {
		if semIsNilPointer(err) {
			// A typed nil; errors.Is would panic calling its methods.
			return
		}
		s.visit(err)
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				s.walk(e, depth+1)
			}
			return
		default:
			return
		}
	}
}

// visit records err if it is the first of its kind.
func (s *semScan) visit(err error) {
	s.matchSentinels(err)
	switch e := err.(type) {
	case *ResultError:
		if e != nil && s.result == nil {
			s.result = e
		}
	case *tls.CertificateVerificationError:
		if e != nil && s.verification == nil {
			s.verification = e
		}
	case x509.HostnameError:
		s.hostname = true
	case *x509.HostnameError:
		s.hostname = s.hostname || e != nil
	case x509.CertificateInvalidError:
		s.setInvalid(e)
	case *x509.CertificateInvalidError:
		if e != nil {
			s.setInvalid(*e)
		}
	case x509.UnknownAuthorityError:
		s.setUnknown(e)
	case *x509.UnknownAuthorityError:
		if e != nil {
			s.setUnknown(*e)
		}
	case x509.ConstraintViolationError, *x509.ConstraintViolationError:
		s.constraint = true
	case x509.InsecureAlgorithmError, *x509.InsecureAlgorithmError:
		s.insecure = true
	case x509.UnhandledCriticalExtension, *x509.UnhandledCriticalExtension:
		s.critical = true
	case x509.SystemRootsError, *x509.SystemRootsError:
		s.roots = true
	case tls.AlertError:
		// QUIC, and Go's wrapping of an alert it sent.
		if s.alert < 0 {
			s.alert = int(e)
		}
	case *net.OpError:
		if e != nil && s.alert < 0 && e.Op == "remote error" {
			if n, ok := semRemoteAlert(e.Err); ok {
				s.alert = int(n)
			}
		}
	case tls.RecordHeaderError:
		s.recordHeader = true
	case *tls.ECHRejectionError:
		s.ech = s.ech || e != nil
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		s.timeout = true
	}
}

// matchSentinels tests err against the sentinels the way errors.Is tests
// one link of a chain: equal, or its Is method says so. Every target is of
// a comparable type, so the comparison cannot panic.
func (s *semScan) matchSentinels(err error) {
	targets := [...]struct {
		err error
		bit semSentinels
	}{
		{ErrSTARTTLSNotOffered, semIsSTARTTLS},
		{context.DeadlineExceeded, semIsDeadline},
		{context.Canceled, semIsCanceled},
		{io.EOF, semIsEOF},
		{io.ErrUnexpectedEOF, semIsEOF},
		{syscall.ECONNRESET, semIsReset},
		{syscall.EPIPE, semIsReset},
		{syscall.ECONNABORTED, semIsReset},
	}
	x, hasIs := err.(interface{ Is(error) bool })
	for _, t := range targets {
		if err == t.err || hasIs && x.Is(t.err) {
			s.is |= t.bit
		}
	}
}

func (s *semScan) setInvalid(e x509.CertificateInvalidError) {
	if !s.hasInvalid {
		s.invalid, s.hasInvalid = e, true
	}
}

func (s *semScan) setUnknown(e x509.UnknownAuthorityError) {
	if !s.hasUnknown {
		s.unknown, s.hasUnknown = e, true
	}
}

// isLeaf reports whether c is the server's own certificate. crypto/x509
// names the certificate at fault, which may be an intermediate or a root;
// only a *tls.CertificateVerificationError tells which one is the leaf.
// Without it (the caller ran x509.Certificate.Verify itself) c is assumed
// to be the leaf.
func (s *semScan) isLeaf(c *x509.Certificate) bool {
	if c == nil || s.verification == nil || len(s.verification.UnverifiedCertificates) == 0 {
		return true
	}
	leaf := s.verification.UnverifiedCertificates[0]
	return leaf == c || leaf != nil && leaf.Equal(c)
}

// semIsNilPointer reports whether err holds a nil pointer, whose methods
// may dereference it.
func semIsNilPointer(err error) bool {
	v := reflect.ValueOf(err)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// semRemoteAlert returns the alert inside the *net.OpError with Op
// "remote error" that crypto/tls returns for an alert received from the
// peer: a value of its unexported uint8 alert type.
func semRemoteAlert(err error) (uint8, bool) {
	if err == nil {
		return 0, false
	}
	if ae, ok := err.(tls.AlertError); ok {
		return uint8(ae), true
	}
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Uint8 && v.Type().PkgPath() == "crypto/tls" {
		return uint8(v.Uint()), true
	}
	// Fall back to the text, which is the same as AlertError's.
	text := err.Error()
	for n := 0; n < 256; n++ {
		if tls.AlertError(n).Error() == text {
			return uint8(n), true
		}
	}
	return 0, false
}

// semClassifyInvalid maps the reasons of x509.CertificateInvalidError.
func semClassifyInvalid(e x509.CertificateInvalidError, leaf bool) (report.ResultType, string) {
	switch e.Reason {
	case x509.Expired:
		// crypto/x509 uses Expired for both ends of the validity period;
		// Detail says "current time X is before Y" for a certificate that
		// is not valid yet. RFC 8460 §4.3.1 certificate-expired means
		// expired, so a future certificate is a trust failure.
		prefix := ""
		if !leaf {
			prefix = "chain-"
		}
		if strings.Contains(e.Detail, " is before ") {
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
	}
	return report.ResultCertificateNotTrusted, "certificate-invalid-" + strconv.Itoa(int(e.Reason))
}

// semSelfSigned reports whether c is self-issued and signed by its own key
// (OpenSSL's "self signed certificate" at depth zero).
func semSelfSigned(c *x509.Certificate) bool {
	if c == nil || len(c.RawSubject) == 0 || !bytes.Equal(c.RawIssuer, c.RawSubject) {
		return false
	}
	return c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// semAlertCode returns the reason code for alert n: "tls-alert-" and the
// alert's IANA "TLS Alerts" name with underscores turned into hyphens, or
// its decimal number. The codes are constants, so classifying an alert
// does not allocate.
func semAlertCode(n uint8) string {
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
