//go:build linux

package store

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// The environment of a child process of the crash tests: the test binary
// runs itself with -test.run=^TestCrashChild$ and these set.
const (
	childModeEnv    = "TLSRPT_STORE_CHILD_MODE" // "record" or "claim"
	childDialectEnv = "TLSRPT_STORE_CHILD_DIALECT"
	childDSNEnv     = "TLSRPT_STORE_CHILD_DSN"
	childRunEnv     = "TLSRPT_STORE_CHILD_RUN"
)

// crashNode is the node name of the crash test's child, the same in every
// run, as a restarted MTA keeps its name.
const crashNode = "mta-crash"

// crashBlock is how many sessions the child records ahead of its last
// acknowledged flush: the recorder runs as fast as the Store takes the
// flushes, and a flush holds up to two blocks.
const crashBlock = 400

var (
	crashPolicy = policy.Policy{Type: policy.TypeSTS, Domain: "xn--bcher-kva.example",
		Strings: []string{"version: STSv1", "mode: testing", "mx: mx.xn--bcher-kva.example", "max_age: 86400"},
		MXHosts: []string{"mx.xn--bcher-kva.example"}}
	crashConfig = aggregate.Config{OrganizationName: "Crash Test", ContactInfo: "mailto:tlsrpt@sender.example",
		ReportIDDomain: "sender.example"}
	crashDay0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
)

// crashDay is the day the child of run records on: a day of its own, so
// that each run's sessions are checked apart.
func crashDay(run int) time.Time { return crashDay0.AddDate(0, 0, run) }

// sessionIP numbers a session: session i of a run fails with
// sending-mta-ip 2001:db8::<i>, a failure detail of its own, so that a
// session counted twice shows as a failed-session-count of 2.
func sessionIP(i uint64) netip.Addr {
	var a [16]byte
	copy(a[:], []byte{0x20, 0x01, 0x0d, 0xb8})
	binary.BigEndian.PutUint64(a[8:], i)
	return netip.AddrFrom16(a)
}

func sessionOf(ip netip.Addr) uint64 {
	a := ip.As16()
	return binary.BigEndian.Uint64(a[8:])
}

// TestCrashChild is the child process of TestCrashRecovery and
// TestClaimTakeoverKilled; run directly it is skipped.
func TestCrashChild(t *testing.T) {
	mode := os.Getenv(childModeEnv)
	if mode == "" {
		t.Skip("the child process of the crash tests")
	}
	out := os.NewFile(3, "report pipe")
	ctx := context.Background()
	dialect := Dialect(os.Getenv(childDialectEnv))
	drv := "sqlite"
	if dialect == DialectPostgres {
		drv = "pgx"
	}
	db, err := sql.Open(drv, os.Getenv(childDSNEnv))
	if err != nil {
		childFail(out, err)
	}
	st, err := Open(ctx, db, Options{Dialect: dialect})
	if err != nil {
		childFail(out, err)
	}
	run, _ := strconv.Atoi(os.Getenv(childRunEnv))
	switch mode {
	case "record":
		crashRecord(ctx, st, run, out)
	case "claim":
		claimAndHang(ctx, st, out)
	}
	childFail(out, fmt.Errorf("unknown mode %q", mode))
}

