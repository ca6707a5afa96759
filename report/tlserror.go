package report

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
)

// ErrSTARTTLSNotOffered is the error an MTA returns, or wraps, when the
// receiving MX host did not list STARTTLS in its EHLO reply (RFC 3207 §4);
// with github.com/emersion/go-smtp that is Client.Extension("STARTTLS")
// reporting false. ClassifyTLSError maps it to ResultSTARTTLSNotSupported
// with the reason code "starttls-not-offered" (RFC 8460 §4.3.1). An MTA
// that wants another code for a related case, such as a 454 reply to the
// STARTTLS command, returns a *ResultError instead.
var ErrSTARTTLSNotOffered = errors.New("report: server did not offer STARTTLS")

// ResultError is an error an MTA has already classified: typically returned
// from tls.Config.VerifyConnection by DANE or MTA-STS checks that crypto/tls
// cannot express (a TLSA mismatch is ResultTLSAInvalid). ClassifyTLSError
// returns its ResultType and ReasonCode unchanged.
type ResultError struct {
	// ResultType is the result-type to report. When empty, ClassifyTLSError
	// classifies Err instead.
	ResultType ResultType
	// ReasonCode is the failure-reason-code to report. When empty,
	// ClassifyTLSError uses the code it derives from Err.
	ReasonCode string
	// Err is the underlying error; it may be nil.
	Err error
}

