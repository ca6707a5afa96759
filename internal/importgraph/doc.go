// Package importgraph holds the test that enforces the one-way package
// graph of DESIGN.md: dnsrecord and policy are leaves, report imports only
// policy, mime imports report, submit imports report, mime and dnsrecord,
// store imports report and policy, and nothing imports the examples;
// internal/dbtest links the SQL drivers for tests only. It has no code of
// its own.
package importgraph
