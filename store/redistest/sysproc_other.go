//go:build unix && !linux

package redistest

import "syscall"

// sysProcAttr puts redis-server in its own process group. Without Pdeathsig
// (Linux only) a redis-server outlives a test binary that is killed; Run
// still stops it whenever Run itself returns.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
