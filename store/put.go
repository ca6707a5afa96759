package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/jsonstr"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// Put stores e unless it duplicates a stored report (see Duplicate), in
// one transaction: the report, its data, its diagnostics, its policy rows
// and failure rows, and its share of the views' rollups are all stored,
// or nothing is. Of several Puts of the
// same report running at once, in this process or others, exactly one
// stores it and the others return its Key as a duplicate.
func (s *Store) Put(ctx context.Context, e Entry) (PutResult, error) {
	res, err := s.PutBatch(ctx, []Entry{e})
	if err != nil {
		return PutResult{}, err
	}
	return res[0], nil
}

// PutBatch stores several entries in one transaction, which is much
// faster than one Put each when reports arrive in bulk (an import of a
// Maildir): one commit, hence one disk sync, and multi-row inserts. It
// returns one PutResult per entry, in order; an entry duplicating an
// earlier entry of the same batch is reported as a duplicate of it. When
// it fails, nothing of the batch is stored. An entry without Report or
// whose report cannot be encoded (see ContentHash) fails the whole batch
// before anything is written.
func (s *Store) PutBatch(ctx context.Context, entries []Entry) ([]PutResult, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	now := s.now()
	prep := make([]prepared, len(entries))
	for i := range entries {
		if err := s.prepare(&prep[i], &entries[i], now); err != nil {
			return nil, fmt.Errorf("store: entry %d: %w", i, err)
		}
	}
	if s.dialect == DialectSQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	var res []PutResult
	var err error
	for attempt := 0; ; attempt++ {
		res, err = s.putTx(ctx, prep)
		if err == nil || attempt == 4 || !retryable(err) || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("store: put: %w", err)
	}
	return res, nil
}

// retryable reports whether err is a PostgreSQL deadlock (40P01) or
// serialization failure (40001): the transaction may succeed if run again.
// Drivers expose the SQLSTATE through a SQLState method (pgx's *pgconn.PgError).
func retryable(err error) bool {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		c := st.SQLState()
		return c == "40P01" || c == "40001"
	}
	return false
}

// prepared is an Entry with what the write needs computed outside the
// transaction: the content hash, the compressed canonical JSON and raw
// bytes.
type prepared struct {
	e           *Entry
	hash        [sha256.Size]byte
	canonical   []byte // gzip
	raw         []byte
	rawEncoding string
	received    time.Time
}

func (s *Store) prepare(p *prepared, e *Entry, now time.Time) error {
	if e.Report == nil {
		return errors.New("no report")
	}
	js, err := e.Report.AppendJSON(nil)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	p.e = e
	p.hash = sha256.Sum256(js)
	p.canonical = s.gz.compress(nil, js)
	p.raw, p.rawEncoding = e.Raw, rawIdentity
	if len(e.Raw) > 0 && !isGzip(e.Raw) {
		if z := s.gz.compress(nil, e.Raw); len(z) < len(e.Raw) {
			p.raw, p.rawEncoding = z, rawGzip
		}
	}
	if p.raw == nil {
		p.raw = []byte{}
	}
	p.received = e.Received
	if p.received.IsZero() {
		p.received = now
	}
	return nil
}