// Error returns "report: <result type>[ (<reason code>)][: <Err>]".
func (e *ResultError) Error() string {
	if e == nil {
		return "report: unclassified failure"
	}
	var b strings.Builder
	b.WriteString("report: ")
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
// carry times and names and change between releases. The error is
// unwrapped (errors.As), so *tls.CertificateVerificationError and the
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
func ClassifyTLSError(err error) (ResultType, string) {
	if err == nil {
		return "", ""
	}
	var re *ResultError
	if errors.As(err, &re) && re != nil {
		rt, code := re.ResultType, re.ReasonCode
		if rt == "" || code == "" {
			crt, ccode := ClassifyTLSError(re.Err)
			if re.Err == nil {
				crt, ccode = ResultValidationFailure, "handshake-error"
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
	if errors.Is(err, ErrSTARTTLSNotOffered) {
		return ResultSTARTTLSNotSupported, "starttls-not-offered"
	}
	if rt, code, ok := semClassifyX509(err); ok {
		return rt, code
	}
	if n, ok := semAlert(err); ok {
		return ResultValidationFailure, "tls-alert-" + semAlertName(n)
	}
	// crypto/tls reports this as a plain error (handshake_client.go), so
	// only its text identifies it; a loopback test guards the match.
	if strings.Contains(err.Error(), "tls: server selected unsupported protocol version") {
		return ResultValidationFailure, "protocol-version"
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return ResultValidationFailure, "not-tls"
	}
	var ech *tls.ECHRejectionError
	if errors.As(err, &ech) {
		return ResultValidationFailure, "ech-rejected"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ResultValidationFailure, "timeout"
	}
	if errors.Is(err, context.Canceled) {
		return ResultValidationFailure, "canceled"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ResultValidationFailure, "timeout"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ResultValidationFailure, "connection-closed"
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return ResultValidationFailure, "connection-reset"
	}
	return ResultValidationFailure, "handshake-error"
}

// semAsValue is errors.As for the crypto/x509 error types, which are
// returned as values; a pointer to one (a caller wrapping &err) is accepted
// as well.
func semAsValue[T error, PT interface {
	*T
	error
}](err error) (T, bool) {
	var v T
	if errors.As(err, &v) {
		return v, true
	}
	var p PT
	if errors.As(err, &p) && p != nil {
		return *p, true
	}
	return v, false
}

// semClassifyX509 handles the crypto/x509 verification errors.
func semClassifyX509(err error) (ResultType, string, bool) {
	if _, ok := semAsValue[x509.HostnameError](err); ok {
		return ResultCertificateHostMismatch, "hostname-mismatch", true
	}
	if ie, ok := semAsValue[x509.CertificateInvalidError](err); ok {
		rt, code := semClassifyInvalid(ie, semIsLeaf(err, ie.Cert))
		return rt, code, true
	}
	if ua, ok := semAsValue[x509.UnknownAuthorityError](err); ok {
		if semSelfSigned(ua.Cert) {
			if semIsLeaf(err, ua.Cert) {
				return ResultCertificateNotTrusted, "self-signed-certificate", true
			}
			return ResultCertificateNotTrusted, "self-signed-in-chain", true
		}
		return ResultCertificateNotTrusted, "unknown-authority", true
	}
	if _, ok := semAsValue[x509.ConstraintViolationError](err); ok {
		return ResultCertificateNotTrusted, "constraint-violation", true
	}
	if _, ok := semAsValue[x509.InsecureAlgorithmError](err); ok {
		return ResultCertificateNotTrusted, "insecure-algorithm", true
	}
	if _, ok := semAsValue[x509.UnhandledCriticalExtension](err); ok {
		return ResultCertificateNotTrusted, "unhandled-critical-extension", true
	}
	if _, ok := semAsValue[x509.SystemRootsError](err); ok {
		// The sender could not evaluate trust at all: a local problem,
		// reported as the general failure (RFC 8460 §4.3.3).
		return ResultValidationFailure, "system-roots-unavailable", true
	}
	return "", "", false
}

// semIsLeaf reports whether c is the server's own certificate. crypto/x509
// names the certificate at fault, which may be an intermediate or a root;
// only a *tls.CertificateVerificationError tells which one is the leaf.
// Without it (the caller ran x509.Certificate.Verify itself) c is assumed
// to be the leaf.
func semIsLeaf(err error, c *x509.Certificate) bool {
	var cve *tls.CertificateVerificationError
	if c == nil || !errors.As(err, &cve) || cve == nil || len(cve.UnverifiedCertificates) == 0 {
		return true
	}
	leaf := cve.UnverifiedCertificates[0]
	return leaf == c || leaf != nil && leaf.Equal(c)
}

// semClassifyInvalid maps the reasons of x509.CertificateInvalidError.
func semClassifyInvalid(e x509.CertificateInvalidError, leaf bool) (ResultType, string) {
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
			return ResultCertificateNotTrusted, prefix + "certificate-not-yet-valid"
		}
		return ResultCertificateExpired, prefix + "certificate-expired"
	case x509.NotAuthorizedToSign:
		return ResultCertificateNotTrusted, "not-authorized-to-sign"
	case x509.CANotAuthorizedForThisName:
		return ResultCertificateNotTrusted, "ca-not-authorized-for-name"
	case x509.TooManyIntermediates:
		return ResultCertificateNotTrusted, "too-many-intermediates"
	case x509.IncompatibleUsage:
		return ResultCertificateNotTrusted, "incompatible-usage"
	case x509.NameMismatch:
		return ResultCertificateNotTrusted, "issuer-name-mismatch"
	case x509.NameConstraintsWithoutSANs:
		return ResultCertificateNotTrusted, "name-constraints-without-sans"
	case x509.UnconstrainedName:
		return ResultCertificateNotTrusted, "unconstrained-name"
	case x509.TooManyConstraints:
		return ResultCertificateNotTrusted, "too-many-constraints"
	case x509.CANotAuthorizedForExtKeyUsage:
		return ResultCertificateNotTrusted, "ca-not-authorized-for-eku"
	case x509.NoValidChains:
		return ResultCertificateNotTrusted, "no-valid-chains"
	}
	return ResultCertificateNotTrusted, "certificate-invalid-" + strconv.Itoa(int(e.Reason))
}

// semSelfSigned reports whether c is self-issued and signed by its own key
// (OpenSSL's "self signed certificate" at depth zero).
func semSelfSigned(c *x509.Certificate) bool {
	if c == nil || len(c.RawSubject) == 0 || !bytes.Equal(c.RawIssuer, c.RawSubject) {
		return false
	}
	return c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// semAlert finds a TLS alert in err: a tls.AlertError (QUIC, and Go's own
// wrapping of sent alerts), or an alert received from the peer, which
// crypto/tls returns as a *net.OpError with Op "remote error" around a
// value of its unexported uint8 alert type.
func semAlert(err error) (uint8, bool) {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return uint8(ae), true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil {
		v := reflect.ValueOf(op.Err)
		if v.Kind() == reflect.Uint8 && v.Type().PkgPath() == "crypto/tls" {
			return uint8(v.Uint()), true
		}
		// Fall back to the text, which is the same as AlertError's.
		text := op.Err.Error()
		for n := 0; n < 256; n++ {
			if tls.AlertError(n).Error() == text {
				return uint8(n), true
			}
		}
	}
	return 0, false
}

// semAlertName returns the IANA "TLS Alerts" name of alert n with
// underscores turned into hyphens, or its decimal number.
func semAlertName(n uint8) string {
	switch n {
	case 0:
		return "close-notify"
	case 10:
		return "unexpected-message"
	case 20:
		return "bad-record-mac"
	case 21:
		return "decryption-failed"
	case 22:
		return "record-overflow"
	case 30:
		return "decompression-failure"
	case 40:
		return "handshake-failure"
	case 41:
		return "no-certificate"
	case 42:
		return "bad-certificate"
	case 43:
		return "unsupported-certificate"
	case 44:
		return "certificate-revoked"
	case 45:
		return "certificate-expired"
	case 46:
		return "certificate-unknown"
	case 47:
		return "illegal-parameter"
	case 48:
		return "unknown-ca"
	case 49:
		return "access-denied"
	case 50:
		return "decode-error"
	case 51:
		return "decrypt-error"
	case 60:
		return "export-restriction"
	case 70:
		return "protocol-version"
	case 71:
		return "insufficient-security"
	case 80:
		return "internal-error"
	case 86:
		return "inappropriate-fallback"
	case 90:
		return "user-canceled"
	case 100:
		return "no-renegotiation"
	case 109:
		return "missing-extension"
	case 110:
		return "unsupported-extension"
	case 111:
		return "certificate-unobtainable"
	case 112:
		return "unrecognized-name"
	case 113:
		return "bad-certificate-status-response"
	case 114:
		return "bad-certificate-hash-value"
	case 115:
		return "unknown-psk-identity"
	case 116:
		return "certificate-required"
	case 120:
		return "no-application-protocol"
	case 121:
		return "ech-required"
	}
	return strconv.Itoa(int(n))
}
