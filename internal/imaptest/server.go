package imaptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Config changes the server Start runs. The zero Config is a plain Dovecot
// with its default capabilities.
type Config struct {
	// IMAPCapability, when not empty, replaces the CAPABILITY list Dovecot
	// announces after login (Dovecot's imap_capability setting). Tests use it
	// to hide extensions such as MOVE (RFC 6851) or UIDPLUS (RFC 4315) from
	// the client; the server still accepts their commands.
	IMAPCapability string
}

// Server is a running Dovecot; see Start.
type Server struct {
	// Addr is host:port of the plain IMAP listener, which offers STARTTLS.
	Addr string
	// TLSAddr is host:port of the implicit-TLS (IMAPS) listener.
	TLSAddr string
	// User and Password log in to the one mail account.
	User, Password string
	// RootCAs trusts the server's self-signed certificate, valid for
	// 127.0.0.1 and localhost.
	RootCAs *x509.CertPool
	// Version is the output of "dovecot --version", for example
	// "2.3.19.1 (9b53102964)".
	Version string

	dir     string
	conf    string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// TLSConfig returns a new TLS configuration that trusts the server's
// certificate and names 127.0.0.1.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.RootCAs, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Log returns what Dovecot has logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// Start runs a Dovecot configured by cfg until tb ends; see the package
// documentation for the configuration and for when it skips.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	bin := findDovecot()
	if bin == "" {
		missing(tb, os.Getenv("CI"))
		return nil
	}
	version, err := dovecotVersion(bin)
	if err != nil {
		tb.Fatal(err)
	}
	if !strings.HasPrefix(version, "2.3.") {
		tb.Fatalf("imaptest: dovecot %s: only the 2.3 configuration syntax is implemented (tested with 2.3.19.1)", version)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(tb, bin, version, cfg)
		if err == nil {
			return s
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	tb.Fatal(lastErr)
	return nil
}

// missing skips tb, or fails it when ci (the CI environment variable) is
// set, for want of a dovecot binary.
func missing(tb testing.TB, ci string) {
	tb.Helper()
	msg := "imaptest: no dovecot binary on $PATH or in /usr/sbin " +
		"(Debian: apt-get install --no-install-recommends dovecot-imapd)"
	if ci != "" {
		tb.Fatal(msg + "; CI is set, so this is a failure, not a skip")
		return
	}
	tb.Skip(msg)
}

var errPortTaken = errors.New("imaptest: a listener port was taken before dovecot bound it")

func findDovecot() string {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

func dovecotVersion(bin string) (string, error) {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("imaptest: %s --version: %w", bin, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func start(tb testing.TB, bin, version string, cfg Config) (*Server, error) {
	dir, err := os.MkdirTemp("", "imaptest-")
	if err != nil {
		return nil, err
	}
	// MkdirTemp makes 0700; Dovecot's unprivileged processes must reach
	// the sockets in base_dir and the Maildir below.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()

	id, err := identities()
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, pool, err := selfSigned()
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	s := &Server{
		Addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		TLSAddr:  net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
		User:     "tlsrpt",
		Password: "imaptest-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		RootCAs:  pool,
		Version:  version,
		dir:      dir,
		conf:     filepath.Join(dir, "dovecot.conf"),
		logPath:  filepath.Join(dir, "dovecot.log"),
		exited:   make(chan struct{}),
	}
	home := filepath.Join(dir, "home", s.User)
	if err := os.Mkdir(filepath.Dir(home), 0o755); err != nil {
		return nil, err
	}
	if err := os.Mkdir(home, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chown(home, id.mailUID, id.mailGID); err != nil && os.Geteuid() == 0 {
		return nil, err
	}
	files := map[string][]byte{
		"cert.pem": certPEM,
		"key.pem":  keyPEM,
		// passwd-file: user:password:uid:gid:gecos:home:shell
		"passwd": fmt.Appendf(nil, "%s:{PLAIN}%s:%d:%d::%s::\n", s.User, s.Password, id.mailUID, id.mailGID, home),
		"dovecot.conf": []byte(configText(configParams{
			Dir: dir, Addr: ports[0], TLSAddr: ports[1],
			LoginUser: id.login, InternalUser: id.internal, InternalGroup: id.internalGroup,
			Rootless: os.Geteuid() != 0, Capability: cfg.IMAPCapability,
			Instance: filepath.Base(dir),
		})),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	// The auth process runs as the internal user and reads the passwd-file
	// itself; the certificate and key are read by the config process
	// before it drops privileges.
	if err := os.Chown(filepath.Join(dir, "passwd"), id.internalUID, -1); err != nil && os.Geteuid() == 0 {
		return nil, err
	}

	logFile, err := os.OpenFile(filepath.Join(dir, "dovecot.stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-F", "-c", s.conf)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("imaptest: starting %s: %w", bin, err)
	}
	logFile.Close()
	s.cmd = cmd
	go func() {
		cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(15 * time.Second); err != nil {
		s.stop()
		stderr, _ := os.ReadFile(filepath.Join(dir, "dovecot.stderr"))
		log := s.Log() + string(stderr)
		if strings.Contains(log, "Address already in use") {
			return nil, errPortTaken
		}
		return nil, fmt.Errorf("%w\ndovecot log:\n%s", err, log)
	}
	ok = true
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("imaptest: dovecot log:\n%s", s.Log())
		}
		if err := s.stop(); err != nil {
			tb.Error(err)
		}
		os.RemoveAll(dir)
	})
	return s, nil
}

// waitReady returns once a login over implicit TLS succeeds: the master has
// bound its listeners and the auth process answers.
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var err error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("imaptest: dovecot exited during start-up: %v", s.cmd.ProcessState)
		default:
		}
		var ses *session
		ses, err = s.login(context.Background())
		if err == nil {
			ses.close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("imaptest: dovecot not ready after %v: %w", limit, err)
}

// stop ends the master with SIGTERM (it ends its children), then kills
// whatever is left of the process group.
func (s *Server) stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	pid := s.cmd.Process.Pid
	signalGroup(pid, false)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		signalGroup(pid, true)
		<-s.exited
	}
	// Children that outlive the master (an imap process finishing a
	// command) are killed with the group.
	deadline := time.Now().Add(10 * time.Second)
	for groupAlive(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("imaptest: processes of group %d still alive after SIGKILL", pid)
		}
		signalGroup(pid, true)
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// Kick ends every IMAP session of the user on the server side (doveadm
// kick), as a server restart or an idle timeout would: clients see their
// connection close.
func (s *Server) Kick(tb testing.TB) {
	tb.Helper()
	doveadm, err := exec.LookPath("doveadm")
	if err != nil {
		doveadm = "/usr/bin/doveadm" // dovecot-core installs it beside /usr/sbin/dovecot
	}
	out, err := exec.Command(doveadm, "-c", s.conf, "kick", s.User).CombinedOutput()
	if err != nil {
		tb.Fatalf("imaptest: doveadm kick: %v\n%s", err, out)
	}
	// kick only signals the sessions; wait until they are gone, so that
	// the client's next command meets a closed connection rather than a
	// session that is still winding down.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		out, err := exec.Command(doveadm, "-c", s.conf, "who", s.User).CombinedOutput()
		if err == nil && !strings.Contains(string(out), s.User) {
			return
		}
	}
	tb.Fatalf("imaptest: sessions of %s still there 5 s after doveadm kick", s.User)
}

type ids struct {
	login, internal, internalGroup string
	internalUID                    int
	mailUID, mailGID               int
}

// identities picks the users Dovecot's processes run as; see the package
// documentation.
func identities() (ids, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return ids{}, err
		}
		g, err := user.LookupGroupId(strconv.Itoa(os.Getegid()))
		if err != nil {
			return ids{}, err
		}
		return ids{login: u.Username, internal: u.Username, internalGroup: g.Name,
			internalUID: os.Geteuid(), mailUID: os.Geteuid(), mailGID: os.Getegid()}, nil
	}
	pick := func(names ...string) *user.User {
		for _, n := range names {
			if u, err := user.Lookup(n); err == nil {
				return u
			}
		}
		return nil
	}
	nobody, login, internal := pick("nobody"), pick("dovenull", "nobody"), pick("dovecot", "nobody")
	if nobody == nil {
		return ids{}, errors.New("imaptest: running as root needs a user nobody for mail access")
	}
	mailUID, _ := strconv.Atoi(nobody.Uid)
	mailGID, _ := strconv.Atoi(nobody.Gid)
	internalUID, _ := strconv.Atoi(internal.Uid)
	return ids{login: login.Username, internal: internal.Username, internalUID: internalUID,
		mailUID: mailUID, mailGID: mailGID}, nil
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

type configParams struct {
	Dir, Instance                          string
	Addr, TLSAddr                          int
	LoginUser, InternalUser, InternalGroup string
	Rootless                               bool
	Capability                             string
}

// configText is the whole dovecot.conf (2.3 syntax); nothing is included
// from /etc/dovecot.
func configText(p configParams) string {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# written by internal/imaptest for one test; see its package doc")
	w("base_dir = %s/run", p.Dir)
	w("state_dir = %s/state", p.Dir)
	w("instance_name = %s", p.Instance)
	w("protocols = imap")
	w("listen = 127.0.0.1")
	w("log_path = %s/dovecot.log", p.Dir)
	w("default_login_user = %s", p.LoginUser)
	w("default_internal_user = %s", p.InternalUser)
	if p.InternalGroup != "" {
		w("default_internal_group = %s", p.InternalGroup)
	}
	w("first_valid_uid = 1")
	w("ssl = yes")
	w("ssl_cert = <%s/cert.pem", p.Dir)
	w("ssl_key = <%s/key.pem", p.Dir)
	w("ssl_min_protocol = TLSv1.2")
	w("auth_mechanisms = plain login")
	w("auth_failure_delay = 0")
	w("mail_location = maildir:~/Maildir")
	if p.Capability != "" {
		w("imap_capability = %s", p.Capability)
	}
	w("namespace inbox {\n  inbox = yes\n  separator = /\n}")
	w("passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%%u %s/passwd\n}", p.Dir)
	w("userdb {\n  driver = passwd-file\n  args = username_format=%%u %s/passwd\n}", p.Dir)
	w("service imap-login {")
	if p.Rootless {
		w("  chroot =")
	}
	w("  inet_listener imap {\n    address = 127.0.0.1\n    port = %d\n  }", p.Addr)
	w("  inet_listener imaps {\n    address = 127.0.0.1\n    port = %d\n    ssl = yes\n  }", p.TLSAddr)
	w("}")
	if p.Rootless {
		w("service anvil {\n  chroot =\n}")
	}
	return b.String()
}