// putTx runs the write transaction for a batch.
func (s *Store) putTx(ctx context.Context, prep []prepared) ([]PutResult, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	res := make([]PutResult, len(prep))
	// first[i] is the index of the first entry of the batch with the same
	// hash as entry i. Only entries first by hash and by report-id are
	// inserted, so that within a batch, too, the first copy is the one
	// kept; the others are looked up as duplicates afterwards (later[]).
	// Inserting in hash order makes concurrent batches lock index entries
	// in the same order (no deadlock between two imports of the same
	// reports on PostgreSQL).
	first := make([]int, len(prep))
	byHash := make(map[[sha256.Size]byte]int, len(prep))
	byID := make(map[[2]string]bool, len(prep))
	var order, later []int
	for i := range prep {
		if j, ok := byHash[prep[i].hash]; ok {
			first[i] = j
			continue
		}
		byHash[prep[i].hash] = i
		first[i] = i
		if r := prep[i].e.Report; r.ReportID != "" {
			id := [2]string{r.OrganizationName, r.ReportID}
			if byID[id] {
				later = append(later, i)
				continue
			}
			byID[id] = true
		}
		order = append(order, i)
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(prep[a].hash[:], prep[b].hash[:]) })

	// Insert the reports; a conflict on either unique index inserts
	// nothing for that row, and RETURNING names the rows inserted.
	inserted := make(map[[sha256.Size]byte]int64, len(order))
	const reportCols = 11
	for _, chunk := range chunks(order, maxParams/reportCols) {
		q, args := s.insertSQL("tlsrpt_reports",
			"organization_name, contact_info, report_id, begin_date, end_date, content_sha256, source, received_at, trust, trust_by, trust_reason",
			reportCols, len(chunk)), make([]any, 0, reportCols*len(chunk))
		for _, i := range chunk {
			p := &prep[i]
			r := p.e.Report
			args = append(args, r.OrganizationName, r.ContactInfo, r.ReportID,
				timeArg(s.dialect, r.DateRange.Start), timeArg(s.dialect, r.DateRange.End),
				p.hash[:], p.e.Source, timeArg(s.dialect, p.received),
				string(p.e.Trust.Verdict), p.e.Trust.By, p.e.Trust.Reason)
		}
		q += " ON CONFLICT DO NOTHING RETURNING report_key, content_sha256"
		var rows *sql.Rows
		var err error
		if len(chunk) <= maxCachedRows {
			rows, err = s.txQuery(ctx, tx, q, args...)
		} else {
			rows, err = tx.QueryContext(ctx, q, args...)
		}
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var key int64
			var h []byte
			if err := rows.Scan(&key, &h); err != nil {
				rows.Close()
				return nil, err
			}
			inserted[[sha256.Size]byte(h)] = key
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}

	var stored []int
	for _, i := range order {
		if key, ok := inserted[prep[i].hash]; ok {
			res[i] = PutResult{Key: key}
			stored = append(stored, i)
			continue
		}
		r, err := s.findDuplicate(ctx, tx, &prep[i])
		if err != nil {
			return nil, err
		}
		res[i] = r
	}
	for _, i := range later {
		r, err := s.findDuplicate(ctx, tx, &prep[i])
		if err != nil {
			return nil, err
		}
		res[i] = r
	}
	for i := range prep {
		if j := first[i]; j != i {
			res[i] = res[j]
			if res[i].Duplicate == "" {
				res[i].Duplicate = DuplicateContent
			}
		}
	}
	if len(stored) > 0 {
		if err := s.insertDetails(ctx, tx, prep, res, stored); err != nil {
			return nil, err
		}
		if err := s.insertRollups(ctx, tx, res, stored); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return res, nil
}

// findDuplicate returns the stored report an entry whose insert conflicted
// duplicates: by content first, then by report-id.
func (s *Store) findDuplicate(ctx context.Context, tx *sql.Tx, p *prepared) (PutResult, error) {
	key, err := s.queryKey(ctx, tx, "SELECT report_key FROM tlsrpt_reports WHERE content_sha256 = ?", p.hash[:])
	if err == nil {
		return PutResult{Key: key, Duplicate: DuplicateContent}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return PutResult{}, err
	}
	r := p.e.Report
	key, err = s.queryKey(ctx, tx, "SELECT report_key FROM tlsrpt_reports WHERE organization_name = ? AND report_id = ? AND report_id <> ''",
		r.OrganizationName, r.ReportID)
	if err == nil {
		return PutResult{Key: key, Duplicate: DuplicateReportID}, nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return PutResult{}, errors.New("insert conflicted but no stored report matches")
	}
	return PutResult{}, err
}

// queryKey runs a query for one report_key in tx (sql.ErrNoRows when
// there is none).
func (s *Store) queryKey(ctx context.Context, tx *sql.Tx, q string, args ...any) (int64, error) {
	rows, err := s.txQuery(ctx, tx, rebind(s.dialect, q), args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, sql.ErrNoRows
	}
	var key int64
	if err := rows.Scan(&key); err != nil {
		return 0, err
	}
	return key, rows.Close()
}

