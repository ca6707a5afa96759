package store

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/internal/jsonstr"
)

// Format is an export format.
type Format string

// The export formats; the zero value is FormatCSV.
const (
	// FormatCSV: CSV as encoding/csv writes it (RFC 4180 quoting, but LF
	// line ends, as parsedmarc's), a header line, then one line per row;
	// lists are joined with "|".
	FormatCSV Format = "csv"
	// FormatJSONLines: one JSON object per row and line (JSON Lines), with
	// the CSV's column names as member names in the same order, numbers as
	// numbers, lists as arrays, and null for the columns that do not apply
	// to the row's kind.
	FormatJSONLines Format = "jsonl"
)

// columns are the export columns, in order: the CSV header and the JSON
// Lines member names. The package documentation describes each and maps
// it to parsedmarc's smtp_tls output.
var columns = []string{
	"row_type",
	"report_key",
	"organization_name",
	"contact_info",
	"report_id",
	"begin_date",
	"end_date",
	"policy_index",
	"policy_type",
	"policy_domain",
	"policy_mode",
	"policy_strings",
	"mx_host_patterns",
	"successful_session_count",
	"failed_session_count",
	"detail_index",
	"result_type",
	"sending_mta_ip",
	"receiving_ip",
	"receiving_mx_hostname",
	"receiving_mx_helo",
	"additional_info_uri",
	"failure_reason_code",
	"trust",
	"source",
	"received_at",
}

// Export writes the rows f selects (see Rows for the order) to w in the
// given format. Dates are RFC 3339 in UTC ("2026-11-29T00:00:00Z"). The
// output depends only on the stored data, so the same store exports the
// same bytes. Export does not close w.
func (s *Store) Export(ctx context.Context, w io.Writer, format Format, f Filter) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var write func(*Row) error
	var cw *csv.Writer
	switch format {
	case FormatCSV, "":
		cw = csv.NewWriter(bw)
		if err := cw.Write(columns); err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
		rec := make([]string, len(columns))
		write = func(r *Row) error {
			csvRecord(rec, r)
			return cw.Write(rec)
		}
	case FormatJSONLines:
		var buf []byte
		write = func(r *Row) error {
			buf = appendJSONRow(buf[:0], r)
			_, err := bw.Write(buf)
			return err
		}
	default:
		return fmt.Errorf("store: export: unknown format %q", format)
	}
	for r, err := range s.Rows(ctx, f) {
		if err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
		if err := write(&r); err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

// exportTime formats a time column.
func exportTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// csvRecord fills rec with r's columns (see columns).
func csvRecord(rec []string, r *Row) {
	failure := r.Kind == RowFailure
	pick := func(s string) string {
		if failure {
			return s
		}
		return ""
	}
	rec[0] = string(r.Kind)
	rec[1] = strconv.FormatInt(r.Key, 10)
	rec[2] = r.OrganizationName
	rec[3] = r.ContactInfo
	rec[4] = r.ReportID
	rec[5] = exportTime(r.DateRange.Start)
	rec[6] = exportTime(r.DateRange.End)
	rec[7] = strconv.Itoa(r.PolicyIndex)
	rec[8] = string(r.Policy.Type)
	rec[9] = r.Policy.Domain
	rec[10] = r.Mode
	rec[11] = strings.Join(r.Policy.Strings, "|")
	rec[12] = strings.Join(r.Policy.MXHosts, "|")
	if failure {
		rec[13] = ""
		rec[14] = strconv.FormatInt(r.Failure.FailedSessionCount, 10)
		rec[15] = strconv.Itoa(r.DetailIndex)
	} else {
		rec[13] = strconv.FormatInt(r.Summary.TotalSuccessfulSessionCount, 10)
		rec[14] = strconv.FormatInt(r.Summary.TotalFailureSessionCount, 10)
		rec[15] = ""
	}
	rec[16] = pick(string(r.Failure.ResultType))
	rec[17] = pick(addr(r.Failure.SendingMTAIP.IsValid(), r.Failure.SendingMTAIP.String))
	rec[18] = pick(addr(r.Failure.ReceivingIP.IsValid(), r.Failure.ReceivingIP.String))
	rec[19] = pick(r.Failure.ReceivingMXHostname)
	rec[20] = pick(r.Failure.ReceivingMXHelo)
	rec[21] = pick(r.Failure.AdditionalInformation)
	rec[22] = pick(r.Failure.FailureReasonCode)
	rec[23] = string(r.Trust)
	rec[24] = r.Source
	rec[25] = exportTime(r.Received)
}

// appendJSONRow appends r as one JSON Lines record (see columns).
func appendJSONRow(b []byte, r *Row) []byte {
	failure := r.Kind == RowFailure
	str := func(name, v string, applies bool) {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		if !applies {
			b = append(b, "null"...)
			return
		}
		b, _ = jsonstr.Append(b, v)
	}
	num := func(name string, v int64, applies bool) {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		if !applies {
			b = append(b, "null"...)
			return
		}
		b = strconv.AppendInt(b, v, 10)
	}
	list := func(name string, vs []string) {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, `":[`...)
		for i, v := range vs {
			if i > 0 {
				b = append(b, ',')
			}
			b, _ = jsonstr.Append(b, v)
		}
		b = append(b, ']')
	}
	b = append(b, `{"row_type":`...)
	b, _ = jsonstr.Append(b, string(r.Kind))
	num("report_key", r.Key, true)
	str("organization_name", r.OrganizationName, true)
	str("contact_info", r.ContactInfo, true)
	str("report_id", r.ReportID, true)
	str("begin_date", exportTime(r.DateRange.Start), true)
	str("end_date", exportTime(r.DateRange.End), true)
	num("policy_index", int64(r.PolicyIndex), true)
	str("policy_type", string(r.Policy.Type), true)
	str("policy_domain", r.Policy.Domain, true)
	str("policy_mode", r.Mode, true)
	list("policy_strings", r.Policy.Strings)
	list("mx_host_patterns", r.Policy.MXHosts)
	if failure {
		num("successful_session_count", 0, false)
		num("failed_session_count", r.Failure.FailedSessionCount, true)
	} else {
		num("successful_session_count", r.Summary.TotalSuccessfulSessionCount, true)
		num("failed_session_count", r.Summary.TotalFailureSessionCount, true)
	}
	num("detail_index", int64(r.DetailIndex), failure)
	str("result_type", string(r.Failure.ResultType), failure)
	str("sending_mta_ip", addr(r.Failure.SendingMTAIP.IsValid(), r.Failure.SendingMTAIP.String), failure)
	str("receiving_ip", addr(r.Failure.ReceivingIP.IsValid(), r.Failure.ReceivingIP.String), failure)
	str("receiving_mx_hostname", r.Failure.ReceivingMXHostname, failure)
	str("receiving_mx_helo", r.Failure.ReceivingMXHelo, failure)
	str("additional_info_uri", r.Failure.AdditionalInformation, failure)
	str("failure_reason_code", r.Failure.FailureReasonCode, failure)
	str("trust", string(r.Trust), true)
	str("source", r.Source, true)
	str("received_at", exportTime(r.Received), true)
	return append(b, '}', '\n')
}