func childFail(out *os.File, err error) {
	fmt.Fprintf(out, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	os.Exit(2)
}

// crashRecord records numbered sessions through an Aggregator and its
// Flusher into st until it is killed. It writes to out "rec R" before
// recording sessions up to R (so at most R were recorded) and "ack A"
// after each flush that returned nil, A being the number recorded before
// the flush began (so all of 1..A are in the Store). Each line is one
// write(2) of less than PIPE_BUF bytes: atomic, and the parent reads it
// even when the child dies right after.
func crashRecord(ctx context.Context, st *Store, run int, out *os.File) {
	agg := aggregate.New(crashConfig)
	fl, err := aggregate.NewFlusher(ctx, agg, st, aggregate.FlushConfig{Node: crashNode})
	if err != nil {
		childFail(out, err)
	}
	pid, err := agg.PolicyID(crashPolicy)
	if err != nil {
		childFail(out, err)
	}
	at := crashDay(run).Add(12 * time.Hour)
	var recorded, acked atomic.Uint64
	go func() {
		for {
			n := recorded.Load()
			if err := fl.Flush(ctx); err != nil {
				childFail(out, err)
			}
			fmt.Fprintf(out, "ack %d\n", n)
			acked.Store(n)
			time.Sleep(time.Millisecond)
		}
	}()
	fmt.Fprintln(out, "ready")
	for i := uint64(0); ; {
		for i > acked.Load()+crashBlock {
			time.Sleep(100 * time.Microsecond)
		}
		fmt.Fprintf(out, "rec %d\n", i+crashBlock)
		for range crashBlock {
			i++
			err := agg.Record(aggregate.Session{Time: at, Policy: pid, Failures: []aggregate.Failure{{
				ResultType: report.ResultCertificateExpired, SendingMTAIP: sessionIP(i),
				ReceivingMXHostname: "mx.xn--bcher-kva.example"}}})
			if err != nil {
				childFail(out, err)
			}
			recorded.Store(i)
		}
	}
}

// childDSN returns the data source name of the database db (from dbtest)
// for a child process: SQLiteDSN of path, or the connection settings of
// the pgx connection pool.
func childDSN(t *testing.T, d Dialect, db *sql.DB, path string) string {
	t.Helper()
	if d == DialectSQLite {
		return SQLiteDSN(path)
	}
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	var dsn string
	require.NoError(t, conn.Raw(func(dc any) error {
		cfg := dc.(*stdlib.Conn).Conn().Config()
		u := url.URL{Scheme: "postgres", Host: cfg.Host + ":" + strconv.Itoa(int(cfg.Port)), Path: "/" + cfg.Database,
			RawQuery: "sslmode=disable"}
		if cfg.Password != "" {
			u.User = url.UserPassword(cfg.User, cfg.Password)
		} else {
			u.User = url.User(cfg.User)
		}
		dsn = u.String()
		return nil
	}))
	return dsn
}

// child is a running child process and the lines it writes.
type child struct {
	cmd   *exec.Cmd
	lines chan string
}

func startChild(t *testing.T, env ...string) *child {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), env...)
	cmd.ExtraFiles = []*os.File{w}
	// The child dies with the test binary, should that be killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	w.Close()
	c := &child{cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		defer r.Close()
		defer close(c.lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	return c
}

// kill kills the child with SIGKILL and waits for it.
func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
}

// TestCrashRecovery kills a node that records sessions at full speed and
// flushes them to the Store, at random moments, and restarts it, over and
// over: after each kill the Store holds every session whose flush was
// acknowledged, none that was not recorded, and none twice.
// acknowledged ≤ stored ≤ recorded, session by session. Each run records
// on a day of its own, and every session fails with a detail of its own
// (sessionIP), so a replayed batch would show as a count of 2, and the
// restarted node must continue its Batch numbering (LastSeq) for its
// first flush to count at all. 60 kills per engine (10 with -short).
func TestCrashRecovery(t *testing.T) {
	runs := 60
	if testing.Short() {
		runs = 10
	}
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dir := t.TempDir()
			var db *sql.DB
			var dsn string
			if d.name == DialectSQLite {
				path := dir + "/crash.db"
				var err error
				db, err = sql.Open("sqlite", SQLiteDSN(path))
				require.NoError(t, err)
				t.Cleanup(func() { db.Close() })
				dsn = SQLiteDSN(path)
			} else {
				db = d.open(t)
				dsn = childDSN(t, d.name, db, "")
			}
			st := openStore(t, db, Options{Dialect: d.name})
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
			got := make([]crashBounds, runs+1)
			var kills, flushesAcked, unacked int
			var sumAck, sumStored, sumRec uint64
			for run := 1; run <= runs; run++ {
				c := startChild(t, childModeEnv+"=record", childDialectEnv+"="+string(d.name), childDSNEnv+"="+dsn,
					childRunEnv+"="+strconv.Itoa(run))
				delay := time.Duration(rng.IntN(200)) * time.Millisecond
				fromStart := rng.IntN(4) == 0
				deadline := time.After(30 * time.Second)
				var killAt <-chan time.Time
				b := &got[run]
			read:
				for {
					select {
					case line, ok := <-c.lines:
						if !ok {
							t.Fatalf("run %d: the child exited before it was killed: %v", run, c.cmd.Wait())
						}
						ready := !b.parse(t, run, line)
						// The kill's delay counts from the child's start
						// in a quarter of the runs, and from its first
						// acknowledged sessions in the others.
						if killAt == nil && ((ready && fromStart) || b.ack > 0) {
							killAt = time.After(delay)
						}
					case <-killAt:
						break read
					case <-deadline:
						c.kill()
						t.Fatalf("run %d: the child did not start", run)
					}
				}
				c.kill()
				kills++
				for line := range c.lines {
					b.parse(t, run, line)
				}
				if b.ack > 0 {
					flushesAcked++
				}
				stored := checkCrashDay(t, st, run, b.ack, b.rec)
				if stored > b.ack {
					unacked++ // a flush took sessions recorded while it ran, or the kill fell between its commit and its acknowledgement
				}
				sumAck, sumStored, sumRec = sumAck+b.ack, sumStored+stored, sumRec+b.rec
			}
			// Every day again: no later run changed an earlier one.
			for run := 1; run <= runs; run++ {
				checkCrashDay(t, st, run, got[run].ack, got[run].rec)
			}
			seq, err := st.LastSeq(ctx, crashNode)
			require.NoError(t, err)
			t.Logf("%d kills, %d runs with an acknowledged flush, %d with more stored than acknowledged; %d batches applied; "+
				"sessions acknowledged %d <= stored %d <= recorded at most %d", kills, flushesAcked, unacked, seq, sumAck, sumStored, sumRec)
			if flushesAcked < runs/2 {
				t.Errorf("only %d of %d runs had a flush acknowledged before the kill: the test did not exercise recovery", flushesAcked, runs)
			}
		})
	}
}