// insertDetails inserts the data, diagnostics, policy rows and failure
// rows of the stored entries, with multi-row inserts.
func (s *Store) insertDetails(ctx context.Context, tx *sql.Tx, prep []prepared, res []PutResult, stored []int) error {
	var data, diags, pols, fails batch
	data.init(s, "tlsrpt_report_data", "report_key, canonical_gz, raw, raw_encoding, raw_size", 5)
	diags.init(s, "tlsrpt_diagnostics", "report_key, seq, code, severity, path, byte_offset, input_index, message, fix", 9)
	pols.init(s, "tlsrpt_policies",
		"report_key, policy_index, policy_type, policy_domain, policy_mode, policy_strings, mx_host_patterns, successful_session_count, failed_session_count", 9)
	fails.init(s, "tlsrpt_failures",
		"report_key, policy_index, detail_index, result_type, sending_mta_ip, receiving_ip, receiving_mx_hostname, receiving_mx_helo, failed_session_count, additional_info_uri, failure_reason_code", 11)
	var buf []byte
	for _, i := range stored {
		p := &prep[i]
		key := res[i].Key
		if err := data.add(ctx, tx, key, p.canonical, p.raw, p.rawEncoding, int64(len(p.e.Raw))); err != nil {
			return err
		}
		for n, d := range p.e.Diagnostics {
			if err := diags.add(ctx, tx, key, n, string(d.Code), string(d.Severity), d.Path, int64(d.Offset), d.Index, d.Message, d.Fix); err != nil {
				return err
			}
		}
		for pi := range p.e.Report.Policies {
			pr := &p.e.Report.Policies[pi]
			var strs, mx string
			buf, strs = jsonArray(buf[:0], pr.Policy.Strings)
			buf, mx = jsonArray(buf[:0], pr.Policy.MXHosts)
			if err := pols.add(ctx, tx, key, pi, string(pr.Policy.Type), pr.Policy.Domain, stsMode(pr.Policy), strs, mx,
				pr.Summary.TotalSuccessfulSessionCount, pr.Summary.TotalFailureSessionCount); err != nil {
				return err
			}
		}
	}
	// Failure rows reference policy rows: those go first.
	if err := pols.flush(ctx, tx); err != nil {
		return err
	}
	for _, i := range stored {
		p := &prep[i]
		key := res[i].Key
		for pi := range p.e.Report.Policies {
			for di, f := range p.e.Report.Policies[pi].FailureDetails {
				if err := fails.add(ctx, tx, key, pi, di, string(f.ResultType), addr(f.SendingMTAIP.IsValid(), f.SendingMTAIP.String),
					addr(f.ReceivingIP.IsValid(), f.ReceivingIP.String), f.ReceivingMXHostname, f.ReceivingMXHelo,
					f.FailedSessionCount, f.AdditionalInformation, f.FailureReasonCode); err != nil {
					return err
				}
			}
		}
	}
	for _, b := range []*batch{&data, &diags, &fails} {
		if err := b.flush(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// insertRollups fills the rollups (schema version 2) for the stored
// entries from their rows just inserted, in the same transaction.
func (s *Store) insertRollups(ctx context.Context, tx *sql.Tx, res []PutResult, stored []int) error {
	for _, chunk := range chunks(stored, maxParams/2) {
		args := make([]any, 0, 2*len(chunk))
		for _, i := range chunk {
			args = append(args, res[i].Key)
		}
		args = append(args, args...)
		for _, q := range rollupSQL(s.dialect, len(chunk)) {
			var err error
			if len(chunk) <= maxCachedRows {
				err = s.txExec(ctx, tx, q, args...)
			} else {
				_, err = tx.ExecContext(ctx, q, args...)
			}
			if err != nil {
				return fmt.Errorf("rollup: %w", err)
			}
		}
	}
	return nil
}

// addr returns the text of an address, "" for the zero Addr.
func addr(valid bool, text func() string) string {
	if !valid {
		return ""
	}
	return text()
}

// jsonArray encodes ss as a JSON array of strings (policy_strings and
// mx_host_patterns columns).
func jsonArray(buf []byte, ss []string) ([]byte, string) {
	buf = append(buf, '[')
	for i, s := range ss {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf, _ = jsonstr.Append(buf, s) // invalid UTF-8 was refused by the encoder already
	}
	buf = append(buf, ']')
	return buf, string(buf)
}

// stsMode returns the value of the "mode:" line of an sts policy-string
// (RFC 8461 §3.2: enforce, testing or none), as sent but trimmed; "" for
// other policy types or when there is no such line.
func stsMode(p policy.Policy) string {
	if p.Type != policy.TypeSTS {
		return ""
	}
	for _, line := range p.Strings {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "mode") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// maxCachedRows is the largest multi-row insert run as a cached prepared
// statement (see stmtCache).
const maxCachedRows = 4

// maxParams bounds the bind parameters of one statement, below SQLite's
// default limit of 32766 and PostgreSQL's 65535, and small enough that a
// statement stays cheap to parse.
const maxParams = 990

// chunks splits s into pieces of at most n.
func chunks(s []int, n int) [][]int {
	var out [][]int
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

// insertSQL returns "INSERT INTO table (cols) VALUES (?, …), …" for rows
// rows of ncols values, with the dialect's placeholders.
func (s *Store) insertSQL(table, cols string, ncols, rows int) string {
	var b strings.Builder
	b.Grow(len(table) + len(cols) + 32 + rows*(ncols*5+4))
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" (")
	b.WriteString(cols)
	b.WriteString(") VALUES ")
	n := 0
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := 0; c < ncols; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			n++
			if s.dialect == DialectPostgres {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// batch collects the rows of a multi-row insert and runs it when it holds
// maxParams values.
type batch struct {
	s     *Store
	table string
	cols  string
	ncols int
	args  []any
}

func (b *batch) init(s *Store, table, cols string, ncols int) {
	b.s, b.table, b.cols, b.ncols = s, table, cols, ncols
}

func (b *batch) add(ctx context.Context, tx *sql.Tx, values ...any) error {
	b.args = append(b.args, values...)
	if len(b.args)+b.ncols > maxParams {
		return b.flush(ctx, tx)
	}
	return nil
}

func (b *batch) flush(ctx context.Context, tx *sql.Tx) error {
	if len(b.args) == 0 {
		return nil
	}
	rows := len(b.args) / b.ncols
	q := b.s.insertSQL(b.table, b.cols, b.ncols, rows)
	var err error
	if rows <= maxCachedRows {
		err = b.s.txExec(ctx, tx, q, b.args...)
	} else {
		_, err = tx.ExecContext(ctx, q, b.args...)
	}
	b.args = b.args[:0]
	return err
}
