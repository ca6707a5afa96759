package inflate

import "encoding/binary"

// Decompressor decompresses gzip data held in memory. Its zero value is
// ready to use; it holds about 32 KiB of decoding tables, so reuse one
// (it keeps nothing of one call that the next could observe). It is not
// safe for use by several goroutines at once.
type Decompressor struct {
	litlen  [litlenTableSize]uint32
	dist    [distTableSize]uint32
	precode [1 << precodeBits]uint32
	lens    [maxDynLitlen + maxDynDist]uint8
	fixed   bool // litlen and dist hold the fixed code
}

// slack is the room kept after the output position while decoding: the
// longest match (258 bytes) plus the 8 bytes a word-sized copy may write
// past its end.
const slack = 258 + 8

// bitReader reads the bits of a DEFLATE stream, least significant bit of
// each byte first (RFC 1951 §3.1.1). Bits of bb at and above nb are either
// zero or the input's next bits, so a refill may OR a whole word in.
// Reading past the end yields zero bytes that in still counts, so that the
// end of the stream shows whether they were used.
type bitReader struct {
	src []byte
	in  int    // next byte of src to load
	bb  uint64 // loaded bits, next bit lowest
	nb  uint   // number of bits in bb
}

// refill loads bb with at least 56 bits. It reports false once more than 8
// bytes past the end were loaded: some of them were consumed.
func (r *bitReader) refill() bool {
	if r.in+8 <= len(r.src) {
		r.bb |= binary.LittleEndian.Uint64(r.src[r.in:]) << (r.nb & 63)
		r.in += int((63 - r.nb) >> 3)
		r.nb |= 56
		return true
	}
	for r.nb <= 56 {
		if r.in < len(r.src) {
			r.bb |= uint64(r.src[r.in]) << (r.nb & 63)
		}
		r.in++
		r.nb += 8
	}
	return r.in <= len(r.src)+8
}

// take consumes and returns the next n ≤ 32 bits; the caller made sure bb
// holds them.
func (r *bitReader) take(n uint) uint32 {
	v := uint32(r.bb & (1<<(n&63) - 1))
	r.bb >>= n & 63
	r.nb -= n
	return v
}

// pos returns the offset of the first byte none of whose bits were
// consumed.
func (r *bitReader) pos() int { return r.in - int(r.nb>>3) }

// inflate decompresses the DEFLATE stream (RFC 1951) at r's position into
// buf from op on (buf's length is its capacity; its bytes from op on are
// free), never beyond limit. It returns the buffer (grown if needed) and
// the new output position, and leaves r at the end of the stream.
func (d *Decompressor) inflate(r *bitReader, buf []byte, op, limit int) ([]byte, int, error) {
	start := op // a distance may not reach before the stream's first byte
	for {
		if !r.refill() {
			return buf, op, corrupt(len(r.src), "unexpected end of data")
		}
		final := r.take(1)
		var err error
		switch r.take(2) {
		case 0:
			buf, op, err = storedBlock(r, buf, op, limit)
		case 1:
			if !d.fixed {
				build(d.litlen[:], fixedLens[:numLitlen], &fixedLitlenCount, litlenDecor[:], litlenBits)
				build(d.dist[:], fixedLens[numLitlen:], &fixedDistCount, distDecor[:], distBits)
				d.fixed = true
			}
			buf, op, err = d.huffmanBlock(r, buf, op, start, limit)
		case 2:
			d.fixed = false
			if err = d.readTables(r); err == nil {
				buf, op, err = d.huffmanBlock(r, buf, op, start, limit)
			}
		default:
			err = corrupt(r.pos(), "reserved block type")
		}
		if err != nil {
			return buf, op, err
		}
		if final == 1 {
			break
		}
	}
	if r.pos() > len(r.src) {
		return buf, op, corrupt(len(r.src), "unexpected end of data")
	}
	return buf, op, nil
}

