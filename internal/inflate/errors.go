package inflate

import (
	"errors"
	"strconv"
)

// ErrLimit is returned when the output would exceed the caller's limit.
var ErrLimit = errors.New("inflate: output exceeds the limit")

// CorruptError reports input that is not valid gzip or DEFLATE data, or
// that ends early.
type CorruptError struct {
	Offset int    // byte offset in the input where the problem was found
	Reason string // what is wrong, lower case
}

func (e *CorruptError) Error() string {
	return "inflate: " + e.Reason + " at offset " + strconv.Itoa(e.Offset)
}

func corrupt(off int, reason string) error {
	return &CorruptError{Offset: off, Reason: reason}
}
