package ingest

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// topCarrier is mime's path of the mail itself.
const topCarrier = "mime:message"

// vouch is what vouches for the message carrying the reports.
type vouch struct {
	domain, selector, authServID string
	notes                        []tlsrpt.Diagnostic
}

// verifyOptions returns the options of mime.Verify: the one place that
// knows how mime takes DNS.
func (rd *Reader) verifyOptions() *mime.VerifyOptions {
	var res tlsrpt.Resolver = net.DefaultResolver
	if rd.Resolver != nil {
		res = rd.Resolver
	}
	return &mime.VerifyOptions{
		LookupTXT:      res.LookupTXT,
		MaxMessageSize: orDefault(rd.MaxMessageSize, DefaultMaxMessageSize),
	}
}

// now returns the Reader's current time.
func (rd *Reader) now() time.Time {
	if rd.Now != nil {
		return rd.Now()
	}
	return time.Now()
}

// trustMail decides the verdict on each report of the mail data, which
// mime.Parser read as msg (RFC 8460 §3; the rules are in the package
// documentation).
func (rd *Reader) trustMail(ctx context.Context, data []byte, msg *mime.Message) []Trust {
	fields := headerFields(data)
	forwarded := false
	for _, w := range msg.Warnings {
		forwarded = forwarded || w.Code == mime.CodeForwarded
	}
	carrier := carrierOf(msg)
	submitter := msg.Submitter // of the message carrying the first report

	var reasons []tlsrpt.Diagnostic
	var v *vouch
	retry := false
	if carrier == "" {
		reasons = append(reasons, tlsrpt.Diagnostic{Path: "mime:message", Code: CodeSeveralCarriers, Severity: tlsrpt.SeverityError,
			Message: "the reports are carried by several attached messages; no signature covers them all"})
	} else if submitter == "" {
		reasons = append(reasons, tlsrpt.Diagnostic{Path: carrierHeaderPath(carrier) + "TLS-Report-Submitter", Code: CodeNoSubmitter, Severity: tlsrpt.SeverityError,
			Message: "no TLS-Report-Submitter to align a signature with (RFC 8460 §5.3)"})
	} else {
		// Authentication-Results first: offline, and the MX verified at
		// arrival, before any signature could expire.
		if len(rd.TrustedAuthServIDs) > 0 {
			believed, ignored := believedAuthResults(fields, rd.TrustedAuthServIDs)
			if forwarded {
				if len(believed) > 0 {
					reasons = append(reasons, tlsrpt.Diagnostic{Path: believed[0].path(), Code: CodeAuthResIgnored, Severity: tlsrpt.SeverityInfo,
						Message: "Authentication-Results of " + believed[0].id + " ignored: they judge the forwarding mail, not the attached report message " + carrier})
				}
			} else {
				by, d, notes := authResVerdict(believed, ignored, submitter)
				reasons = append(reasons, notes...)
				if by != nil {
					v = &vouch{domain: d, authServID: by.id}
				}
			}
		}
		if v == nil && !rd.NoDKIM {
			var dkimReasons []tlsrpt.Diagnostic
			v, dkimReasons, retry = rd.verifyDKIM(ctx, data, fields, carrier, submitter)
			reasons = append(reasons, dkimReasons...)
		}
		if v == nil && rd.NoDKIM {
			msg := "DKIM not verified (NoDKIM)"
			if len(rd.TrustedAuthServIDs) > 0 && !forwarded {
				msg += " and no trusted Authentication-Results field has a dkim=pass aligned with " + strconv.Quote(submitter)
			} else if forwarded {
				msg += "; the report is forwarded, so only its own signature could vouch for it"
			}
			reasons = append(reasons, tlsrpt.Diagnostic{Path: "mime:message", Code: CodeNotVerified, Severity: tlsrpt.SeverityError, Message: msg})
		}
	}

	out := make([]Trust, len(msg.Reports))
	for i, rep := range msg.Reports {
		switch {
		case v != nil:
			out[i] = v.judge(i, rep)
		case retry:
			out[i] = Trust{Verdict: VerdictRetry, Reasons: reasons}
		default:
			out[i] = Trust{Verdict: VerdictUntrusted, Reasons: reasons}
		}
	}
	return out
}

// judge checks report i against the vouching domain: a report whose
// contact-info names another organizational domain is not vouched for.
func (v *vouch) judge(i int, rep *report.Report) Trust {
	t := Trust{Verdict: VerdictTrusted, Domain: v.domain, Selector: v.selector, AuthServID: v.authServID, Reasons: v.notes}
	if cd, err := report.ContactDomain(rep.ContactInfo); err == nil && !aligned(cd, v.domain) {
		t = Trust{Verdict: VerdictUntrusted, Reasons: append(append([]tlsrpt.Diagnostic(nil), v.notes...), tlsrpt.Diagnostic{
			Index: i, Path: "contact-info", Code: CodeContactNotVouched, Severity: tlsrpt.SeverityError,
			Message: "report " + strconv.Itoa(i+1) + ": contact-info domain " + strconv.Quote(cd) + " is not vouched for by " + strconv.Quote(v.domain),
		})}
	}
	return t
}

// carrierOf returns the path of the message carrying all of msg's
// reports (mime.Verification.Carrier's rule), or "" when they are in
// several messages.
func carrierOf(msg *mime.Message) string {
	c := ""
	for i, a := range msg.Attachments {
		p := topCarrier
		if j := strings.LastIndex(a.Path, ".message"); j >= 0 {
			p = a.Path[:j+len(".message")]
		}
		if i > 0 && p != c {
			return ""
		}
		c = p
	}
	if c == "" {
		c = topCarrier
	}
	return c
}