// storedBlock copies a stored block (RFC 1951 §3.2.4).
func storedBlock(r *bitReader, buf []byte, op, limit int) ([]byte, int, error) {
	r.take(r.nb & 7) // to a byte boundary
	p := r.pos()
	r.bb, r.nb = 0, 0
	if p+4 > len(r.src) {
		return buf, op, corrupt(len(r.src), "unexpected end of data")
	}
	n := int(binary.LittleEndian.Uint16(r.src[p:]))
	if uint16(n) != ^binary.LittleEndian.Uint16(r.src[p+2:]) {
		return buf, op, corrupt(p, "stored block length and its complement differ")
	}
	p += 4
	if p+n > len(r.src) {
		return buf, op, corrupt(len(r.src), "unexpected end of data")
	}
	if op+n > limit {
		return buf, op, ErrLimit
	}
	if op+n+slack > len(buf) {
		buf = grow(buf, op, op+n+slack, limit)
	}
	op += copy(buf[op:], r.src[p:p+n])
	r.in = p + n
	return buf, op, nil
}

// grow returns a buffer of at least need (and at most limit+slack) bytes
// holding buf[:op].
func grow(buf []byte, op, need, limit int) []byte {
	n := min(max(2*len(buf), need, 4<<10), limit+slack)
	nb := make([]byte, n)
	copy(nb, buf[:op])
	return nb
}

// codeOrder is the order of the code length code lengths (RFC 1951 §3.2.7).
var codeOrder = [numPrecode]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// readTables reads the code lengths of a dynamic block (RFC 1951 §3.2.7)
// and builds its tables.
func (d *Decompressor) readTables(r *bitReader) error {
	if r.nb < 14 && !r.refill() {
		return corrupt(len(r.src), "unexpected end of data")
	}
	nlit := int(r.take(5)) + 257
	ndist := int(r.take(5)) + 1
	nclen := int(r.take(4)) + 4
	if nlit > maxDynLitlen || ndist > maxDynDist {
		return corrupt(r.pos(), "too many length or distance codes")
	}
	var clens [numPrecode]uint8
	var ccount [maxCodeLen + 1]uint16
	for i := range nclen {
		if r.nb < 3 && !r.refill() {
			return corrupt(len(r.src), "unexpected end of data")
		}
		l := r.take(3)
		clens[codeOrder[i]] = uint8(l)
		ccount[l]++
	}
	if !build(d.precode[:], clens[:], &ccount, precodeDecor[:], precodeBits) {
		return corrupt(r.pos(), "invalid code length code")
	}
	lens := d.lens[:nlit+ndist]
	var lcount, dcount [maxCodeLen + 1]uint16 // codes per length
	for i := 0; i < len(lens); {
		// A code length code (at most 7 bits) and its extra bits (at most 7).
		if r.nb < 14 && !r.refill() {
			return corrupt(len(r.src), "unexpected end of data")
		}
		e := d.precode[r.bb&(1<<precodeBits-1)]
		if e&flagInvalid != 0 {
			return corrupt(r.pos(), "invalid code length code")
		}
		r.take(uint(e & 0xff))
		sym := e >> valueShift
		if sym < 16 {
			lens[i] = uint8(sym)
			if i < nlit {
				lcount[sym]++
			} else {
				dcount[sym]++
			}
			i++
			continue
		}
		var rep int
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return corrupt(r.pos(), "code length repeat without a previous length")
			}
			rep, v = 3+int(r.take(2)), lens[i-1]
		case 17:
			rep = 3 + int(r.take(3))
		default:
			rep = 11 + int(r.take(7))
		}
		if i+rep > len(lens) {
			return corrupt(r.pos(), "code length repeat past the end")
		}
		inLit := min(rep, max(nlit-i, 0)) // a run may cross into the distance lengths
		lcount[v] += uint16(inLit)
		dcount[v] += uint16(rep - inLit)
		for ; rep > 0; rep-- {
			lens[i] = v
			i++
		}
	}
	if !build(d.litlen[:], lens[:nlit], &lcount, litlenDecor[:], litlenBits) ||
		!build(d.dist[:], lens[nlit:], &dcount, distDecor[:], distBits) {
		return corrupt(r.pos(), "invalid literal/length or distance code")
	}
	return nil
}

