package ingest

import (
	"strconv"
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/go-tlsrpt/tlsrpt"
)

// authResults is one Authentication-Results field (RFC 8601 §2.2).
type authResults struct {
	index   int    // 1-based among the message's Authentication-Results fields
	id      string // authserv-id, lower-cased
	results []authres.Result
}

// path names the field in diagnostics.
func (a *authResults) path() string {
	return "mime:header.Authentication-Results[" + strconv.Itoa(a.index) + "]"
}

// dkimPasses returns the header.d of the dkim=pass results (from header.i
// when header.d is missing), lower-cased.
func (a *authResults) dkimPasses() []string {
	var out []string
	for _, r := range a.results {
		dr, ok := r.(*authres.DKIMResult)
		if !ok || dr.Value != authres.ResultPass {
			continue
		}
		d := dr.Domain
		if d == "" {
			_, d, _ = strings.Cut(dr.Identifier, "@")
		}
		if d != "" {
			out = append(out, strings.ToLower(strings.TrimSuffix(d, ".")))
		}
	}
	return out
}

// believedAuthResults returns the Authentication-Results fields of the
// header that are believed, and the others. The rule (see the package
// documentation): walking from the top, fields before the first
// Authentication-Results field are skipped; if that field's authserv-id
// is not in trusted, none is believed; otherwise it and the following
// Authentication-Results fields with a trusted authserv-id are believed,
// up to the first Received field or Authentication-Results field with
// another authserv-id. Fields whose syntax go-msgauth cannot read are
// skipped for what could not be read (comments are removed first, RFC
// 8601 §2.2 allows them anywhere).
func believedAuthResults(fields []field, trusted []string) (believed, ignored []*authResults) {
	isTrusted := func(id string) bool {
		for _, t := range trusted {
			if strings.EqualFold(strings.TrimSpace(t), id) {
				return true
			}
		}
		return false
	}
	n := 0
	state := 0 // 0 before the first A-R, 1 in the believed run, 2 after it
	for _, f := range fields {
		switch {
		case strings.EqualFold(f.name, "Received"):
			if state == 1 {
				state = 2
			}
			continue
		case !strings.EqualFold(f.name, "Authentication-Results"):
			continue
		}
		n++
		id, results, _ := authres.Parse(stripComments(f.value))
		ar := &authResults{index: n, id: strings.ToLower(id), results: results}
		if state < 2 && isTrusted(ar.id) {
			state = 1
			believed = append(believed, ar)
			continue
		}
		state = 2
		ignored = append(ignored, ar)
	}
	return believed, ignored
}

// authResVerdict judges a mail's Authentication-Results: the believed
// field with a dkim=pass aligned with submitter that vouches, or nil, and
// the notes: every ignored field that claimed a dkim=pass, every believed
// dkim=pass that is not aligned.
func authResVerdict(believed, ignored []*authResults, submitter string) (by *authResults, byDomain string, notes []tlsrpt.Diagnostic) {
	for _, ar := range believed {
		for _, d := range ar.dkimPasses() {
			if submitter != "" && aligned(d, submitter) {
				if by == nil {
					by, byDomain = ar, d
				}
				continue
			}
			notes = append(notes, tlsrpt.Diagnostic{Path: ar.path(), Code: CodeNotAligned, Severity: tlsrpt.SeverityInfo,
				Message: "Authentication-Results of " + ar.id + ": dkim=pass header.d=" + d + " is not aligned with the submitter " + quoteOrNone(submitter)})
		}
	}
	for _, ar := range ignored {
		if len(ar.dkimPasses()) > 0 {
			notes = append(notes, tlsrpt.Diagnostic{Path: ar.path(), Code: CodeAuthResIgnored, Severity: tlsrpt.SeverityInfo,
				Message: "Authentication-Results of " + strconv.Quote(ar.id) + " claiming dkim=pass ignored: not a trusted authserv-id, or not among the topmost fields of the trusted MX"})
		}
	}
	return by, byDomain, notes
}

// quoteOrNone quotes s, or says "(none)".
func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}
