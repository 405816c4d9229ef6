//go:build linux || darwin || freebsd || netbsd || openbsd

package telegram

import (
	"net"
	"syscall"
)

// peerClosed reports, without waiting, whether the server closed c or
// sent something unasked (a TLS close alert, an error page): a pooled
// connection that is not fit for a request. One recv(MSG_PEEK) call.
func peerClosed(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// n == 0 without error: the server's FIN; n > 0: bytes nobody
		// asked for; an error other than "nothing yet": a reset.
		closed = n >= 0 && err == nil || err != nil && err != syscall.EAGAIN && err != syscall.EWOULDBLOCK && err != syscall.EINTR
		return true // never wait
	})
	return closed || err != nil
}
