package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	stdmime "mime"
	"net/mail"
	"path"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/capped"
	"github.com/go-tlsrpt/tlsrpt/mime"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// errReportCap is the sentinel of the decompressed-size cap of zip members.
var errReportCap = errors.New("ingest: report size cap")

// read judges one complete input.
func (rd *Reader) read(ctx context.Context, data []byte) *Result {
	res := &Result{Size: int64(len(data)), Format: sniff(data)}
	switch res.Format {
	case FormatMail:
		rd.readMail(ctx, data, res)
	case FormatJSON, FormatGzip:
		rd.readReportFile(data, res)
	case FormatZip:
		rd.readZip(data, res)
	case FormatXML:
		if isDMARCAggregate(bytes.NewReader(data)) {
			res.Fate, res.Kind = FateNotReport, KindDMARCAggregate
			break
		}
		res.Fate, res.Err = FateMalformed, errors.New("ingest: XML that is not a DMARC aggregate report")
	default:
		res.Fate, res.Err = FateMalformed, errors.New("ingest: input is neither a mail, JSON, gzip nor zip")
	}
	return res
}

// notMail is the verdict on a report that did not come by mail.
func notMail() Trust {
	return Trust{Verdict: VerdictUntrusted, Reasons: []tlsrpt.Diagnostic{{Code: CodeNotMail, Severity: tlsrpt.SeverityError,
		Message: "not a mail: nothing signs a report file or HTTPS submission (RFC 8460 §7)"}}}
}

// decode decodes one report (JSON or gzip) with the Reader's cap; a
// report that cannot be counted (usable) is an error.
func (rd *Reader) decode(data []byte) (*report.Report, []tlsrpt.Diagnostic, error) {
	dec := report.Decoder{MaxSize: orDefault(rd.MaxReportSize, DefaultMaxReportSize)}
	rep, warnings, err := dec.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	if d := usable(rep); d != nil {
		return nil, nil, d
	}
	return rep, warnings, nil
}

// fail sets the fate of an input whose decoding failed.
func fail(res *Result, err error) {
	res.Fate, res.Err = FateMalformed, err
	if errors.Is(err, tlsrpt.ErrTooLarge) {
		res.Fate = FateTooLarge
	}
}

// readReportFile reads a bare .json or .json.gz report.
func (rd *Reader) readReportFile(data []byte, res *Result) {
	if res.Format == FormatGzip && isDMARCAggregate(bytes.NewReader(data)) {
		res.Fate, res.Kind = FateNotReport, KindDMARCAggregate
		return
	}
	rep, warnings, err := rd.decode(data)
	if err != nil {
		fail(res, err)
		return
	}
	res.Fate = FateReport
	res.Diagnostics = warnings
	res.Reports = []Report{{Report: rep, Trust: notMail()}}
}

// maxZipMembers caps the members of a zip archive, as mime's Parser caps
// the parts of a mail (100).
const maxZipMembers = 100

