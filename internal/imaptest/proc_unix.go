//go:build unix

package imaptest

import "syscall"

// sysProcAttr puts Dovecot in a process group of its own, so that stop can
// reach the children the master started, and on Linux asks the kernel to
// send the master SIGTERM if the test binary dies without running its
// cleanups.
func sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(a)
	return a
}

// signalGroup sends SIGTERM, or SIGKILL when kill is set, to the process
// group led by pid.
func signalGroup(pid int, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	syscall.Kill(-pid, sig)
}

// groupAlive reports whether any process of the group led by pid exists.
func groupAlive(pid int) bool {
	return syscall.Kill(-pid, 0) == nil
}
