package inflate

import "math/bits"

// Decoding tables. A symbol is decoded by looking up the next tableBits
// bits of input (least significant first, RFC 1951 §3.1.1) in a main table;
// a code longer than that leads to a subtable indexed by the bits that
// follow. Every entry is a uint32:
//
//	bits  0–7   bits to consume: code length + extra bits (a subtable link: the main table's bits)
//	bits  8–11  code length, where the extra bits start (a subtable link: the subtable's index bits)
//	bit  12     end of block
//	bit  13     invalid: no code has these bits (only in the incomplete codes compress/flate accepts)
//	bit  14     link to a subtable at the value
//	bits 16–30  value: literal byte, length base, distance base, code length symbol or subtable offset
//	bit  31     literal (so that int32(entry) < 0 tests it)
const (
	flagEOB     = 1 << 12
	flagInvalid = 1 << 13
	flagSub     = 1 << 14
	flagLiteral = 1 << 31
	valueShift  = 16
	valueMask   = 0x7fff
)

// Alphabet sizes (RFC 1951 §3.2.5, §3.2.7).
const (
	maxCodeLen   = 15
	numLitlen    = 288 // 286 and 287 take part in the fixed code but are invalid
	numDist      = 32  // 30 and 31 likewise
	numPrecode   = 19
	maxDynLitlen = 286 // HLIT + 257 at most, as compress/flate checks
	maxDynDist   = 30  // HDIST + 1 at most
)

// Table sizes. A subtable has 2^(longest code − tableBits) entries, one
// per tableBits-bit prefix of the longer codes. Below a prefix the code is
// complete (the only incomplete code accepted is a single code of length
// 1), so each prefix has at least two symbols: at most 286/2 subtables for
// literal/length codes of a dynamic block and 30/2 for distance codes
// (the fixed code's are at most 9 bits long and need none). build checks
// the bound anyway.
const (
	litlenBits      = 10
	distBits        = 8
	precodeBits     = 7 // code length codes are at most 7 bits long
	litlenTableSize = 1<<litlenBits + maxDynLitlen/2<<(maxCodeLen-litlenBits)
	distTableSize   = 1<<distBits + maxDynDist/2<<(maxCodeLen-distBits)
)

// litlenDecor and distDecor are the per-symbol parts of table entries: the
// flags, the value and the number of extra bits (RFC 1951 §3.2.5).
var (
	litlenDecor  = makeLitlenDecor()
	distDecor    = makeDistDecor()
	precodeDecor = makePrecodeDecor()
)

func makeLitlenDecor() (d [numLitlen]uint32) {
	for s := 0; s < 256; s++ {
		d[s] = flagLiteral | uint32(s)<<valueShift
	}
	d[256] = flagEOB
	base := uint32(3)
	for s := 257; s < 285; s++ {
		extra := uint32(0)
		if s >= 265 {
			extra = uint32(s-261) / 4
		}
		d[s] = base<<valueShift | extra
		base += 1 << extra
	}
	d[285] = 258 << valueShift
	d[286], d[287] = flagInvalid, flagInvalid
	return d
}

func makeDistDecor() (d [numDist]uint32) {
	base := uint32(1)
	for s := 0; s < 30; s++ {
		extra := uint32(0)
		if s >= 4 {
			extra = uint32(s)/2 - 1
		}
		d[s] = base<<valueShift | extra
		base += 1 << extra
	}
	d[30], d[31] = flagInvalid, flagInvalid
	return d
}

func makePrecodeDecor() (d [numPrecode]uint32) {
	for s := range d {
		d[s] = uint32(s) << valueShift
	}
	return d
}

