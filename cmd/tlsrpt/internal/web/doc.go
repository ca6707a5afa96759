// Package web is the dashboard of "tlsrpt serve": HTML pages and a JSON API
// over a store of SMTP TLS reports (RFC 8460), rendered on the server.
//
// The pages are html/template templates embedded in the binary; the charts
// are SVG drawn on the server; the style sheet and the favicon are served
// from the binary too. Nothing is loaded from another host and no page needs
// JavaScript. Every value read from a report is untrusted text (a report
// POSTed over HTTPS is not authenticated, RFC 8460 §7): the templates escape
// it, isolate its direction (RTL names) and let the style sheet wrap it.
//
// # Routes
//
//	GET /                      overview: totals, charts per day, domains, breakdowns, alerts
//	GET /domains/{domain}      one policy domain: trend, breakdowns with advice, readiness, reports
//	GET /reports               the reports of the window, the latest first, 100 a page (offset)
//	GET /reports/{key}         one stored report: every field, repairs, trust verdict
//	GET /reports/{key}/raw     the report as received, as a download
//	GET /api/summary           store.Summary as JSON
//	GET /api/domains/{domain}  store.Summary and store.Readiness of a domain
//	GET /api/reports           store.ReportList of the window (limit, offset)
//	GET /api/reports/{key}     one stored report
//	GET /api/alerts            store.Alerts of the window
//	GET /style.css, /favicon.svg, /favicon.ico
//
// # Filters
//
// Filters live in the URL query, with the names of the store verbs' flags:
// days (a number, or "all"), since and until (YYYY-MM-DD), domain, reporter,
// trust, policy-type, mode, result-type, family, mx and ip. Every link of a
// page keeps them. The default window is the last 30 UTC days, today
// included.
package web
