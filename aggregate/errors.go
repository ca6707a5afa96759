package aggregate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
)

// Errors returned by Record and PolicyID. Callers branch on them with
// errors.Is.
var (
	// ErrUnknownPolicy is returned by Record for a PolicyID this
	// Aggregator did not issue (including the zero PolicyID).
	ErrUnknownPolicy = errors.New("aggregate: unknown policy id")
	// ErrNoTime is returned by Record for a Session whose Time is zero.
	ErrNoTime = errors.New("aggregate: session time is zero")
	// ErrInvalidPolicy is returned by PolicyID for a policy that cannot
	// appear in a report (see PolicyID), and wrapped by a SnapshotError
	// for such a policy in a snapshot.
	ErrInvalidPolicy = errors.New("aggregate: invalid policy")
	// ErrInvalidDetail is returned by Record for a failure detail that
	// cannot appear in a report (see Record).
	ErrInvalidDetail = errors.New("aggregate: invalid failure detail")
	// ErrConfig is returned by Reports when the Config lacks what a
	// report needs (organization-name, contact-info, a report-id domain).
	ErrConfig = errors.New("aggregate: incomplete config")
)

// Errors wrapped by *SnapshotError. Callers branch on them with errors.Is.
var (
	// ErrNotSnapshot means the stream does not begin with a snapshot
	// header line.
	ErrNotSnapshot = errors.New("aggregate: not a snapshot")
	// ErrUnsupportedVersion means the snapshot header names a format
	// version this package cannot read.
	ErrUnsupportedVersion = errors.New("aggregate: unsupported snapshot version")
	// ErrCorrupt means a snapshot line is malformed or inconsistent, or
	// the snapshot does not match its checksum: it was damaged.
	ErrCorrupt = errors.New("aggregate: corrupt snapshot")
	// ErrTruncated means the input ended before the newline that ends a
	// snapshot's end record: it is a proper prefix of a snapshot (any
	// prefix of one WriteSnapshot wrote, the empty input included), as a
	// crash while writing or copying one leaves, and nothing of it was
	// merged.
	ErrTruncated = errors.New("aggregate: truncated snapshot")
	// ErrTooLarge means a snapshot exceeded Config.MaxSnapshotSize or
	// one of its lines 1 MiB, wherever in the snapshot the cap fell; the
	// *SnapshotError's Reason names the cap. It is
	// tlsrpt.ErrTooLarge (and report.ErrTooLarge), the value every cap in
	// the module matches.
	ErrTooLarge = tlsrpt.ErrTooLarge
)

// SnapshotError describes why MergeSnapshot rejected a snapshot. Nothing of
// a rejected snapshot is merged.
type SnapshotError struct {
	// Line is the 1-based line number of the offending line; for
	// ErrTruncated and ErrTooLarge it is the line being read when the
	// problem was found.
	Line int
	// Reason says what is wrong, in lower case; may be empty.
	Reason string
	// Err is one of ErrNotSnapshot, ErrUnsupportedVersion, ErrCorrupt,
	// ErrTruncated or ErrTooLarge, or an error of the underlying reader.
	Err error
}

// Error implements error.
func (e *SnapshotError) Error() string {
	msg := "<nil>"
	switch {
	case e.Err == ErrTooLarge: // the module-wide value; say what was too large
		msg = "snapshot too large"
	case e.Err != nil:
		msg = strings.TrimPrefix(e.Err.Error(), "aggregate: ")
	}
	if e.Reason == "" {
		return fmt.Sprintf("aggregate: snapshot line %d: %s", e.Line, msg)
	}
	return fmt.Sprintf("aggregate: snapshot line %d: %s: %s", e.Line, msg, e.Reason)
}

// Unwrap returns e.Err.
func (e *SnapshotError) Unwrap() error { return e.Err }
