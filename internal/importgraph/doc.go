// Package importgraph holds the test that enforces the one-way package
// graph of DESIGN.md: dnsrecord and policy are leaves, report imports only
// policy, mime imports report, submit imports report, mime and dnsrecord,
// and nothing imports the examples. It has no code of its own.
package importgraph
