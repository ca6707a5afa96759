package web

import (
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-tlsrpt/tlsrpt/report"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// funcs are the templates' functions.
var funcs = template.FuncMap{
	"num":  Num,
	"rate": rateOf,
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"domainPath": domainPath,
	// lastDay is the last day of a window ending (exclusive) at t.
	"lastDay": func(t time.Time) string { return t.UTC().AddDate(0, 0, -1).Format(time.DateOnly) },
	"keyPath": func(k int64) string { return "/reports/" + itoa(k) },
	"join":    strings.Join,
	"verdictClass": func(v store.Verdict) string {
		switch v {
		case store.VerdictTrusted:
			return "good"
		case store.VerdictUntrusted:
			return "bad"
		}
		return "warn"
	},
	"readinessClass": func(r *store.Readiness) string {
		switch {
		case r.Verdict == store.ReadyForEnforce, r.Verdict == store.Enforcing && r.Failed == 0:
			return "good"
		case r.Verdict == store.NotReady, r.Verdict == store.Enforcing:
			return "bad" // enforcing with sessions refused
		}
		return "warn"
	},
	"readinessText": func(v store.ReadinessVerdict) string {
		switch v {
		case store.ReadyForEnforce:
			return "Ready for enforce"
		case store.NotReady:
			return "Not ready"
		case store.NotEnoughData:
			return "Not enough data"
		case store.Enforcing:
			return "Enforcing"
		}
		return string(v)
	},
	"severityClass": func(s any) string {
		switch strings.ToLower(toString(s)) {
		case "error":
			return "bad"
		case "warning":
			return "warn"
		}
		return "info"
	},
	"str":  toString,
	"clip": clip,
	"long": func(id, s string) longText {
		head := clip(s, longHead)
		if head == s {
			return longText{ID: id, Head: s}
		}
		head = head[:len(head)-len("…")]
		return longText{ID: id, Head: head, Rest: s[len(head):], N: utf8.RuneCountInString(s)}
	},
	"list":        func(s ...string) []string { return s },
	"add":         func(a, b int64) int64 { return a + b },
	"resultTypes": report.ResultTypes,
	"tbl": func(p *page, id, title, key string, rows any) *table {
		return &table{Q: p.Q, Path: p.Path, ID: id, Title: title, Key: key, Rows: rows}
	},
	"rows": func(p *page, rows []reportRow, more int, all string) *table {
		return &table{Q: p.Q, Path: p.Path, ID: "reports", Rows: rows, More: more, All: all}
	},
	"i64": func(n int) int64 { return int64(n) },
	"barWidth": func(part, whole int64) string {
		if whole <= 0 {
			return "0"
		}
		return strconv.FormatFloat(100*float64(part)/float64(whole), 'f', 1, 64)
	},
}

// table is what the table templates get: rows, and the page's filters
// for the links that narrow them (Key is the filter a row's link sets).
type table struct {
	Q                    *query
	Path, ID, Title, Key string
	Rows                 any
	// More reports are not shown; All links to them.
	More int
	All  string
}

// longHead is how many characters of a long value a page shows before
// a <details> holds the rest.
const longHead = 256

// longText is a value split for the "long" template.
type longText struct {
	ID, Head, Rest string
	N              int
}

// clip cuts s to n characters, with "…" when it was longer; the tables
// clip what the report page shows whole.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// toString turns a string-typed value (a Verdict, a Code) into a string.
func toString(v any) string { return fmt.Sprint(v) }

// rateOf formats failed of sessions as a percentage, "–" without sessions.
func rateOf(failed, sessions int64) string {
	if sessions == 0 {
		return "–"
	}
	return Percent(100 * float64(failed) / float64(sessions))
}

// domainPath is the path of a domain's page, the domain escaped as one
// path segment.
func domainPath(d string) string { return "/domains/" + url.PathEscape(d) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
