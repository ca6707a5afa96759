// Package importgraph holds the test that enforces the module's one-way
// package graph: the root package tlsrpt (the shared vocabulary) is a
// leaf; dnsrecord and policy may import only it; report may import policy
// and does no network or TLS work; mime and aggregate may import report
// and policy, ingest those and mime; submit may import report, policy,
// mime and dnsrecord; store may import report, policy, aggregate and
// submit (it implements aggregate.Store and submit.Queue); nothing
// imports the examples; internal/dbtest links the SQL drivers and
// internal/browsertest chromedp, for tests only; the command alone uses
// the Prometheus client. It has no code of its own.
package importgraph
