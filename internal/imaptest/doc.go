// Package imaptest runs a real Dovecot IMAP server on 127.0.0.1 for tests.
//
// Start writes a throw-away configuration into a fresh temporary directory
// and runs "dovecot -F -c <that file>" in the foreground as a child of the
// test. Nothing of the system installation is used but the binaries: not
// /etc/dovecot, not /run/dovecot, not the system service (which may be
// stopped, disabled or absent), and no fixed port. The server has one user
// (User, Password) whose mail is a Maildir under the temporary directory, and
// two listeners on free loopback ports: Addr (plain IMAP that offers
// STARTTLS, RFC 3501 §6.2.1) and TLSAddr (implicit TLS, RFC 8314 §3.3). Both
// present a self-signed certificate for 127.0.0.1 and localhost generated for
// this server; RootCAs trusts it. The test's cleanup stops the master
// process and every process it started, and removes the directory. If the
// test binary dies without running its cleanups (a -timeout panic), Linux
// sends the master SIGTERM (Pdeathsig) and it exits within a few seconds,
// taking its children along; the directory /tmp/imaptest-* stays.
//
// The harness talks to the server through its own small IMAP exchange
// (Append, CreateMailbox, DeleteMailbox, Status) built on the standard
// library only, so that tests do not check an IMAP client with itself.
//
// # Versions and configuration
//
// Tested with Dovecot 2.3.19.1 (9b53102964), Debian bookworm's
// dovecot-imapd 1:2.3.19.1+dfsg1-2.1+deb12u7, as root (the project's machines
// and CI) and as an unprivileged user. The configuration uses the 2.3 syntax;
// Start fails with a clear message for a Dovecot 2.4 or newer binary, whose
// configuration language differs (dovecot_config_version, mail_driver,
// named passdb blocks).
//
// The choices that make the server independent of the system and usable as
// either user:
//
//   - base_dir, state_dir, log_path and the Maildir live in the temporary
//     directory (mode 0755 so Dovecot's unprivileged processes can reach their
//     sockets); instance_name is unique per server.
//   - passdb and userdb are one passwd-file with a {PLAIN} password.
//     auth_failure_delay is 0 so a wrong-password test does not wait 2 s.
//   - Run as root: login processes run as dovenull and internal ones as
//     dovecot (both created by the dovecot-core package; nobody when absent);
//     the mail user's uid and gid are nobody's and the home directory is
//     chowned to it, because Dovecot refuses mail access as root.
//   - Run unprivileged: every service, login and mail access run as the
//     current user and group (default_internal_group too, since some sockets
//     are otherwise chowned to the "dovecot" group), and imap-login is not
//     chrooted.
//   - ssl = yes with an ECDSA P-256 certificate; the plain listener accepts
//     LOGIN because Dovecot treats connections from 127.0.0.1 as secured.
//
// # Skipping
//
// Start skips the test when no dovecot binary is found (on $PATH or in
// /usr/sbin) and the environment variable CI is empty. Under CI it fails the
// test instead, so that a missing package cannot turn the IMAP tests into
// silent skips. Debian: apt-get install --no-install-recommends dovecot-imapd.
package imaptest
