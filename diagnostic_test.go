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