// carrierHeaderPath is the diagnostic path prefix of the carrier's header.
func carrierHeaderPath(carrier string) string {
	if carrier == topCarrier {
		return "mime:header."
	}
	return carrier + ".header."
}

// verifyDKIM verifies the signatures of the message carrying the reports
// and returns the one that vouches for it (nil if none), the reasons, and
// whether a temporary failure may change the outcome.
func (rd *Reader) verifyDKIM(ctx context.Context, data []byte, fields []field, carrier, submitter string) (*vouch, []tlsrpt.Diagnostic, bool) {
	ver, err := mime.Verify(ctx, bytes.NewReader(data), rd.verifyOptions())
	if err != nil {
		return nil, []tlsrpt.Diagnostic{{Path: "mime:message", Code: CodeBadSignature, Severity: tlsrpt.SeverityError,
			Message: "DKIM verification failed: " + err.Error()}}, false
	}
	if ctx.Err() != nil {
		// The lookups failed because the run was cancelled: nothing was
		// learned.
		return nil, []tlsrpt.Diagnostic{{Path: "mime:message", Code: CodeDNSTemporary, Severity: tlsrpt.SeverityError,
			Message: "DKIM verification interrupted: " + ctx.Err().Error()}}, true
	}
	if ver.Carrier == "" {
		return nil, []tlsrpt.Diagnostic{{Path: "mime:message", Code: CodeSeveralCarriers, Severity: tlsrpt.SeverityError,
			Message: "the reports are carried by several attached messages; no signature covers them all"}}, false
	}
	if ver.Submitter != "" {
		submitter = ver.Submitter
	}
	hp := carrierHeaderPath(ver.Carrier)
	if len(ver.Signatures) == 0 {
		return nil, []tlsrpt.Diagnostic{{Path: hp + "DKIM-Signature", Code: CodeNoSignature, Severity: tlsrpt.SeverityError,
			Message: "no DKIM signature on the message carrying the report (RFC 8460 §3)"}}, false
	}
	// x= of the mail's own signatures, judged against Now (go-msgauth
	// judges against the system clock).
	var expires []time.Time
	if ver.Carrier == topCarrier {
		for _, f := range fields {
			if strings.EqualFold(f.name, "DKIM-Signature") {
				var x time.Time
				if s, err := strconv.ParseInt(tags(f.value)["x"], 10, 64); err == nil {
					x = time.Unix(s, 0).UTC()
				}
				expires = append(expires, x)
			}
		}
		if len(expires) != len(ver.Signatures) {
			expires = nil // read differently from mime: do not guess
		}
	}
	now := rd.now()
	var reasons []tlsrpt.Diagnostic
	var found *vouch
	retry := false
	for i, s := range ver.Signatures {
		path := hp + "DKIM-Signature[" + strconv.Itoa(i+1) + "]"
		who := "signature d=" + s.Domain + " s=" + s.Selector
		add := func(code tlsrpt.Code, msg string) {
			reasons = append(reasons, tlsrpt.Diagnostic{Path: path, Code: code, Severity: tlsrpt.SeverityError, Message: who + ": " + msg})
		}
		expired := isExpired(s.Err)
		if s.Err == nil && expires != nil && !expires[i].IsZero() && now.After(expires[i]) {
			expired = true
		}
		switch {
		case expired:
			msg := "signature expired"
			if expires != nil && !expires[i].IsZero() {
				msg += " at " + expires[i].Format(time.RFC3339)
			}
			add(CodeSignatureExpired, msg+"; verify at arrival or trust your MX's Authentication-Results")
		case s.Err != nil && dkim.IsTempFail(s.Err):
			retry = true
			add(CodeDNSTemporary, "key not available for now ("+s.Err.Error()+"); retry later")
		case s.Err != nil:
			add(CodeBadSignature, "does not verify: "+s.Err.Error())
		case s.BodyLength:
			add(CodeBadSignature, "uses l= (RFC 8460 §3 forbids it)")
		case isPublicSuffix(s.Domain):
			add(CodePublicSuffix, "d= is a public suffix; it aligns with no submitter")
		case !aligned(s.Domain, submitter):
			add(CodeNotAligned, "d= is not in the organizational domain of the submitter "+strconv.Quote(submitter))
		case found == nil:
			found = &vouch{domain: s.Domain, selector: s.Selector}
			if s.ServiceEmailOnly {
				found.notes = append(found.notes, tlsrpt.Diagnostic{Path: path, Code: CodeKeyEmailOnly, Severity: tlsrpt.SeverityInfo,
					Message: who + ": key restricted to s=email; RFC 8460 §3 allows ignoring such reports, this reader does not"})
			}
		}
	}
	if found != nil {
		return found, nil, false
	}
	return nil, reasons, retry
}

// isExpired reports whether err is go-msgauth's expired-signature
// failure. QUIRK(go-msgauth v0.7): the expiry (x= before its clock) is a
// permanent failure told apart only by its text, checked before the key
// is fetched or the hashes computed; TestGoMsgauthExpiryText pins it.
func isExpired(err error) bool {
	return err != nil && dkim.IsPermFail(err) && strings.Contains(err.Error(), "signature has expired")
}
