package redistest

import "syscall"

// sysProcAttr puts redis-server in its own process group (a Ctrl-C meant for
// the tests does not reach it; kill can signal the group) and has the kernel
// kill it when the thread that started it exits (see start).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
