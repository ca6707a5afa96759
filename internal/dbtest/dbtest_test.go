package dbtest

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestSQLite(t *testing.T) {
	a := SQLite(t, nil)
	b := SQLite(t, func(path string) string { return "file:" + path + "?_pragma=journal_mode(WAL)" })
	if _, err := a.Exec("CREATE TABLE x (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec("SELECT count(*) FROM x"); err == nil {
		t.Error("the two databases share a table; want separate files")
	}
	var mode string
	if err := b.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal (dsn applied)", mode, err)
	}
}

func TestPostgres(t *testing.T) {
	a := Postgres(t)
	b := Postgres(t)
	if _, err := a.Exec("CREATE TABLE x (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec("SELECT count(*) FROM x"); err == nil {
		t.Error("the two databases share a table; want a fresh database per call")
	}
	var v string
	if err := a.QueryRow("SHOW fsync").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if os.Getenv(EnvPostgres) == "" && v != "off" {
		t.Errorf("fsync = %s, want off on the throwaway cluster", v)
	}
}

// helperEnv makes the test binary, run as a child, start a cluster, print
// the postmaster's pid and then either exit normally or hang until killed.
const helperEnv = "DBTEST_HELPER"

func TestHelperCluster(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("run as a child by TestNoServerLeftBehind")
	}
	db := Postgres(t)
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("PID " + strconv.Itoa(srv.pid) + " " + srv.dir + "\n")
	if mode == "hang" {
		time.Sleep(time.Minute)
	}
}

// TestNoServerLeftBehind runs a child test binary that starts a cluster and
// checks that the postmaster is gone after the child ends, whether it ends
// through Main or is killed.
func TestNoServerLeftBehind(t *testing.T) {
	if os.Getenv(EnvPostgres) != "" {
		t.Skip("an external server is in use; no cluster is started")
	}
	Postgres(t) // skips or fails as the package documents when there is no PostgreSQL
	for _, mode := range []string{"exit", "hang"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperCluster$", "-test.v")
			cmd.Env = append(os.Environ(), helperEnv+"="+mode)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pid, dir := 0, ""
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "PID" {
					pid, _ = strconv.Atoi(f[1])
					dir = f[2]
					break
				}
			}
			if pid == 0 {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("child printed no postmaster pid")
			}
			if mode == "hang" {
				cmd.Process.Kill()
			}
			go func() {
				for sc.Scan() {
				}
			}()
			werr := cmd.Wait()
			if mode == "exit" && werr != nil {
				t.Fatalf("child: %v", werr)
			}
			deadline := time.Now().Add(30 * time.Second)
			for alive(pid) {
				if time.Now().After(deadline) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("postmaster %d still running 30s after the test binary ended", pid)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if mode == "exit" {
				if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("cluster directory %s left behind (%v)", dir, err)
				}
			} else {
				// A killed binary cannot clean up its directory: the next
				// cluster start does.
				if _, err := os.Stat(filepath.Join(dir, ownerFile)); err != nil {
					t.Fatalf("no owner file in %s: %v", dir, err)
				}
				removeStale()
				if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("stale cluster directory %s not removed (%v)", dir, err)
					os.RemoveAll(dir)
				}
			}
		})
	}
}

// alive reports whether pid is a running, not zombie, process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