// crashBounds is what a run's child reported: all of sessions 1..ack are
// acknowledged, at most 1..rec were recorded.
type crashBounds struct{ ack, rec uint64 }

// parse reads a line of the child's into b; it returns false for the
// "ready" line.
func (b *crashBounds) parse(t *testing.T, run int, line string) bool {
	t.Helper()
	word, arg, _ := strings.Cut(line, " ")
	switch word {
	case "ready":
		return false
	case "ack", "rec":
		n, err := strconv.ParseUint(arg, 10, 64)
		if err != nil {
			t.Fatalf("run %d: child wrote %q", run, line)
		}
		if word == "ack" {
			b.ack = max(b.ack, n)
		} else {
			b.rec = max(b.rec, n)
		}
		return true
	}
	t.Fatalf("run %d: child: %s", run, line)
	return true
}

// checkCrashDay checks the stored counts of run's day: every session
// counted once, sessions 1..ack all there, none above rec, and the
// summary equal to the details.
func checkCrashDay(t *testing.T, st *Store, run int, ack, rec uint64) (stored uint64) {
	t.Helper()
	counts, err := st.DayCounts(context.Background(), crashDay(run))
	require.NoError(t, err)
	if len(counts) > 1 {
		t.Fatalf("run %d: %d policies stored, want at most 1", run, len(counts))
	}
	if len(counts) == 0 {
		if ack > 0 {
			t.Fatalf("run %d: nothing stored, %d sessions acknowledged", run, ack)
		}
		return 0
	}
	pr := counts[0]
	seen := make(map[uint64]bool, len(pr.FailureDetails))
	for _, fd := range pr.FailureDetails {
		i := sessionOf(fd.SendingMTAIP)
		if fd.FailedSessionCount != 1 {
			t.Fatalf("run %d: session %d counted %d times", run, i, fd.FailedSessionCount)
		}
		if i == 0 || i > rec {
			t.Fatalf("run %d: session %d stored, only 1..%d recorded", run, i, rec)
		}
		seen[i] = true
	}
	for i := uint64(1); i <= ack; i++ {
		if !seen[i] {
			t.Fatalf("run %d: acknowledged session %d (of 1..%d) not stored", run, i, ack)
		}
	}
	if s := pr.Summary; s.TotalFailureSessionCount != int64(len(pr.FailureDetails)) || s.TotalSuccessfulSessionCount != 0 {
		t.Fatalf("run %d: summary %+v for %d stored sessions", run, s, len(pr.FailureDetails))
	}
	return uint64(len(pr.FailureDetails))
}

