// Package inflate decompresses gzip (RFC 1952) and DEFLATE (RFC 1951) data
// held whole in memory, faster than compress/gzip on the reports this
// module reads: a report arrives as a complete gzip file of a few hundred
// bytes to a few hundred KiB (RFC 8460 §5.3), and decompressing it into a
// buffer of known size needs no sliding window, no bufio.Reader and no
// byte-at-a-time reads.
//
// It is not a general replacement for compress/gzip. It takes only whole
// inputs, and it accepts a subset of what compress/gzip accepts: whatever
// it decompresses, compress/gzip decompresses to the same bytes (the
// differential fuzz target FuzzGzip checks that), so a caller can try it
// first and fall back to compress/gzip on any error to get that package's
// errors and behaviour for damaged input.
//
// # Limits
//
// The output is capped by the limit the caller passes: decompression stops
// with ErrLimit as soon as the output would exceed it, so memory is bounded
// by the limit plus a few hundred bytes whatever the input claims. Time is
// linear in the input and output sizes.
package inflate
