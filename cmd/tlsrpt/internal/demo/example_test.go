package demo_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"

	"github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt/internal/demo"
	"github.com/go-tlsrpt/tlsrpt/store"
)

// Fill a new SQLite store with the demo month and ask it the readiness
// of two domains.
func ExampleFill() {
	dir, err := os.MkdirTemp("", "demo")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := sql.Open("sqlite", store.SQLiteDSN(filepath.Join(dir, "demo.db")))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		panic(err)
	}
	defer st.Close()

	now := time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)
	n, err := demo.Fill(ctx, st, demo.Options{Now: now, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println("stored", n, "reports")
	for _, dom := range []string{"example.net", "example.org"} {
		r, err := st.Readiness(ctx, dom, time.Time{}, now, store.ReadinessConfig{})
		if err != nil {
			panic(err)
		}
		fmt.Println(dom, r.Verdict)
	}
	// Output:
	// stored 597 reports
	// example.net ready
	// example.org not-ready
}
