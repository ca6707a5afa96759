package tlsrpt_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-tlsrpt/tlsrpt"
)

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		name string
		d    tlsrpt.Diagnostic
		want string
	}{
		{"path", tlsrpt.Diagnostic{Path: "policies[0]", Code: "x", Severity: tlsrpt.SeverityWarning, Message: "m"}, "warning policies[0]: m [x]"},
		{"path and offset", tlsrpt.Diagnostic{Path: "a", Offset: 7, Message: "m"}, "a at offset 7: m"},
		{"offset only", tlsrpt.Diagnostic{Offset: 0, Code: "c", Severity: tlsrpt.SeverityError, Message: "m", Fix: "f"}, "error at offset 0: m [c] (fix: f)"},
		{"index", tlsrpt.Diagnostic{Index: 2, Offset: 3, Message: "m"}, "#2 at offset 3: m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDiagnosticError(t *testing.T) {
	sentinel := errors.New("boom")
	tests := []struct {
		name string
		d    *tlsrpt.Diagnostic
		want string
	}{
		{"no err", &tlsrpt.Diagnostic{Path: "p", Code: "c", Message: "m"}, "tlsrpt: p: m [c]"},
		{"err appended", &tlsrpt.Diagnostic{Path: "p", Code: "c", Severity: tlsrpt.SeverityError, Message: "m", Err: sentinel}, "tlsrpt: error p: m [c]: boom"},
		{"err after fix", &tlsrpt.Diagnostic{Offset: 3, Message: "m", Fix: "f", Err: sentinel}, "tlsrpt: at offset 3: m (fix: f): boom"},
		{"err already in message", &tlsrpt.Diagnostic{Path: "p", Message: "read failed: boom", Err: sentinel}, "tlsrpt: p: read failed: boom"},
		{"err in message without its package", &tlsrpt.Diagnostic{Path: "line 2", Code: "snapshot-corrupt", Message: "corrupt snapshot: policy id 0", Err: errors.New("aggregate: corrupt snapshot")}, "tlsrpt: line 2: corrupt snapshot: policy id 0 [snapshot-corrupt]"},
		{"err with a prefix that is no package", &tlsrpt.Diagnostic{Path: "p", Message: "no such file", Err: errors.New("open x: no such file")}, "tlsrpt: p: no such file: open x: no such file"},
		{"too large", &tlsrpt.Diagnostic{Path: "mime:message", Code: "mime-limit-message-size", Severity: tlsrpt.SeverityError, Message: "message size limit 10 exceeded", Err: tlsrpt.ErrTooLarge}, "tlsrpt: error mime:message: message size limit 10 exceeded [mime-limit-message-size]: tlsrpt: input too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if got := tt.d.Unwrap(); got != tt.d.Err {
				t.Errorf("Unwrap() = %v, want %v", got, tt.d.Err)
			}
			if tt.d.Err != nil && !errors.Is(tt.d, tt.d.Err) {
				t.Errorf("errors.Is(%v, %v) = false", tt.d, tt.d.Err)
			}
		})
	}
}

// errors.Is and errors.As look through a *Diagnostic to its Err, also when
// Diagnostics nest (a mail part's wrapping a report decoder's).
func TestDiagnosticUnwrap(t *testing.T) {
	inner := &tlsrpt.Diagnostic{Path: "policies[0]", Code: "inner", Severity: tlsrpt.SeverityError, Message: "bad", Err: tlsrpt.ErrTooLarge}
	outer := &tlsrpt.Diagnostic{Path: "mime:part[2]", Code: "outer", Severity: tlsrpt.SeverityError, Message: "undecodable", Err: inner}
	var err error = fmt.Errorf("wrapped: %w", outer)
	if !errors.Is(err, tlsrpt.ErrTooLarge) {
		t.Errorf("errors.Is(%v, ErrTooLarge) = false", err)
	}
	var d *tlsrpt.Diagnostic
	if !errors.As(err, &d) || d != outer {
		t.Fatalf("errors.As found %+v, want the outer Diagnostic", d)
	}
	if !errors.As(d.Err, &d) || d != inner {
		t.Fatalf("errors.As(outer.Err) found %+v, want the inner Diagnostic", d)
	}
	if (&tlsrpt.Diagnostic{}).Unwrap() != nil {
		t.Error("Unwrap of a Diagnostic without Err is not nil")
	}
}

func TestDiagnosticAsError(t *testing.T) {
	var err error = fmt.Errorf("wrapped: %w", &tlsrpt.Diagnostic{Path: "p", Code: "c", Message: "m"})
	var d *tlsrpt.Diagnostic
	if !errors.As(err, &d) || d.Code != "c" {
		t.Fatalf("errors.As(%v) = %v, %+v", err, errors.As(err, &d), d)
	}
	if got, want := err.Error(), "wrapped: tlsrpt: p: m [c]"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// A strict reader's refusal and a lenient reader's repair are the same
// Diagnostic: the error is matched with one errors.As target.
func ExampleDiagnostic() {
	var err error = &tlsrpt.Diagnostic{
		Path:     "date-range.start-datetime",
		Code:     "date-time-no-zone",
		Severity: tlsrpt.SeverityWarning,
		Message:  "date-time has no time zone; read as UTC",
	}
	var d *tlsrpt.Diagnostic
	if errors.As(err, &d) {
		fmt.Println(d.Code)
		fmt.Println(d)
	}
	// Output:
	// date-time-no-zone
	// tlsrpt: warning date-range.start-datetime: date-time has no time zone; read as UTC [date-time-no-zone]
}
