package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// StoredReport is a report read back with Get: the Entry as stored, plus
// its key and content hash.
type StoredReport struct {
	// Key identifies the report in the store.
	Key int64
	// Report is the report, decoded from the stored canonical JSON: equal
	// to the Entry's report (times are kept to the nanosecond here).
	Report *report.Report
	// Raw is the input as received, byte for byte (nil when none was
	// stored).
	Raw []byte
	// Diagnostics are the Entry's diagnostics, in order.
	Diagnostics []report.Warning
	// Trust is the verdict, as last set by Put or SetTrust.
	Trust Trust
	// Source is the Entry's source.
	Source string
	// Received is the Entry's arrival time, in UTC to the microsecond.
	Received time.Time
	// ContentHash is the SHA-256 of the canonical JSON (see ContentHash).
	ContentHash [sha256.Size]byte
}

// Get reads back the report stored under key, with its diagnostics, trust
// verdict and raw bytes. It fails with ErrNotFound for an unknown key.
func (s *Store) Get(ctx context.Context, key int64) (*StoredReport, error) {
	out := &StoredReport{Key: key}
	var hash, canonical, raw []byte
	var encoding string
	var verdict string
	err := s.db.QueryRowContext(ctx, rebind(s.dialect, `SELECT r.content_sha256, r.source, r.received_at, r.trust, r.trust_by, r.trust_reason,
	d.canonical_gz, d.raw, d.raw_encoding
FROM tlsrpt_reports r JOIN tlsrpt_report_data d ON d.report_key = r.report_key
WHERE r.report_key = ?`), key).Scan(&hash, &out.Source, timeScan{&out.Received}, &verdict, &out.Trust.By, &out.Trust.Reason,
		&canonical, &raw, &encoding)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: key %d", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %d: %w", key, err)
	}
	out.Trust.Verdict = Verdict(verdict)
	copy(out.ContentHash[:], hash)
	js, err := s.gz.decompress(canonical)
	if err != nil {
		return nil, fmt.Errorf("store: get %d: canonical JSON: %w", key, err)
	}
	out.Report = new(report.Report)
	if err := out.Report.UnmarshalJSON(js); err != nil {
		return nil, fmt.Errorf("store: get %d: canonical JSON: %w", key, err)
	}
	switch encoding {
	case rawIdentity:
		if len(raw) > 0 {
			out.Raw = raw
		}
	case rawGzip:
		if out.Raw, err = s.gz.decompress(raw); err != nil {
			return nil, fmt.Errorf("store: get %d: raw: %w", key, err)
		}
	default:
		return nil, fmt.Errorf("store: get %d: unknown raw encoding %q", key, encoding)
	}

	rows, err := s.db.QueryContext(ctx, rebind(s.dialect, `SELECT code, severity, path, byte_offset, input_index, message, fix
FROM tlsrpt_diagnostics WHERE report_key = ? ORDER BY seq`), key)
	if err != nil {
		return nil, fmt.Errorf("store: get %d: diagnostics: %w", key, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d tlsrpt.Diagnostic
		var code, severity string
		var offset int64
		if err := rows.Scan(&code, &severity, &d.Path, &offset, &d.Index, &d.Message, &d.Fix); err != nil {
			return nil, fmt.Errorf("store: get %d: diagnostics: %w", key, err)
		}
		d.Code, d.Severity, d.Offset = tlsrpt.Code(code), tlsrpt.Severity(severity), int(offset)
		out.Diagnostics = append(out.Diagnostics, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: get %d: diagnostics: %w", key, err)
	}
	return out, nil
}

// SetTrust replaces the trust verdict of the report stored under key, for
// instance once a VerdictRetry report could be judged, or when a duplicate
// arrived by a way that authenticates it. It fails with ErrNotFound for an
// unknown key.
func (s *Store) SetTrust(ctx context.Context, key int64, t Trust) error {
	if s.dialect == DialectSQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	res, err := s.db.ExecContext(ctx, rebind(s.dialect,
		"UPDATE tlsrpt_reports SET trust = ?, trust_by = ?, trust_reason = ? WHERE report_key = ?"),
		string(t.Verdict), t.By, t.Reason, key)
	if err != nil {
		return fmt.Errorf("store: set trust %d: %w", key, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%w: key %d", ErrNotFound, key)
	}
	return nil
}
