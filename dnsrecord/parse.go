package dnsrecord

// Parse parses txt, the text of one TXT record (its character-strings
// already concatenated without separators, RFC 8460 §3), strictly by the
// RFC 8460 §3 ABNF:
//
//	tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
//	field-delim   = *WSP ";" *WSP
//	tlsrpt-rua    = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
//
// plus the rule, stated in a comment of the ABNF, that a rua field is
// required. "v=TLSRPTv1" and "rua=" are case-sensitive ("RUA=x" is an
// extension), whitespace (SP or HTAB) is allowed only around ";" and ",",
// one trailing ";" is allowed, whitespace after the last field without a
// ";" is not, and the URIs must be absolute RFC 3986 URIs with ",", "!"
// and ";" percent-encoded. Several rua fields are merged in order; other
// fields are kept as Extensions in order.
//
// A text that does not begin with the version tag "v=TLSRPTv1" followed by
// whitespace, ";" or its end returns ErrNotTLSRPT. Everything else that is
// wrong returns a *SyntaxError with the byte offset where parsing stopped.
//
// The returned Record's strings are substrings of txt (nothing is copied
// or decoded); URI methods decode on demand.
func Parse(txt string) (*Record, error) {
	// RFC 8460 §3 tlsrpt-version = %s"v=TLSRPTv1", nothing before it.
	if len(txt) < len(Version) || txt[:len(Version)] != Version {
		return nil, ErrNotTLSRPT
	}
	i := len(Version)
	if i < len(txt) && txt[i] != ';' && !isWSP(txt[i]) {
		// "v=TLSRPTv10", "v=TLSRPTv1=…": another version, or no version.
		return nil, ErrNotTLSRPT
	}

	// Collect into stack buffers, then allocate the result once.
	var ubuf [8]URI
	var ebuf [4]Extension
	uris, exts := ubuf[:0], ebuf[:0]
	fields := 0
	for {
		// field-delim = *WSP ";" *WSP, or the end of the record.
		j := i
		for j < len(txt) && isWSP(txt[j]) {
			j++
		}
		if j == len(txt) {
			if j > i {
				return nil, &SyntaxError{Offset: i, Reason: "whitespace at end of record is allowed only after ';'"}
			}
			break
		}
		if txt[j] != ';' {
			return nil, &SyntaxError{Offset: j, Reason: "expected ';' between fields, found " + describe(txt[j])}
		}
		j++
		for j < len(txt) && isWSP(txt[j]) {
			j++
		}
		if j == len(txt) {
			break // RFC 8460 §3: one optional trailing field-delim.
		}
		i = j
		// RFC 8460 §3 tlsrpt-field = tlsrpt-rua / tlsrpt-extension
		if len(txt)-i >= 4 && txt[i:i+4] == "rua=" {
			i += 4
			for {
				// tlsrpt-uri ends at WSP, "," or ";" (which may not
				// appear unencoded in it) or at the end of the record.
				e := i
				for e < len(txt) && txt[e] != ',' && txt[e] != ';' && !isWSP(txt[e]) {
					e++
				}
				if k, reason := checkURI(txt[i:e]); k >= 0 {
					return nil, &SyntaxError{Offset: i + k, Reason: reason}
				}
				uris = append(uris, URI{s: txt[i:e]})
				// *WSP "," *WSP before the next URI.
				k := e
				for k < len(txt) && isWSP(txt[k]) {
					k++
				}
				if k == len(txt) || txt[k] != ',' {
					i = e
					break
				}
				k++
				for k < len(txt) && isWSP(txt[k]) {
					k++
				}
				i = k
			}
		} else {
			eq, end, err := parseExtension(txt, i)
			if err != nil {
				return nil, err
			}
			exts = append(exts, Extension{Name: txt[i:eq], Value: txt[eq+1 : end]})
			i = end
		}
		fields++
	}
	if fields == 0 {
		return nil, &SyntaxError{Offset: len(txt), Reason: "record has no field after the version"}
	}
	if len(uris) == 0 {
		// RFC 8460 §3: "tlsrpt-rua ; Required".
		return nil, &SyntaxError{Offset: len(txt), Reason: "record has no rua field"}
	}
	return newRecord(uris, exts), nil
}

// parseExtension parses the RFC 8460 §3 tlsrpt-extension starting at
// txt[i] and returns the offsets of its "=" and of its end.
func parseExtension(txt string, i int) (eq, end int, err error) {
	// tlsrpt-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
	c := txt[i]
	if c == ';' {
		return 0, 0, &SyntaxError{Offset: i, Reason: "empty field: only one ';' may follow a field"}
	}
	if !isAlpha(c) && (c < '0' || c > '9') {
		return 0, 0, &SyntaxError{Offset: i, Reason: "field name must begin with a letter or digit, found " + describe(c)}
	}
	eq = i + 1
	for eq < len(txt) && byteClass[txt[eq]]&cExtName != 0 {
		eq++
	}
	if eq-i > 32 {
		return 0, 0, &SyntaxError{Offset: i + 32, Reason: "field name longer than 32 characters"}
	}
	if eq == len(txt) || txt[eq] != '=' {
		if eq < len(txt) && isWSP(txt[eq]) {
			return 0, 0, &SyntaxError{Offset: eq, Reason: "whitespace is not allowed around '=' in a field"}
		}
		if eq == len(txt) {
			return 0, 0, &SyntaxError{Offset: eq, Reason: "field has no '='"}
		}
		return 0, 0, &SyntaxError{Offset: eq, Reason: describe(txt[eq]) + " not allowed in a field name"}
	}
	// tlsrpt-ext-value = 1*(%x21-3A / %x3C / %x3E-7E)
	end = eq + 1
	for end < len(txt) && byteClass[txt[end]]&cExtValue != 0 {
		end++
	}
	if end == eq+1 {
		if end == len(txt) || txt[end] == ';' {
			return 0, 0, &SyntaxError{Offset: end, Reason: "field value is empty"}
		}
		if isWSP(txt[end]) {
			return 0, 0, &SyntaxError{Offset: end, Reason: "whitespace is not allowed around '=' in a field"}
		}
	}
	if end < len(txt) && txt[end] != ';' && !isWSP(txt[end]) {
		return 0, 0, &SyntaxError{Offset: end, Reason: describe(txt[end]) + " not allowed in a field value"}
	}
	return eq, end, nil
}

// block holds a Record together with room for its URIs and extensions,
// so that a typical record costs one allocation.
type block struct {
	rec  Record
	uris [2]URI
	exts [1]Extension
}

// newRecord copies the parsed URIs and extensions into one allocation
// when they fit, else into exactly sized slices. The slices' capacity
// equals their length, so appending to them never writes into the block.
func newRecord(uris []URI, exts []Extension) *Record {
	if len(uris) <= len(block{}.uris) && len(exts) <= len(block{}.exts) {
		b := new(block)
		n := copy(b.uris[:], uris)
		b.rec.RUA = b.uris[:n:n]
		if len(exts) > 0 {
			n = copy(b.exts[:], exts)
			b.rec.Extensions = b.exts[:n:n]
		}
		return &b.rec
	}
	r := &Record{RUA: append([]URI(nil), uris...)}
	if len(exts) > 0 {
		r.Extensions = append([]Extension(nil), exts...)
	}
	return r
}