// claimAndHang claims the crash policy's report of crashDay(0) as node
// "mta-dies" with a one-hour lease from a fixed clock, after flushing one
// session, writes "claimed N" and waits to be killed.
func claimAndHang(ctx context.Context, st *Store, out *os.File) {
	agg := aggregate.New(crashConfig)
	fl, err := aggregate.NewFlusher(ctx, agg, st, aggregate.FlushConfig{Node: "mta-dies", Lease: time.Hour,
		Now: func() time.Time { return claimT0 }})
	if err != nil {
		childFail(out, err)
	}
	pid, err := agg.PolicyID(crashPolicy)
	if err != nil {
		childFail(out, err)
	}
	if err := agg.Record(aggregate.Session{Time: crashDay(0).Add(time.Hour), Policy: pid}); err != nil {
		childFail(out, err)
	}
	claimed, err := fl.ClaimReports(ctx, crashDay(0))
	if err != nil {
		childFail(out, err)
	}
	fmt.Fprintf(out, "claimed %d\n", len(claimed))
	select {}
}

// claimT0 is the clock of the claim takeover test.
var claimT0 = crashDay(1).Add(2 * time.Hour)

// TestClaimTakeoverKilled kills a node that holds a report's claim: the
// other node is refused while the dead node's lease runs, takes the
// report over once it expired, with the dead node's counts in it, and
// finishes it; the dead node, restarted, can neither finish nor claim it.
func TestClaimTakeoverKilled(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d.name), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := t.TempDir() + "/claim.db"
			var db *sql.DB
			var dsn string
			if d.name == DialectSQLite {
				var err error
				db, err = sql.Open("sqlite", SQLiteDSN(path))
				require.NoError(t, err)
				t.Cleanup(func() { db.Close() })
				dsn = SQLiteDSN(path)
			} else {
				db = d.open(t)
				dsn = childDSN(t, d.name, db, "")
			}
			st := openStore(t, db, Options{Dialect: d.name})
			c := startChild(t, childModeEnv+"=claim", childDialectEnv+"="+string(d.name), childDSNEnv+"="+dsn)
			select {
			case line := <-c.lines:
				if line != "claimed 1" {
					c.kill()
					t.Fatalf("child: %q, want \"claimed 1\"", line)
				}
			case <-time.After(30 * time.Second):
				c.kill()
				t.Fatal("the child did not claim")
			}
			c.kill()

			now := claimT0
			node := func(name string) *aggregate.Flusher {
				fl, err := aggregate.NewFlusher(ctx, aggregate.New(crashConfig), st,
					aggregate.FlushConfig{Node: name, Lease: time.Hour, Now: func() time.Time { return now }})
				require.NoError(t, err)
				return fl
			}
			survivor := node("mta-lives")
			for _, step := range []struct {
				at   time.Duration
				want int
			}{{0, 0}, {59 * time.Minute, 0}, {time.Hour, 1}} {
				now = claimT0.Add(step.at)
				claimed, err := survivor.ClaimReports(ctx, crashDay(0))
				require.NoError(t, err)
				if len(claimed) != step.want {
					t.Fatalf("%v after the dead node's claim: %d reports claimed, want %d", step.at, len(claimed), step.want)
				}
				if step.want == 1 {
					if n := claimed[0].Report.Policies[0].Summary.TotalSuccessfulSessionCount; n != 1 {
						t.Errorf("taken-over report counts %d sessions, want the dead node's 1", n)
					}
					require.NoError(t, survivor.FinishReport(ctx, claimed[0]))
				}
			}
			now = claimT0.Add(2 * time.Hour)
			restarted := node("mta-dies")
			if err := st.FinishReport(ctx, aggregate.Claim{Day: crashDay(0), PolicyDomain: crashPolicy.Domain, Node: "mta-dies", Now: now}); !errors.Is(err, aggregate.ErrNotClaimed) {
				t.Errorf("FinishReport by the dead node after the takeover = %v, want ErrNotClaimed", err)
			}
			claimed, err := restarted.ClaimReports(ctx, crashDay(0))
			require.NoError(t, err)
			if len(claimed) != 0 {
				t.Errorf("the restarted node claimed %d finished reports", len(claimed))
			}
		})
	}
}
