package ingest

import "context"

// Source yields the raw messages of one mailbox or input, one at a time:
// a Maildir directory (Maildir), an mbox file (Mbox), a list of files
// (Files), an IMAP mailbox. Run reads a Source to its end and gives every
// message it yields exactly one fate.
//
// A source plugs in by implementing Next, and optionally Marker (to
// remember what was processed) and io.Closer (Run does not close it; the
// caller does). Next is called from one goroutine at a time.
type Source interface {
	// Next returns the next message, or io.EOF when none is left.
	//
	// A message the source cannot read whole is still returned, as an
	// Item with Err set, never as Next's error: one over the source's
	// size cap has an Err matching tlsrpt.ErrTooLarge (its fate is
	// FateTooLarge), one that failed to read (a file vanished, a FETCH
	// failed for that message) another Err (FateUnreadable); the run
	// goes on with the next message. An error from Next other than
	// io.EOF means the source itself failed (the directory cannot be
	// listed, the connection broke, ctx ended): Run stops and returns it.
	Next(ctx context.Context) (*Item, error)
}

// Marker is implemented by sources that can remember that a message was
// processed, so that the next run skips it: Maildir moves it from new/ to
// cur/ with the "S" (seen) flag; an IMAP source may set \Seen or move it.
// Run calls MarkProcessed, when Reader.MarkProcessed is set, after the
// callback accepted a Result whose Final method reports true, with that
// message's Item.ID.
type Marker interface {
	MarkProcessed(ctx context.Context, id string) error
}

// Item is one raw message of a Source.
type Item struct {
	// ID identifies the message within its source and is copied to
	// Result.ID: the file's path for Files, the path relative to the
	// Maildir directory ("new/1700000000.M1P2.host") for Maildir,
	// "#n" (1-based) for Mbox, "UIDVALIDITY/UID" for IMAP. Marker
	// receives it back.
	ID string
	// Data is the message or file as stored (for Mbox, ">From " lines
	// unquoted); nil when Err is set.
	Data []byte
	// Size is the size of the message in bytes as the source knows it;
	// for a message over the size cap, the size announced or the bytes
	// seen before the cap (at least the cap plus one). Zero when unknown.
	Size int64
	// Err is set when the source could not read this message: an error
	// matching tlsrpt.ErrTooLarge for a message over the source's size
	// cap, any other error for a message that could not be read.
	Err error
}
