// Package importgraph holds the test that enforces the module's one-way
// package graph: the root package tlsrpt (the shared vocabulary) is a
// leaf; dnsrecord and policy import only it; report imports policy and
// does no network or TLS work; mime and aggregate import report; submit
// imports report, mime and dnsrecord; store imports report and policy;
// nothing imports the examples; internal/dbtest links the SQL drivers and
// internal/browsertest chromedp, for tests only; the command alone uses the
// Prometheus client. It has no code of its own.
package importgraph