// huffmanBlock decodes the symbols of a compressed block (RFC 1951
// §3.2.5) with the current tables. r's fields live in locals here: this
// is the loop that runs per symbol.
func (d *Decompressor) huffmanBlock(r *bitReader, buf []byte, op, start, limit int) ([]byte, int, error) {
	src, in, bb, nb := r.src, r.in, r.bb, r.nb
	lit, dst := &d.litlen, &d.dist
	for {
		// A length code with its extra bits takes at most 15+5 bits, a
		// distance code with its extra bits 15+13: 48 of the 56 a refill
		// provides.
		if in+8 <= len(src) {
			bb |= binary.LittleEndian.Uint64(src[in:]) << (nb & 63)
			in += int((63 - nb) >> 3)
			nb |= 56
		} else {
			r.in, r.bb, r.nb = in, bb, nb
			if !r.refill() {
				return buf, op, corrupt(len(src), "unexpected end of data")
			}
			in, bb, nb = r.in, r.bb, r.nb
		}
		if op > len(buf)-slack {
			if op > limit {
				return buf, op, ErrLimit
			}
			buf = grow(buf, op, op+slack, limit)
		}
		e := lit[bb&(1<<litlenBits-1)]
		if e&flagSub != 0 {
			bb >>= litlenBits
			nb -= litlenBits
			e = lit[(e>>valueShift)&valueMask+uint32(bb)&(1<<((e>>8)&15)-1)]
		}
		if int32(e) < 0 {
			buf[op] = byte(e >> valueShift)
			op++
			bb >>= e & 63
			nb -= uint(e & 0xff)
			continue
		}
		if e&(flagEOB|flagInvalid) != 0 {
			if e&flagInvalid != 0 {
				r.in, r.bb, r.nb = in, bb, nb
				return buf, op, corrupt(r.pos(), "invalid literal/length code")
			}
			bb >>= e & 63
			nb -= uint(e & 0xff)
			r.in, r.bb, r.nb = in, bb, nb
			return buf, op, nil
		}
		cl, total := (e>>8)&15, e&0xff
		length := int(e>>valueShift&valueMask) + int((bb>>(cl&63))&(1<<((total-cl)&63)-1))
		bb >>= total & 63
		nb -= uint(total)

		e = dst[bb&(1<<distBits-1)]
		if e&flagSub != 0 {
			bb >>= distBits
			nb -= distBits
			e = dst[(e>>valueShift)&valueMask+uint32(bb)&(1<<((e>>8)&15)-1)]
		}
		if e&flagInvalid != 0 {
			r.in, r.bb, r.nb = in, bb, nb
			return buf, op, corrupt(r.pos(), "invalid distance code")
		}
		cl, total = (e>>8)&15, e&0xff
		dist := int(e>>valueShift&valueMask) + int((bb>>(cl&63))&(1<<((total-cl)&63)-1))
		bb >>= total & 63
		nb -= uint(total)
		if dist > op-start {
			r.in, r.bb, r.nb = in, bb, nb
			return buf, op, corrupt(r.pos(), "distance too far back")
		}
		copyMatch(buf, op, dist, length)
		op += length
	}
}

// copyMatch copies length bytes from dist bytes back to buf[op:]; buf has
// slack bytes of room after op, so word-sized copies may run past the end.
func copyMatch(buf []byte, op, dist, length int) {
	from := op - dist
	switch {
	case dist >= 8 && length <= 16:
		binary.LittleEndian.PutUint64(buf[op:], binary.LittleEndian.Uint64(buf[from:]))
		binary.LittleEndian.PutUint64(buf[op+8:], binary.LittleEndian.Uint64(buf[from+8:]))
	case dist >= length:
		copy(buf[op:op+length], buf[from:from+length])
	case dist >= 8:
		for i := 0; i < length; i += 8 {
			binary.LittleEndian.PutUint64(buf[op+i:], binary.LittleEndian.Uint64(buf[from+i:]))
		}
	case dist == 1:
		v := uint64(buf[from]) * 0x0101010101010101
		for i := 0; i < length; i += 8 {
			binary.LittleEndian.PutUint64(buf[op+i:], v)
		}
	default:
		for i := range length {
			buf[op+i] = buf[from+i]
		}
	}
}
