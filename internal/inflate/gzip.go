package inflate

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// Gzip header flags (RFC 1952 §2.3.1).
const (
	flagHCRC    = 1 << 1
	flagExtra   = 1 << 2
	flagName    = 1 << 3
	flagComment = 1 << 4
)

// maxHeaderString is the longest file name or comment compress/gzip reads
// (its buffer is 512 bytes, the terminating zero included).
const maxHeaderString = 511

// AppendGzip decompresses the gzip file src (RFC 1952: one or more
// members, each checked against its CRC-32 and length) and appends the
// data to dst. It fails with ErrLimit when the data would exceed limit
// bytes (dst's own length not counted), and with a *CorruptError when src
// is not a complete, valid gzip file; bytes after the last member that do
// not form another one are an error too. On error the returned slice holds
// dst and possibly part of the data.
//
// The last member's length field sizes the first allocation (at most
// limit), so a single-member file is decompressed without copying.
func (d *Decompressor) AppendGzip(dst, src []byte, limit int) ([]byte, error) {
	op := len(dst)
	limit += op
	buf := dst[:cap(dst)]
	if len(src) >= 18 {
		hint := int(binary.LittleEndian.Uint32(src[len(src)-4:]))
		if op+min(hint, limit-op)+slack > len(buf) {
			buf = grow(buf, op, op+min(hint, limit-op)+slack, limit)
		}
	}
	for pos := 0; ; {
		body, err := headerEnd(src, pos)
		if err != nil {
			return buf[:op], err
		}
		r := bitReader{src: src, in: body}
		start := op
		buf, op, err = d.inflate(&r, buf, op, limit)
		if err != nil {
			return buf[:op], err
		}
		if op > limit {
			return buf[:op], ErrLimit
		}
		end := r.pos()
		if end+8 > len(src) {
			return buf[:op], corrupt(len(src), "unexpected end of data")
		}
		if crc32.ChecksumIEEE(buf[start:op]) != binary.LittleEndian.Uint32(src[end:]) ||
			uint32(op-start) != binary.LittleEndian.Uint32(src[end+4:]) {
			return buf[:op], corrupt(end, "checksum or length mismatch")
		}
		if pos = end + 8; pos == len(src) {
			return buf[:op], nil
		}
	}
}

// headerEnd checks the gzip member header at src[pos:] (RFC 1952 §2.3)
// and returns where its compressed data starts.
func headerEnd(src []byte, pos int) (int, error) {
	if len(src)-pos < 10 {
		return 0, corrupt(len(src), "unexpected end of data")
	}
	if src[pos] != 0x1f || src[pos+1] != 0x8b || src[pos+2] != 8 {
		return 0, corrupt(pos, "not a gzip member")
	}
	flg := src[pos+3]
	p := pos + 10
	if flg&flagExtra != 0 {
		if p+2 > len(src) {
			return 0, corrupt(len(src), "unexpected end of data")
		}
		p += 2 + int(binary.LittleEndian.Uint16(src[p:]))
		if p > len(src) {
			return 0, corrupt(len(src), "unexpected end of data")
		}
	}
	for _, f := range [2]byte{flagName, flagComment} {
		if flg&f == 0 {
			continue
		}
		i := bytes.IndexByte(src[p:min(len(src), p+maxHeaderString+1)], 0)
		if i < 0 {
			return 0, corrupt(p, "file name or comment unterminated or too long")
		}
		p += i + 1
	}
	if flg&flagHCRC != 0 {
		if p+2 > len(src) {
			return 0, corrupt(len(src), "unexpected end of data")
		}
		if uint16(crc32.ChecksumIEEE(src[pos:p])) != binary.LittleEndian.Uint16(src[p:]) {
			return 0, corrupt(p, "header checksum mismatch")
		}
		p += 2
	}
	return p, nil
}
