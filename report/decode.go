package report

// BOOTSTRAP: a minimal decoder so dependent packages compile while the real
// jsontext-based decoder is written. The report-codec work replaces this file.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
)

// ErrTooLarge is returned when a size cap was hit while reading.
var ErrTooLarge = errors.New("report: input too large")

// Warning describes one repair the lenient decoder made.
type Warning struct {
	Path    string
	Code    string
	Message string
}

// Decoder decodes reports.
type Decoder struct {
	Strict  bool
	MaxSize int64
}

// Decode reads one report (JSON or gzip) from r.
func (d *Decoder) Decode(r io.Reader) (*Report, []Warning, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, nil, err
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, nil, err
		}
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, nil, err
	}
	return &rep, nil, nil
}

// Parse decodes data with a lenient Decoder.
func Parse(data []byte) (*Report, []Warning, error) {
	return new(Decoder).Decode(bytes.NewReader(data))
}
