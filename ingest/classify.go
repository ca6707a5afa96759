package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	stdmime "mime"
	"mime/multipart"
	"mime/quotedprintable"
	"strings"
)

// Limits of the walk that tells non-report mail apart; they match
// mime.Parser's defaults.
const (
	classifyMaxParts = 100
	classifyMaxDepth = 8
	// classifyPeek is how much of a part's (decoded, decompressed)
	// content is looked at for a DMARC <feedback> root.
	classifyPeek = 4 << 10
)

// classify tells what a mail without a TLS report is: a DSN, a DMARC
// failure report (ARF), a DMARC aggregate report, or other mail. It
// walks the MIME structure leniently with the standard library and stops
// at the first answer; a structure it cannot read is other mail.
func classify(data []byte) Kind {
	c := &classifier{}
	fields, body := splitMessage(data)
	if k := c.entity(fields, body, 0); k != "" {
		return k
	}
	return KindOther
}

type classifier struct {
	parts int
}

// splitMessage returns the header fields of a message and its body.
func splitMessage(data []byte) ([]field, []byte) {
	fields := headerFields(data)
	end := -1
	for _, sep := range []string{"\n\r\n", "\n\n"} {
		if i := bytes.Index(data, []byte(sep)); i >= 0 && (end < 0 || i+len(sep) < end) {
			end = i + len(sep)
		}
	}
	if end < 0 {
		return fields, nil
	}
	return fields, data[end:]
}

// entity classifies one MIME entity; "" means no answer here.
func (c *classifier) entity(fields []field, body []byte, depth int) Kind {
	c.parts++
	if c.parts > classifyMaxParts || depth > classifyMaxDepth {
		return ""
	}
	ct, _ := get(fields, "Content-Type")
	mt, params, err := stdmime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	switch {
	case mt == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status"),
		mt == "message/delivery-status", mt == "message/global-delivery-status":
		// RFC 3464, RFC 6533.
		return KindDSN
	case mt == "multipart/report" && strings.EqualFold(params["report-type"], "feedback-report"),
		mt == "message/feedback-report":
		// RFC 5965 ARF, as RFC 7489 §7.3 failure reports use.
		return KindDMARCFailure
	case strings.HasPrefix(mt, "multipart/"):
		if params["boundary"] == "" {
			return ""
		}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return ""
			}
			raw, err := io.ReadAll(io.LimitReader(p, int64(len(body))))
			if err != nil {
				return ""
			}
			var pf []field
			for k, vs := range p.Header {
				for _, v := range vs {
					pf = append(pf, field{name: k, value: v})
				}
			}
			if k := c.entity(pf, raw, depth+1); k != "" {
				return k
			}
		}
	case mt == "message/rfc822" || mt == "message/global":
		f, b := splitMessage(body)
		return c.entity(f, b, depth+1)
	}
	cte, _ := get(fields, "Content-Transfer-Encoding")
	if isDMARCAggregate(decodeTransfer(cte, body)) {
		return KindDMARCAggregate
	}
	return ""
}

// decodeTransfer returns a reader of the transfer-decoded body.
func decodeTransfer(cte string, body []byte) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Filter{r: bytes.NewReader(body)})
	case "quoted-printable":
		return quotedprintable.NewReader(bytes.NewReader(body))
	}
	return bytes.NewReader(body)
}

// base64Filter drops the bytes outside the base64 alphabet (white space
// of any kind), which RFC 2045 §6.8 says to ignore.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	j := 0
	for _, b := range p[:n] {
		if b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=' {
			p[j] = b
			j++
		}
	}
	if j == 0 && err == nil {
		return f.Read(p)
	}
	return j, err
}

// isDMARCAggregate reports whether the content of r is a DMARC aggregate
// report (RFC 7489 Appendix C: XML with a <feedback> root), plain, gzip
// or in a zip archive (its first member). Only the first classifyPeek
// bytes of decompressed content are looked at.
func isDMARCAggregate(r io.Reader) bool {
	br := bufio.NewReaderSize(io.LimitReader(r, 64<<20), 512)
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return false
		}
		return isFeedbackXML(zr)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		// A zip needs random access: read the archive up to a cap.
		data, err := io.ReadAll(io.LimitReader(br, 16<<20))
		if err != nil {
			return false
		}
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil || len(zr.File) == 0 {
			return false
		}
		f, err := zr.File[0].Open()
		if err != nil {
			return false
		}
		defer f.Close()
		return isFeedbackXML(f)
	}
	return isFeedbackXML(br)
}

// isFeedbackXML reports whether the first classifyPeek bytes of r are XML
// with a <feedback> element.
func isFeedbackXML(r io.Reader) bool {
	buf := make([]byte, classifyPeek)
	n, _ := io.ReadFull(r, buf)
	text := bytes.TrimLeft(bytes.TrimPrefix(buf[:n], utf8BOM), " \t\r\n")
	return len(text) > 0 && text[0] == '<' && bytes.Contains(text, []byte("<feedback"))
}
