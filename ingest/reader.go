package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/capped"
)

// Default limits of a zero Reader.
const (
	// DefaultMaxMessageSize is the default Reader.MaxMessageSize and the
	// default size cap of the sources: 20 MiB.
	DefaultMaxMessageSize = 20 << 20
	// DefaultMaxReportSize is the default Reader.MaxReportSize: 32 MiB.
	DefaultMaxReportSize = 32 << 20
)

// Reader reads inputs of any form, finds their TLS reports and decides
// whether to trust each one. Its zero value verifies DKIM through
// net.DefaultResolver, trusts no Authentication-Results field and uses the
// default limits. A Reader is safe for concurrent use once configured.
type Reader struct {
	// TrustedAuthServIDs lists the authserv-ids (RFC 8601 §2.5) of the
	// operator's own MX hosts, whose Authentication-Results fields are
	// believed; see the package documentation for which fields count.
	// Compared without regard to case. Nil trusts none.
	TrustedAuthServIDs []string
	// NoDKIM skips DKIM verification (no DNS queries): a report is then
	// trusted only through a trusted Authentication-Results field, and
	// otherwise untrusted with CodeNotVerified. The zero value verifies.
	NoDKIM bool
	// Resolver fetches DKIM keys. Nil means net.DefaultResolver.
	Resolver tlsrpt.Resolver
	// Now returns the current time, against which a signature's x= tag
	// (RFC 6376 §3.5) is judged. Nil means time.Now. go-msgauth checks
	// x= against the system clock as well, so a Now in the past cannot
	// revive a signature that expired by that clock.
	Now func() time.Time
	// MaxMessageSize caps the bytes read from one input, enforced while
	// reading. Zero means DefaultMaxMessageSize.
	MaxMessageSize int64
	// MaxReportSize caps the decompressed report data of one input (all
	// its parts or zip members together). Zero means
	// DefaultMaxReportSize.
	MaxReportSize int64
	// MarkProcessed makes Run mark each message processed, when the
	// Source implements Marker, after the callback accepted its Result
	// and Result.Final is true. The zero value leaves the source as it
	// is (a read-only run).
	MarkProcessed bool
}

// errInputCap is the sentinel of the input size cap.
var errInputCap = errors.New("ingest: input size cap")

// Read reads one input from r — a mail, a .json or .json.gz report, a zip
// archive, told apart by content — and returns its Result, which always
// has a fate: Read never fails. A reader error gives FateUnreadable.
func (rd *Reader) Read(ctx context.Context, r io.Reader) *Result {
	max := orDefault(rd.MaxMessageSize, DefaultMaxMessageSize)
	data, err := io.ReadAll(capped.NewReader(r, max, errInputCap))
	switch {
	case errors.Is(err, errInputCap):
		return &Result{Size: int64(len(data)), Format: sniff(data), Fate: FateTooLarge,
			Err: tooLarge(CodeMessageTooLarge, "message size", max)}
	case err != nil:
		return &Result{Size: int64(len(data)), Format: sniff(data), Fate: FateUnreadable, Err: err}
	}
	return rd.read(ctx, data)
}

// Run reads every message of src, calling fn with each Result in the
// source's order, and returns the counts. A message that cannot be read,
// is too large or malformed gets its fate and the run goes on; Run stops
// only when src.Next fails (other than io.EOF), when ctx ends, or when fn
// returns an error, and returns that error with the counts so far (the
// Result fn refused is counted). With MarkProcessed set, a message is
// marked after fn returned nil for it; a failed mark ends the run.
func (rd *Reader) Run(ctx context.Context, src Source, fn func(*Result) error) (Stats, error) {
	var st Stats
	marker, _ := src.(Marker)
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		it, err := src.Next(ctx)
		if err == io.EOF {
			return st, nil
		}
		if err != nil {
			return st, err
		}
		res := rd.ReadItem(ctx, it)
		st.Add(res)
		if fn != nil {
			if err := fn(res); err != nil {
				return st, err
			}
		}
		if rd.MarkProcessed && marker != nil && res.Final() {
			if err := marker.MarkProcessed(ctx, it.ID); err != nil {
				return st, fmt.Errorf("ingest: marking %s processed: %w", it.ID, err)
			}
		}
	}
}

// ReadItem returns the Result of one Item of a Source: its fate from
// Item.Err when set, otherwise what Read finds in Item.Data. Result.ID is
// Item.ID.
func (rd *Reader) ReadItem(ctx context.Context, it *Item) *Result {
	var res *Result
	switch {
	case it.Err != nil && errors.Is(it.Err, tlsrpt.ErrTooLarge):
		res = &Result{Size: it.Size, Format: sniff(it.Data), Fate: FateTooLarge, Err: it.Err}
	case it.Err != nil:
		res = &Result{Size: it.Size, Format: sniff(it.Data), Fate: FateUnreadable, Err: it.Err}
	case int64(len(it.Data)) > orDefault(rd.MaxMessageSize, DefaultMaxMessageSize):
		res = &Result{Size: int64(len(it.Data)), Format: sniff(it.Data), Fate: FateTooLarge,
			Err: tooLarge(CodeMessageTooLarge, "message size", orDefault(rd.MaxMessageSize, DefaultMaxMessageSize))}
	default:
		res = rd.read(ctx, it.Data)
	}
	res.ID = it.ID
	return res
}

func orDefault(v, def int64) int64 {
	if v <= 0 {
		return def
	}
	return v
}

// tooLarge returns the error of an input over one of the caps of a Reader
// or a Source: a *tlsrpt.Diagnostic with code, whose Offset is the cap (the
// byte offset at which reading stopped) and whose Err is
// tlsrpt.ErrTooLarge, so errors.Is(err, tlsrpt.ErrTooLarge) holds.
func tooLarge(code tlsrpt.Code, what string, max int64) *tlsrpt.Diagnostic {
	return &tlsrpt.Diagnostic{
		Path:     "ingest:input",
		Offset:   int(max),
		Code:     code,
		Severity: tlsrpt.SeverityError,
		Message:  fmt.Sprintf("%s limit %d exceeded", what, max),
		Err:      tlsrpt.ErrTooLarge,
	}
}
