//go:build unix && !linux

package imaptest

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}
