package submit

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/emersion/go-smtp"
)

// Sentinel errors. A *DeliveryError wraps one of them (or a lower-level
// error) so that callers can branch with errors.Is.
var (
	// ErrUnsupportedScheme means a rua URI has a scheme other than mailto
	// and https (RFC 8460 §3); the URI is skipped, never attempted.
	ErrUnsupportedScheme = errors.New("submit: unsupported rua scheme")

	// ErrNoMailSender means a mailto rua could not be attempted because the
	// Deliverer has no MailSender or no From address configured.
	ErrNoMailSender = errors.New("submit: no mail sender configured")

	// ErrRedirect means an HTTPS endpoint answered a POST with a redirect
	// that cannot be followed without changing the method (301, 302, 303 or
	// another 3xx), pointed to a non-https location, or was one 307/308
	// redirect more than Deliverer.MaxRedirects allows.
	ErrRedirect = errors.New("submit: redirect not followed")

	// ErrRejected means the endpoint answered with a status or reply code
	// that is not a success (HTTP non-2xx, SMTP 4xx/5xx).
	ErrRejected = errors.New("submit: rejected by endpoint")

	// ErrNullMX means the recipient domain publishes a null MX (RFC 7505):
	// it accepts no mail, so a mailto rua there can never succeed.
	ErrNullMX = errors.New("submit: domain accepts no mail (null MX)")

	// ErrNoAddress means no address could be found for a mail domain or
	// host.
	ErrNoAddress = errors.New("submit: no address for mail domain")

	// ErrTLSRequired means a relay did not offer STARTTLS although the
	// SMTPSender requires it, or AUTH was requested without TLS.
	ErrTLSRequired = errors.New("submit: TLS required but not available")

	// ErrDuplicateURI means a rua URI appeared more than once in the
	// record; the report is delivered to it once and the repetition is
	// skipped.
	ErrDuplicateURI = errors.New("submit: duplicate rua URI")

	// ErrInvalidURI means a rua URI could not be used as a destination
	// (an https URI without a host, a mailto URI without an address).
	ErrInvalidURI = errors.New("submit: invalid rua URI")
)

// DeliveryError describes why a report was not delivered to one
// destination, and whether trying again later may help.
type DeliveryError struct {
	// URI is the rua URI (or, inside an SMTPSender, the recipient address)
	// the attempt was for.
	URI string
	// Retryable reports whether a later attempt may succeed: true for
	// HTTP 408, 429 and 5xx, SMTP 4xx, timeouts, connection failures and
	// certificate problems; false for other 4xx, SMTP 5xx, refused
	// redirects and unusable URIs.
	Retryable bool
	// RetryAfter is the delay the endpoint asked for (HTTP Retry-After);
	// zero when none was given.
	RetryAfter time.Duration
	// StatusCode is the HTTP status or SMTP reply code of the final
	// answer; zero when no answer was received.
	StatusCode int
	// Location is the redirect target of a refused 3xx answer.
	Location string
	// Err is the underlying cause (a sentinel of this package, a
	// *smtp.SMTPError, a net or TLS error, a context error).
	Err error
}

// Error implements error.
func (e *DeliveryError) Error() string {
	s := "submit: "
	if e.URI != "" {
		s += e.URI + ": "
	}
	if e.Retryable {
		s += "temporary failure"
	} else {
		s += "permanent failure"
	}
	if e.StatusCode != 0 {
		s += " (" + strconv.Itoa(e.StatusCode) + ")"
	}
	if e.Location != "" {
		s += " to " + strconv.Quote(e.Location)
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns Err.
func (e *DeliveryError) Unwrap() error { return e.Err }

// Temporary reports whether a later attempt may succeed. It is the same as
// Retryable and matches the Temporary method of net.Error and
// *smtp.SMTPError.
func (e *DeliveryError) Temporary() bool { return e.Retryable }

// wrap returns sentinel with the detail of err, both matchable with
// errors.Is / errors.As; a nil err gives sentinel itself.
func wrap(sentinel error, detail string, err error) error {
	switch {
	case err == nil && detail == "":
		return sentinel
	case err == nil:
		return fmt.Errorf("%w: %s", sentinel, detail)
	case detail == "":
		return fmt.Errorf("%w: %w", sentinel, err)
	}
	return fmt.Errorf("%w: %s: %w", sentinel, detail, err)
}

// temporary classifies an error of unknown origin: a *DeliveryError or an
// *smtp.SMTPError decides itself (SMTP 4xx temporary, 5xx permanent);
// anything else is considered temporary, because not retrying a report
// that could have been delivered loses it. net.Error's Temporary is not
// consulted: it is false for a refused connection, which is worth a retry.
func temporary(err error) bool {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Retryable
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code/100 != 5
	}
	return true
}

// statusCode returns the HTTP status or SMTP reply code found in err's
// chain, or zero.
func statusCode(err error) int {
	var de *DeliveryError
	if errors.As(err, &de) && de.StatusCode != 0 {
		return de.StatusCode
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}
