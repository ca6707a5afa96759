//go:build !unix

package imaptest

import (
	"os"
	"syscall"
)

// Dovecot runs on Unix only; findDovecot finds nothing elsewhere, so these
// are never reached with a live process.

func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(pid int, kill bool) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}

func groupAlive(int) bool { return false }
