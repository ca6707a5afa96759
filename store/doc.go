// Package store keeps SMTP TLS reports (RFC 8460) in a SQL database.
package store
