package dbtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// EnvPostgres names the environment variable holding the connection string
// of an existing PostgreSQL server to use instead of a throwaway cluster.
const EnvPostgres = "TLSRPT_TEST_POSTGRES"

// pgDefaultBinDir is searched first for initdb and postgres; then the
// highest version under /usr/lib/postgresql, then $PATH.
const pgDefaultBinDir = "/usr/lib/postgresql/15/bin"

// startTimeout bounds initdb plus the server's start.
const startTimeout = 2 * time.Minute

// The one server of the test binary. Main stops it.
var (
	mainRunning atomic.Bool
	serverOnce  sync.Once
	srv         *server
	srvErr      error
	srvSkip     string
	dbSeq       atomic.Int64
)

// server is the PostgreSQL a test binary uses: either the cluster it
// started (proc != nil) or the one $TLSRPT_TEST_POSTGRES names.
type server struct {
	base  *pgx.ConnConfig // connection to the maintenance database
	admin *sql.DB         // CREATE and DROP DATABASE go through it

	dir  string      // the cluster's temporary directory ("" for an external server)
	proc *os.Process // the postmaster
	done chan error  // receives the postmaster's exit
	pid  int
}

// Main runs the tests of a package that uses Postgres and stops the
// cluster afterwards. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
func Main(m *testing.M) int {
	mainRunning.Store(true)
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Postgres returns a connection pool (driver pgx) to a new, empty database
// on the test binary's PostgreSQL server, dropped when the test ends. See
// the package documentation for where the server comes from and when the
// test is skipped instead.
func Postgres(tb testing.TB) *sql.DB {
	tb.Helper()
	if !mainRunning.Load() {
		tb.Fatal("dbtest: Postgres needs the package's TestMain to call dbtest.Main (it stops the server)")
	}
	serverOnce.Do(func() { srv, srvSkip, srvErr = start() })
	if srvSkip != "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("dbtest: %s (CI is set, so this is a failure)", srvSkip)
		}
		tb.Skipf("dbtest: %s; skipping (set CI to make this fail)", srvSkip)
	}
	if srvErr != nil {
		tb.Fatalf("dbtest: %v", srvErr)
	}
	name := fmt.Sprintf("tlsrpt_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := srv.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("dbtest: create database: %v", err)
	}
	cfg := srv.base.Copy()
	cfg.Database = name
	db := stdlib.OpenDB(*cfg)
	tb.Cleanup(func() {
		db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := srv.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("dbtest: drop database: %v", err)
		}
	})
	return db
}

// start connects to $TLSRPT_TEST_POSTGRES or starts a cluster. skip is
// set when there is no PostgreSQL to be had on this machine.
func start() (s *server, skip string, err error) {
	if dsn := os.Getenv(EnvPostgres); dsn != "" {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, "", fmt.Errorf("$%s: %v", EnvPostgres, err)
		}
		s := &server{base: cfg, admin: stdlib.OpenDB(*cfg)}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.admin.PingContext(ctx); err != nil {
			s.admin.Close()
			return nil, "", fmt.Errorf("$%s: %v", EnvPostgres, err)
		}
		return s, "", nil
	}
	bin := findBinDir()
	if bin == "" {
		return nil, "PostgreSQL server binaries (initdb, postgres) not found in " + pgDefaultBinDir +
			", /usr/lib/postgresql/*/bin or $PATH, and $" + EnvPostgres + " is unset", nil
	}
	s, err = startCluster(bin)
	return s, "", err
}

// findBinDir returns the directory holding initdb and postgres, or "".
func findBinDir() string {
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if has(pgDefaultBinDir) {
		return pgDefaultBinDir
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if has(d) {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p)
	}
	return ""
}

// version is the major version in /usr/lib/postgresql/<version>/bin.
func version(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

// startCluster runs initdb and the postmaster, as the postgres user when
// the test runs as root.
func startCluster(bin string) (_ *server, err error) {
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user to run the cluster as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	removeStale()
	dir, err := os.MkdirTemp("", "tlsrpt-pg-")
	if err != nil {
		return nil, err
	}
	// The owner file lets a later run remove the directory if this test
	// binary is killed before Main cleans up.
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := runPostmaster(ctx, bin, dir, data, port, cred)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// ownerFile holds the pid of the test binary that made a cluster
// directory.
const ownerFile = "owner.pid"

// removeStale removes the cluster directories of test binaries that died
// without cleaning up (their postmasters died with them, see Pdeathsig).
// A directory without owner file, or whose owner lives, is left alone.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "tlsrpt-pg-*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		if pm, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			if line, _, _ := bytes.Cut(pm, []byte("\n")); len(line) > 0 {
				if p, err := strconv.Atoi(string(line)); err == nil && syscall.Kill(p, 0) != syscall.ESRCH {
					continue // its postmaster still runs
				}
			}
		}
		os.RemoveAll(d)
	}
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// runPostmaster starts postgres in the foreground and waits until it
// accepts connections.
func runPostmaster(ctx context.Context, bin, dir, data string, port int, cred *syscall.Credential) (*server, error) {
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	if cred != nil {
		os.Chown(logPath, int(cred.Uid), int(cred.Gid))
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+dir,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
		"-c", "logging_collector=off",
	)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// If the test binary dies without running Main's cleanup, the kernel
	// sends the postmaster SIGQUIT (immediate shutdown). Pdeathsig fires
	// when the thread that started the child ends, so the child is started
	// and waited for on a goroutine locked to its thread, which lives as
	// long as the postmaster does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	started := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		done <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start postgres: %v", err)
	}

	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable connect_timeout=5", port))
	if err != nil {
		cmd.Process.Kill()
		<-done
		return nil, err
	}
	s := &server{base: cfg, dir: dir, proc: cmd.Process, done: done, pid: cmd.Process.Pid}
	s.admin = stdlib.OpenDB(*cfg)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := s.admin.PingContext(pctx)
		cancel()
		if err == nil {
			return s, nil
		}
		select {
		case werr := <-done:
			s.admin.Close()
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres exited during start (%v):\n%s", werr, tail(log))
		case <-ctx.Done():
			s.admin.Close()
			cmd.Process.Kill()
			<-done
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres did not accept connections within %v (%v):\n%s", startTimeout, err, tail(log))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tail returns the last lines of a log for an error message.
func tail(b []byte) []byte {
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return b
}

// stop shuts the cluster down (fast shutdown, then kill) and removes its
// directory. It is a no-op when no cluster was started.
func stop() error {
	if srv == nil {
		return nil
	}
	s := srv
	srv = nil
	s.admin.Close()
	if s.proc == nil {
		return nil
	}
	var errs []error
	s.proc.Signal(syscall.SIGINT) // fast shutdown: disconnect clients, checkpoint, exit
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		errs = append(errs, errors.New("postgres did not stop within 30s after SIGINT; killed"))
		s.proc.Kill()
		<-s.done
	}
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
