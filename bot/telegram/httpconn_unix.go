//go:build linux || darwin || freebsd || netbsd || openbsd

package telegram

import (
	"net"
	"syscall"
)

// peeker looks at a connection's socket without reading from it.
type peeker struct {
	rc     syscall.RawConn
	fn     func(fd uintptr) bool // peek, made once
	buf    [1]byte
	closed bool
}

// newPeeker returns a peeker for c, nil if c has no socket.
func newPeeker(c net.Conn) *peeker {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	p := &peeker{rc: rc}
	p.fn = p.peek
	return p
}

// peerClosed reports, without waiting, whether the server closed the
// connection or sent something unasked (a TLS close alert, an error
// page): a pooled connection that is not fit for a request. One
// recv(MSG_PEEK) call.
func (p *peeker) peerClosed() bool {
	if p == nil {
		return false
	}
	p.closed = false
	err := p.rc.Read(p.fn)
	return p.closed || err != nil
}

func (p *peeker) peek(fd uintptr) bool {
	n, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	// n == 0 without error: the server's FIN; n > 0: bytes nobody asked
	// for; an error other than "nothing yet": a reset.
	p.closed = n >= 0 && err == nil || err != nil && err != syscall.EAGAIN && err != syscall.EWOULDBLOCK && err != syscall.EINTR
	return true // never wait
}
