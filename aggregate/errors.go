package aggregate

import (
	"errors"
	"strconv"

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
	// appear in a report (see PolicyID); such a policy in a snapshot
	// makes it ErrCorrupt.
	ErrInvalidPolicy = errors.New("aggregate: invalid policy")
	// ErrInvalidDetail is returned by Record for a failure detail that
	// cannot appear in a report (see Record).
	ErrInvalidDetail = errors.New("aggregate: invalid failure detail")
	// ErrConfig is returned by Reports when the Config lacks what a
	// report needs (organization-name, contact-info, a report-id domain),
	// and by NewFlusher for a FlushConfig without a Node.
	ErrConfig = errors.New("aggregate: incomplete config")
)

// Errors MergeSnapshot's *tlsrpt.Diagnostic wraps (its Err). Callers
// branch on them with errors.Is.
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
	// Message of the *tlsrpt.Diagnostic names the cap. It is
	// tlsrpt.ErrTooLarge (and report.ErrTooLarge), the value every cap in
	// the module matches.
	ErrTooLarge = tlsrpt.ErrTooLarge
)

// Codes of the *tlsrpt.Diagnostic MergeSnapshot returns for a snapshot it
// rejects, one per kind of problem; its Err is the sentinel named. The
// codes are stable.
const (
	// CodeNotSnapshot: the stream does not begin with a snapshot header
	// line. Err is ErrNotSnapshot.
	CodeNotSnapshot tlsrpt.Code = "snapshot-not-snapshot"
	// CodeUnsupportedVersion: the header names a format version this
	// package cannot read. Err is ErrUnsupportedVersion.
	CodeUnsupportedVersion tlsrpt.Code = "snapshot-unsupported-version"
	// CodeSnapshotCorrupt: a line is malformed or inconsistent, or the
	// snapshot does not match its checksum. Err is ErrCorrupt.
	CodeSnapshotCorrupt tlsrpt.Code = "snapshot-corrupt"
	// CodeSnapshotTruncated: the input is a proper prefix of a snapshot.
	// Err is ErrTruncated.
	CodeSnapshotTruncated tlsrpt.Code = "snapshot-truncated"
	// CodeSnapshotTooLarge: the snapshot exceeds Config.MaxSnapshotSize
	// or one of its lines 1 MiB; the Message names the cap. Err is
	// ErrTooLarge.
	CodeSnapshotTooLarge tlsrpt.Code = "snapshot-too-large"
	// CodeSnapshotRead: the reader failed. Err is the reader's error.
	CodeSnapshotRead tlsrpt.Code = "snapshot-read-error"
)

// snapshotError returns MergeSnapshot's error for the problem of kind err
// (a sentinel of this file or the reader's error) on the given 1-based
// line, which starts at byte offset (or, when the offset is not known,
// 0); reason says what is wrong and may be empty.
func snapshotError(err error, line int, offset int64, reason string) error {
	code, what := CodeSnapshotRead, "cannot read snapshot"
	switch err {
	case ErrNotSnapshot:
		code, what = CodeNotSnapshot, "not a snapshot"
	case ErrUnsupportedVersion:
		code, what = CodeUnsupportedVersion, "unsupported snapshot version"
	case ErrCorrupt:
		code, what = CodeSnapshotCorrupt, "corrupt snapshot"
	case ErrTruncated:
		code, what = CodeSnapshotTruncated, "truncated snapshot"
	case ErrTooLarge:
		code, what = CodeSnapshotTooLarge, "snapshot too large"
	}
	if reason != "" {
		what += ": " + reason
	}
	return &tlsrpt.Diagnostic{
		Path:     "line " + strconv.Itoa(line),
		Offset:   int(offset),
		Code:     code,
		Severity: tlsrpt.SeverityError,
		Message:  what,
		Err:      err,
	}
}