// build fills table with the decoding entries of the canonical Huffman
// code (RFC 1951 §3.2.2) whose code lengths are lens, decorated by decor;
// count[l] is the number of codes of length l (its readers have it from
// the run-length coded lengths, cheaper than counting here).
// It reports false for a code compress/flate rejects: over-subscribed, or
// incomplete other than a single code of length 1. A code without any
// symbol is accepted (only the distance code may be empty in a valid
// stream) and every lookup in it is invalid.
func build(table []uint32, lens []uint8, count *[maxCodeLen + 1]uint16, decor []uint32, tableBits uint) bool {
	maxLen := uint(0)
	for l := maxCodeLen; l > 0; l-- {
		if count[l] != 0 {
			maxLen = uint(l)
			break
		}
	}
	mainSize := uint32(1) << tableBits
	if maxLen == 0 {
		fillInvalid(table[:mainSize])
		return true
	}
	left := 1
	for l := 1; l <= maxCodeLen; l++ {
		left = left<<1 - int(count[l])
		if left < 0 {
			return false // over-subscribed
		}
	}
	if left > 0 {
		if maxLen != 1 || count[1] != 1 {
			return false
		}
		fillInvalid(table[:mainSize])
	}

	// Symbols sorted by code length, then by value.
	var offs [maxCodeLen + 1]uint16
	for l := 2; l <= maxCodeLen; l++ {
		offs[l] = offs[l-1] + count[l-1]
	}
	var sorted [numLitlen]uint16
	for s, l := range lens {
		if l != 0 {
			sorted[offs[l]] = uint16(s)
			offs[l]++
		}
	}

	// Codes up to tableBits long: the table is built at size 2^l for
	// each length l in turn, each code written once at its (bit-reversed)
	// index, and doubled before the next length, so that a code fills
	// every index its bits are a suffix of. Entries not yet written are
	// the prefixes of longer codes, overwritten later.
	code := uint32(0) // the next code, most significant bit first
	i := 0
	for l := uint(1); l <= tableBits; l++ {
		if l > 1 {
			copy(table[1<<(l-1):1<<l], table[:1<<(l-1)])
		}
		if l > maxLen {
			continue
		}
		e := uint32(l) + uint32(l)<<8
		for n := count[l]; n > 0; n-- {
			rev := uint32(bits.Reverse16(uint16(code))) >> (16 - l)
			table[rev] = decor[sorted[i]] + e
			i++
			code++
		}
		code <<= 1
	}
	if maxLen <= tableBits {
		return true
	}

	// Longer codes: a subtable per prefix of tableBits bits, with
	// 2^(maxLen−tableBits) entries; codes sharing a prefix are adjacent in
	// code order.
	subBits := maxLen - tableBits
	subEnd := mainSize // where the next subtable starts
	prefix, subBase := ^uint32(0), uint32(0)
	for l := tableBits + 1; l <= maxLen; l++ {
		sl := l - tableBits
		e := uint32(sl) + uint32(sl)<<8
		for n := count[l]; n > 0; n-- {
			rev := uint32(bits.Reverse16(uint16(code))) >> (16 - l)
			if p := rev & (mainSize - 1); p != prefix {
				prefix, subBase = p, subEnd
				subEnd += 1 << subBits
				if int(subEnd) > len(table) {
					return false // cannot happen for a code that passed the checks above
				}
				table[p] = flagSub | subBase<<valueShift | uint32(tableBits) | uint32(subBits)<<8
			}
			se := decor[sorted[i]] + e
			for j := rev >> tableBits; j < 1<<subBits; j += 1 << sl {
				table[subBase+j] = se
			}
			i++
			code++
		}
		code <<= 1
	}
	return true
}

func fillInvalid(t []uint32) {
	for i := range t {
		t[i] = flagInvalid
	}
}

// fixedLens are the code lengths of the fixed Huffman code (RFC 1951
// §3.2.6): literal/length codes, then the 32 distance codes; the counts
// are the number of codes of each length.
var fixedLens, fixedLitlenCount, fixedDistCount = func() (l [numLitlen + numDist]uint8, lc, dc [maxCodeLen + 1]uint16) {
	for s := range numLitlen {
		switch {
		case s < 144:
			l[s] = 8
		case s < 256:
			l[s] = 9
		case s < 280:
			l[s] = 7
		default:
			l[s] = 8
		}
		lc[l[s]]++
	}
	for s := numLitlen; s < len(l); s++ {
		l[s] = 5
		dc[5]++
	}
	return l, lc, dc
}()
