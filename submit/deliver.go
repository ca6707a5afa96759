package submit

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"sync"
	"time"

	"github.com/go-tlsrpt/tlsrpt/dnsrecord"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// Deliverer delivers reports to the rua destinations of a TLSRPT record
// (RFC 8460 §3, §5.3, §5.4). The zero value POSTs to https destinations
// with certificate verification and skips mailto destinations (no
// MailSender). A Deliverer is safe for concurrent use if its HTTPClient
// and MailSender are.
type Deliverer struct {
	// HTTPClient sends the HTTPS POSTs. Nil means a client with
	// http.DefaultTransport. It is used through a shallow copy whose
	// CheckRedirect returns http.ErrUseLastResponse, so that the Deliverer
	// sees and handles every redirect itself (307/308 re-sent up to
	// MaxRedirects, others refused); its Transport, Jar and Timeout apply.
	// A Transport that follows redirects itself and turns the POST into
	// another method gets ErrRedirect.
	HTTPClient *http.Client
	// InsecureSkipVerify allows delivering over HTTPS when the endpoint's
	// certificate does not verify: the POST is first tried with
	// verification and, on a certificate error, once more without it; the
	// Outcome then has Unverified set. RFC 8460 §3 permits ignoring
	// certificate errors (§7 explains why). The zero value verifies and
	// reports a certificate problem as a temporary failure. It needs
	// HTTPClient to be nil or an *http.Client whose Transport is nil or an
	// *http.Transport.
	InsecureSkipVerify bool
	// Uncompressed sends the report as application/tlsrpt+json instead of
	// the gzip-compressed application/tlsrpt+gzip that RFC 8460 §5.2
	// recommends, over HTTPS and by mail.
	Uncompressed bool
	// UserAgent is the HTTP User-Agent. Empty means
	// "go-tlsrpt (+https://github.com/go-tlsrpt/tlsrpt)".
	UserAgent string
	// MaxRedirects is how many 307/308 redirects are followed. Zero means
	// 3; negative means none.
	MaxRedirects int

	// Mail sends report mail to mailto destinations. Nil (or an empty
	// MailOptions.From) means mailto destinations are skipped with
	// ErrNoMailSender.
	Mail MailSender
	// MailOptions is the template for report messages (mime.Write): From
	// is required for mail delivery; Submitter, DKIM (RFC 8460 §3
	// requires a signature) and the other fields are used as given. To
	// must be empty (each message goes to its destination's address) and
	// Uncompressed false (Deliverer.Uncompressed decides, for HTTPS and
	// mail alike): Deliver refuses other values. A zero Date is set from
	// Now.
	MailOptions mime.WriteOptions
	// MailFrom is the SMTP envelope sender (reverse-path). Empty means the
	// address of MailOptions.From.
	MailFrom string

	// Now returns the current time, for Retry-After dates and message
	// dates. Nil means time.Now.
	Now func() time.Time
}

// Status is the outcome of delivering a report to one destination.
type Status string

// The delivery statuses.
const (
	// StatusAccepted: the endpoint accepted the report (HTTP 2xx, SMTP 250
	// after DATA, or a MailSender's nil error).
	StatusAccepted Status = "accepted"
	// StatusTemporaryFailure: not delivered; a retry may succeed.
	StatusTemporaryFailure Status = "temporary-failure"
	// StatusPermanentFailure: not delivered; retrying will not help.
	StatusPermanentFailure Status = "permanent-failure"
	// StatusSkipped: not attempted (unsupported scheme, no MailSender,
	// duplicate URI).
	StatusSkipped Status = "skipped"
)