// readZip reads a zip archive: each member that is a JSON or gzip report
// is a report (the members' decompressed sizes count together against
// MaxReportSize); a DMARC aggregate report in it makes it one.
func (rd *Reader) readZip(data []byte, res *Result) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		fail(res, fmt.Errorf("ingest: zip: %w", err))
		return
	}
	if len(zr.File) > maxZipMembers {
		fail(res, &tlsrpt.Diagnostic{Path: "ingest:zip", Index: maxZipMembers + 1, Code: CodeTooManyZipMembers,
			Severity: tlsrpt.SeverityError, Message: fmt.Sprintf("zip members limit %d exceeded", maxZipMembers), Err: tlsrpt.ErrTooLarge})
		return
	}
	budget := orDefault(rd.MaxReportSize, DefaultMaxReportSize)
	dmarc := false
	var skipped []string
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			fail(res, fmt.Errorf("ingest: zip member %q: %w", f.Name, err))
			return
		}
		cr := capped.NewReader(rc, budget, errReportCap)
		member, err := io.ReadAll(cr)
		rc.Close()
		budget = max(cr.N, 0)
		if errors.Is(err, errReportCap) {
			fail(res, tooLarge(CodeReportTooLarge, "report size", orDefault(rd.MaxReportSize, DefaultMaxReportSize)))
			return
		}
		if err != nil {
			fail(res, fmt.Errorf("ingest: zip member %q: %w", f.Name, err))
			return
		}
		switch sniff(member) {
		case FormatJSON, FormatGzip:
			if isDMARCAggregate(bytes.NewReader(member)) {
				dmarc = true
				continue
			}
			rep, warnings, err := rd.decode(member)
			if err != nil {
				fail(res, fmt.Errorf("ingest: zip member %q: %w", f.Name, err))
				return
			}
			for _, w := range warnings {
				w.Index = len(res.Reports)
				res.Diagnostics = append(res.Diagnostics, w)
			}
			res.Reports = append(res.Reports, Report{Report: rep, Path: "zip:" + f.Name, Filename: path.Base(f.Name), Trust: notMail()})
		case FormatXML:
			if isDMARCAggregate(bytes.NewReader(member)) {
				dmarc = true
				continue
			}
			skipped = append(skipped, f.Name)
		default:
			skipped = append(skipped, f.Name)
		}
	}
	switch {
	case len(res.Reports) > 0:
		res.Fate = FateReport
		if len(skipped) > 0 || dmarc {
			res.Diagnostics = append(res.Diagnostics, tlsrpt.Diagnostic{Path: "zip", Code: CodeZipMembers, Severity: tlsrpt.SeverityWarning,
				Message: fmt.Sprintf("%d zip member(s) that are not TLS reports skipped", len(skipped)+btoi(dmarc))})
		}
	case dmarc:
		res.Fate, res.Kind = FateNotReport, KindDMARCAggregate
	default:
		res.Fate, res.Err = FateMalformed, errors.New("ingest: zip archive holds no TLS report")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// readMail reads a mail: its reports with their verdicts, or what it is
// instead.
func (rd *Reader) readMail(ctx context.Context, data []byte, res *Result) {
	p := mime.Parser{
		MaxMessageSize: orDefault(rd.MaxMessageSize, DefaultMaxMessageSize),
		MaxReportSize:  orDefault(rd.MaxReportSize, DefaultMaxReportSize),
	}
	msg, err := p.Parse(bytes.NewReader(data))
	switch {
	case errors.Is(err, mime.ErrNoReport):
		res.Mail = headerFacts(data)
		res.Fate, res.Kind = FateNotReport, classify(data)
		return
	case err != nil:
		res.Mail = headerFacts(data)
		fail(res, err)
		return
	}
	res.Fate = FateReport
	res.Diagnostics = msg.Warnings
	res.Mail = &Facts{
		From: msg.From, Subject: msg.Subject, MessageID: msg.MessageID, Date: msg.Date,
		ReportDomain: msg.ReportDomain, Submitter: msg.Submitter, ReportID: msg.ReportID,
	}
	for _, rep := range msg.Reports {
		if d := usable(rep); d != nil {
			fail(res, d)
			return
		}
	}
	trust := rd.trustMail(ctx, data, msg)
	for i, rep := range msg.Reports {
		r := Report{Report: rep, Trust: trust[i]}
		if i < len(msg.Attachments) {
			r.Path, r.Filename = msg.Attachments[i].Path, msg.Attachments[i].Filename
		}
		res.Reports = append(res.Reports, r)
	}
}

// headerFacts reads the facts of a mail that is no report from its own
// header.
func headerFacts(data []byte) *Facts {
	fields := headerFields(data)
	f := &Facts{}
	dec := new(stdmime.WordDecoder)
	word := func(s string) string {
		if d, err := dec.DecodeHeader(s); err == nil {
			return d
		}
		return s
	}
	if v, ok := get(fields, "From"); ok {
		f.From = word(v)
	}
	if v, ok := get(fields, "Subject"); ok {
		f.Subject = word(v)
	}
	if v, ok := get(fields, "Message-ID"); ok {
		f.MessageID = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
	}
	if v, ok := get(fields, "Date"); ok {
		if t, err := mail.ParseDate(v); err == nil {
			f.Date = t
		}
	}
	if v, ok := get(fields, "TLS-Report-Domain"); ok {
		f.ReportDomain = strings.ToLower(strings.TrimSpace(stripComments(v)))
	}
	if v, ok := get(fields, "TLS-Report-Submitter"); ok {
		f.Submitter = strings.ToLower(strings.TrimSpace(stripComments(v)))
	}
	return f
}