// Outcome is what happened when delivering to one rua URI.
type Outcome struct {
	// URI is the destination, as in the record.
	URI dnsrecord.URI
	// Status says whether the report was accepted.
	Status Status
	// StatusCode is the final HTTP status or SMTP reply code, zero when
	// none was received. For an accepted mailto delivery it is the code
	// of the reply to the end of the data (250) when the MailSender
	// returned a reply (SMTPSender does), and zero when it returned none.
	StatusCode int
	// Reply is, for an accepted mailto delivery, the SMTP reply text
	// (often holding the receiving server's queue id); empty otherwise.
	Reply string
	// Unverified is set when an HTTPS endpoint accepted the report over a
	// connection whose certificate did not verify (InsecureSkipVerify).
	Unverified bool
	// Err is nil when accepted, else a *DeliveryError: its Retryable,
	// RetryAfter and Location say what the endpoint answered.
	Err error
}

// Result holds one Outcome per rua URI, in record order.
type Result struct {
	Outcomes []Outcome // one per rua URI, in record order
}

// Delivered reports whether at least one destination accepted the report:
// RFC 8460 §3, the report is delivered once one endpoint accepted it.
func (r *Result) Delivered() bool {
	if r == nil {
		return false
	}
	for _, o := range r.Outcomes {
		if o.Status == StatusAccepted {
			return true
		}
	}
	return false
}

// Pending returns the URIs that failed temporarily, to retry later (for
// example with a Record holding only them).
func (r *Result) Pending() []dnsrecord.URI {
	if r == nil {
		return nil
	}
	var out []dnsrecord.URI
	for _, o := range r.Outcomes {
		if o.Status == StatusTemporaryFailure {
			out = append(out, o.URI)
		}
	}
	return out
}

// Err returns nil when the report was delivered, else the errors of every
// destination joined (errors.Join), which RetryPolicy.NextAttempt
// understands.
func (r *Result) Err() error {
	if r.Delivered() {
		return nil
	}
	var errs []error
	for _, o := range r.Outcomes {
		errs = append(errs, o.Err)
	}
	if len(errs) == 0 {
		return &DeliveryError{Err: errors.New("submit: record has no rua URI")}
	}
	return errors.Join(errs...)
}

// Deliver sends rep to every supported rua URI of rec, up to eight at a
// time:
// https URIs by POST (RFC 8460 §5.4), mailto URIs by mail built with
// mime.Write and sent through Mail (§5.3); other schemes are skipped. The
// Result has one Outcome per URI. The error is nil when at least one
// destination accepted the report (RFC 8460 §3), else Result.Err(); pass
// it to RetryPolicy.NextAttempt to schedule the next attempt. An error
// with a nil Result means the arguments were unusable.
func (d *Deliverer) Deliver(ctx context.Context, rep *report.Report, rec *dnsrecord.Record) (*Result, error) {
	if rep == nil {
		return nil, errors.New("submit: nil report")
	}
	if rec == nil {
		return nil, errors.New("submit: nil record")
	}
	// One spelling each: the destination address comes from the rua URI
	// and the encoding from Deliverer.Uncompressed.
	if len(d.MailOptions.To) > 0 {
		return nil, errors.New("submit: MailOptions.To must be empty: Deliver addresses each message to its rua URI")
	}
	if d.MailOptions.Uncompressed {
		return nil, errors.New("submit: set Deliverer.Uncompressed, not MailOptions.Uncompressed")
	}
	now := d.now()
	res := &Result{Outcomes: make([]Outcome, len(rec.RUA))}
	var body []byte
	var bodyErr error
	var bodyOnce sync.Once
	httpBody := func() ([]byte, error) {
		bodyOnce.Do(func() { body, bodyErr = d.encode(rep) })
		return body, bodyErr
	}
	seen := make(map[string]bool, len(rec.RUA))
	var wg sync.WaitGroup
	// A record may list many URIs; a few deliveries at a time suffice.
	sem := make(chan struct{}, maxConcurrent)
	for i, u := range rec.RUA {
		o := &res.Outcomes[i]
		o.URI = u
		if seen[u.String()] {
			o.skip(ErrDuplicateURI)
			continue
		}
		seen[u.String()] = true
		switch {
		case u.Scheme() == "https":
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				b, err := httpBody()
				if err != nil {
					o.set(0, false, &DeliveryError{URI: u.String(), Err: err})
					return
				}
				ctype := MediaTypeGzip
				if d.Uncompressed {
					ctype = MediaTypeJSON
				}
				p := poster{client: d.HTTPClient, insecure: d.InsecureSkipVerify, userAgent: d.UserAgent,
					maxRedirects: d.MaxRedirects, now: d.now}
				r := p.post(ctx, u.String(), b, ctype)
				o.set(r.status, r.unverified, r.err)
			}()
		case u.Scheme() == "mailto":
			if d.Mail == nil || d.MailOptions.From == "" {
				o.skip(ErrNoMailSender)
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				reply, err := d.mail(ctx, rep, u, now)
				o.set(statusCode(err), false, err)
				if err == nil && reply != nil {
					o.StatusCode, o.Reply = reply.Code, reply.Text
				}
			}()
		default:
			o.skip(ErrUnsupportedScheme)
		}
	}
	wg.Wait()
	return res, res.Err()
}

// maxConcurrent is how many destinations Deliver tries at once.
const maxConcurrent = 8

// skip marks o as not attempted because of err.
func (o *Outcome) skip(err error) {
	o.Status = StatusSkipped
	o.Err = &DeliveryError{URI: o.URI.String(), Err: err}
}

// set records the outcome of an attempt.
func (o *Outcome) set(code int, unverified bool, err error) {
	o.StatusCode = code
	if err == nil {
		o.Status = StatusAccepted
		o.Unverified = unverified
		return
	}
	de := &DeliveryError{}
	if !errors.As(err, &de) || de.URI != o.URI.String() {
		// Re-address an error from a MailSender to the rua URI.
		inner := err
		if errors.As(err, &de) {
			inner = de.Err
		} else {
			de = &DeliveryError{Retryable: temporary(err), StatusCode: statusCode(err)}
		}
		de = &DeliveryError{URI: o.URI.String(), Retryable: de.Retryable, RetryAfter: de.RetryAfter,
			StatusCode: de.StatusCode, Location: de.Location, Err: inner}
	}
	if o.StatusCode == 0 {
		o.StatusCode = de.StatusCode
	}
	o.Err = de
	if de.Retryable {
		o.Status = StatusTemporaryFailure
	} else {
		o.Status = StatusPermanentFailure
	}
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// encode returns the HTTPS body: the canonical JSON (json.Marshal of the
// report), gzip-compressed unless Uncompressed (RFC 8460 §5.2, §5.4).
func (d *Deliverer) encode(rep *report.Report) ([]byte, error) {
	js, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	if d.Uncompressed {
		return js, nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(js)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// mail builds the report message for the mailto URI u and sends it. The
// reply is nil unless Mail accepted the message and knows the reply.
func (d *Deliverer) mail(ctx context.Context, rep *report.Report, u dnsrecord.URI, now time.Time) (*SMTPReply, error) {
	addr, err := u.Address()
	if err != nil {
		return nil, &DeliveryError{URI: u.String(), Err: wrap(ErrInvalidURI, "", err)}
	}
	opts := d.MailOptions
	opts.To = []string{addr}
	if opts.Date.IsZero() {
		opts.Date = now
	}
	opts.Uncompressed = d.Uncompressed
	var msg bytes.Buffer
	if err := mime.Write(&msg, rep, &opts); err != nil {
		// The report or the template cannot make a message: no retry
		// changes that.
		return nil, &DeliveryError{URI: u.String(), Err: err}
	}
	from := d.MailFrom
	if from == "" {
		a, err := mail.ParseAddress(opts.From)
		if err != nil {
			return nil, &DeliveryError{URI: u.String(), Err: err}
		}
		from = a.Address
	}
	return d.Mail.SendMail(ctx, from, []string{addr}, msg.Bytes())
}
