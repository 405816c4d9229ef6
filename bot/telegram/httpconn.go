package telegram

// A synchronous HTTP/1.1 client for the one request every reply makes,
// POST /bot<token>/sendMessage. Under the side-by-side benchmark net/http
// was the largest single cost of the process for sends (its Transport's
// per-connection writeLoop and readLoop goroutines, their channel
// hand-offs and wake-ups, and the Request/Response/Header values: ~24 % of
// the CPU together). Here the calling goroutine writes the request on a
// pooled keep-alive connection and reads the answer itself: no goroutine
// per connection, buffers kept with the connection, and only the status
// line, three headers and the body read.
//
// Stale connections. A server may close a keep-alive connection while it
// sits in the pool. Connections idle longer than idleFor are dropped, and
// one idle for peekAfter or more is checked without blocking before use
// (peeker.peerClosed: a FIN or any unsolicited byte means the server is
// done with it, one recv system call): such a connection is replaced
// before anything is written, so nothing can be doubled. Connections
// reused sooner are not checked (under load that is nearly every send,
// and the check cost a fifth of a send's CPU): servers close idle
// connections after seconds, not milliseconds, except when they shut
// down. What remains is a server closing as the request goes out (or
// within peekAfter of the last answer): the request is written, and the
// answer is EOF (or a reset) before any byte. That cannot be told apart
// from a server that took the request, delivered it and died before
// answering, so the one immediate retry on a fresh connection made then is
// reported as maybe doubled (Stats.MaybeDoubled), as the adapter counts
// its own retries after an unanswered request.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const (
	// maxIdleConns bounds the connections kept for later sends. Under the
	// harness (2000 people, no rate limit) more than 128 sends are often
	// in flight at once, and with 128 the rest were dialled and closed
	// again: 512 took serve's CPU per turn down ~6 %. An idle connection
	// holds ~10 KB and is closed after idleFor; at Telegram's real rates
	// (30 messages a second) only a handful are ever kept.
	maxIdleConns = 512
	idleFor      = 50 * time.Second // a connection idle longer is closed, not used
	peekAfter    = time.Second      // a connection idle this long is checked before use
	maxAnswer    = 1 << 20          // the longest answer body read (sendMessage answers are a few KB)
	keepBody     = 64 << 10         // a connection keeps a body buffer up to this size
)

// poster posts sendMessage requests on its own connections.
type poster struct {
	addr   string      // host:port to dial
	head   []byte      // request line and headers up to the Content-Length value
	tls    *tls.Config // nil for http://
	dialer net.Dialer

	mu     sync.Mutex
	idle   []*conn // most recently used last
	closed bool    // closeIdle was called: connections are not kept any more
}

// formHead ends the request head after the Content-Length value.
const formHead = "\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"

// newPoster returns a poster for the sendMessage URL, or nil when sends
// must go through net/http: an URL it does not handle (not http(s), user
// info, a host that is not ASCII) or one a proxy from the environment
// applies to (http.ProxyFromEnvironment, the very decision the default
// Transport makes).
func newPoster(sendURL string) *poster {
	u, err := url.Parse(sendURL)
	if err != nil || u.User != nil || u.Host == "" || !isASCII(u.Host) {
		return nil
	}
	port := u.Port()
	switch {
	case u.Scheme == "http" && port == "":
		port = "80"
	case u.Scheme == "https" && port == "":
		port = "443"
	case u.Scheme != "http" && u.Scheme != "https":
		return nil
	}
	if proxy, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err != nil || proxy != nil {
		return nil
	}
	p := &poster{addr: net.JoinHostPort(u.Hostname(), port),
		dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}
	if u.Scheme == "https" {
		p.tls = &tls.Config{ServerName: u.Hostname(), NextProtos: []string{"http/1.1"},
			ClientSessionCache: tls.NewLRUClientSessionCache(0)}
	}
	// As net/http writes it, less Accept-Encoding: gzip (the answer comes
	// uncompressed).
	p.head = fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: ", u.RequestURI(), u.Host)
	return p
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] <= ' ' {
			return false
		}
	}
	return true
}

// conn is one keep-alive connection, used by one send at a time.
type conn struct {
	nc        net.Conn
	peek      *peeker // on the TCP connection under nc
	interrupt func()  // sets nc's deadline to the past, made once
	br        *bufio.Reader
	bw        *bufio.Writer
	body      []byte // the answer's body, until the next use
	status    int
	used      time.Time // when it went idle
	reused    bool      // it served a request before this one
	dl        time.Time // the deadline set last (zero: none)
}

// deadline gives a reused connection the deadline dl, unless the one it
// has is close enough (keepDeadline): on a busy connection most sends then
// touch no timer (setting one was ~3 % of serve's CPU under the harness).
func (c *conn) deadline(dl time.Time) error {
	if keepDeadline(c.dl, dl, time.Now()) {
		return nil
	}
	if err := c.nc.SetDeadline(dl); err != nil {
		return err
	}
	c.dl = dl
	return nil
}

// keepDeadline says whether a connection whose deadline is prev may keep
// it for a send due by dl (zero: none) at now: prev is no later than dl,
// and at most a tenth of the send's time earlier, so every send is
// bounded by its own deadline and has nine tenths of its time at least.
func keepDeadline(prev, dl, now time.Time) bool {
	if dl.IsZero() || prev.IsZero() {
		return dl.IsZero() && prev.IsZero()
	}
	return !prev.After(dl) && dl.Sub(prev) <= dl.Sub(now)/10
}

// errProtocol is an answer post cannot read.
var errProtocol = errors.New("malformed HTTP answer")

// aLongTimeAgo is a deadline that interrupts a connection's I/O at once.
var aLongTimeAgo = time.Unix(1, 0)

// post sends form and returns the answer's status and body to answer
// (body valid during the call). sent reports whether a request was
// written in full (an error then leaves unknown whether it was
// delivered); doubled whether a request went unanswered on a reused
// connection and was sent again (see the file comment). dl (zero: none)
// is the connections' deadline; ctx's end interrupts them. The caller
// passes ctx's deadline or an earlier one: a deadline of its own instead
// of a context with a timeout spares a timer and a cancellation link per
// send.
func (p *poster) post(ctx context.Context, dl time.Time, form []byte, answer func(status int, body []byte) error) (sent, doubled bool, err error) {
	reuse := true
	for {
		c, err := p.conn(ctx, dl, reuse)
		if err != nil {
			return sent, doubled, fmt.Errorf("sendMessage: %w", err)
		}
		stop := context.AfterFunc(ctx, c.interrupt)
		wrote, answered, keep, err := c.exchange(p.head, form)
		if !stop() {
			keep = false // the deadline may be set to the past any moment
		}
		sent = sent || wrote
		if err == nil {
			err = answer(c.status, c.body)
			if keep {
				p.put(c)
			} else {
				c.nc.Close()
			}
			return sent, doubled, err
		}
		c.nc.Close()
		if cerr := ctx.Err(); cerr != nil || errors.Is(err, os.ErrDeadlineExceeded) {
			// The connection's deadline is only ever dl, which may be
			// ctx's and seen passed a moment before ctx says so.
			if cerr == nil {
				cerr = context.DeadlineExceeded
			}
			return sent, doubled, fmt.Errorf("sendMessage: %w (%w)", cerr, err)
		}
		if !c.reused || answered || !reuse || !closedByPeer(err) {
			return sent, doubled, fmt.Errorf("sendMessage: %w", err)
		}
		// The server closed the connection as the request went out: once
		// more on a new one.
		doubled, reuse = wrote, false
	}
}

// closedByPeer reports whether err is the server closing the connection
// (not a timeout).
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// conn returns a pooled connection when reuse and one is alive, a new one
// otherwise, with the deadline dl set.
func (p *poster) conn(ctx context.Context, dl time.Time, reuse bool) (*conn, error) {
	for reuse {
		c, idle := p.take()
		if c == nil {
			break
		}
		// The deadline first: peerClosed fails on one already past.
		if c.deadline(dl) == nil && c.br.Buffered() == 0 && (idle < peekAfter || !c.peek.peerClosed()) {
			c.reused = true
			return c, nil
		}
		c.nc.Close()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !dl.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl)
		defer cancel()
	}
	nc, err := p.dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	c := &conn{nc: nc, peek: newPeeker(nc)}
	if p.tls != nil {
		tc := tls.Client(nc, p.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		if proto := tc.ConnectionState().NegotiatedProtocol; proto != "" && proto != "http/1.1" {
			tc.Close()
			return nil, fmt.Errorf("server chose protocol %q", proto)
		}
		c.nc = tc
	}
	c.nc.SetDeadline(dl)
	c.dl = dl
	c.interrupt = func() { c.nc.SetDeadline(aLongTimeAgo) }
	c.br = bufio.NewReaderSize(c.nc, 4096)
	c.bw = bufio.NewWriterSize(c.nc, 4096)
	return c, nil
}

// take pops the most recently used idle connection and says how long it
// idled; nil if there is none fresh enough.
func (p *poster) take() (*conn, time.Duration) {
	p.mu.Lock()
	n := len(p.idle)
	if n == 0 {
		p.mu.Unlock()
		return nil, 0
	}
	c := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	if idle := time.Since(c.used); idle <= idleFor {
		p.mu.Unlock()
		return c, idle
	}
	// The newest is stale: so is every other.
	stale := p.idle
	p.idle = nil
	p.mu.Unlock()
	c.nc.Close()
	for _, s := range stale {
		s.nc.Close()
	}
	return nil, 0
}

// put keeps c for later sends (closing it when the pool is full or
// closed), and closes the oldest idle connection if it idled too long.
func (p *poster) put(c *conn) {
	if cap(c.body) > keepBody {
		c.body = nil
	}
	c.used = time.Now()
	var old *conn
	p.mu.Lock()
	if len(p.idle) > 0 && c.used.Sub(p.idle[0].used) > idleFor {
		old = p.idle[0]
		n := copy(p.idle, p.idle[1:])
		p.idle[n] = nil
		p.idle = p.idle[:n]
	}
	keep := !p.closed && len(p.idle) < maxIdleConns
	if keep {
		p.idle = append(p.idle, c)
	}
	p.mu.Unlock()
	if old != nil {
		old.nc.Close()
	}
	if !keep {
		c.nc.Close()
	}
}

// closeIdle closes the idle connections; sends after it still work but
// keep no connection. A nil poster does nothing.
func (p *poster) closeIdle() {
	if p == nil {
		return
	}
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.nc.Close()
	}
}

// exchange writes the request and reads the answer into c.status and
// c.body. wrote: the request went out in full; answered: a byte of the
// answer came back; keep: the connection may serve another request.
func (c *conn) exchange(head, form []byte) (wrote, answered, keep bool, err error) {
	c.bw.Write(head)
	c.bw.Write(strconv.AppendInt(c.bw.AvailableBuffer(), int64(len(form)), 10))
	c.bw.WriteString(formHead)
	c.bw.Write(form)
	if err := c.bw.Flush(); err != nil {
		return false, false, false, err
	}
	answered, keep, err = c.readAnswer()
	return true, answered, keep, err
}

// readAnswer reads the status line, the headers that say how the body
// ends and whether the connection stays open, and the body.
func (c *conn) readAnswer() (answered, keep bool, err error) {
	var length int
	var chunked, closing bool
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return answered || len(line) > 0, false, err
		}
		answered = true
		// "HTTP/1.1 200 OK\r\n"
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' || (len(line) > 12 && line[12] != ' ' && line[12] != '\r' && line[12] != '\n') {
			return true, false, errProtocol
		}
		status, ok := digits(line[9:12])
		if !ok || status < 100 {
			return true, false, errProtocol
		}
		c.status = status
		if length, chunked, closing, err = c.readHeaders(); err != nil {
			return true, false, err
		}
		closing = closing || line[7] != '1' // HTTP/1.0: not kept
		if status >= 200 {
			break
		}
		if status == http.StatusSwitchingProtocols {
			return true, false, errProtocol
		}
		// 1xx: the answer follows.
	}
	c.body = c.body[:0]
	switch {
	case c.status == http.StatusNoContent || c.status == http.StatusNotModified:
	case chunked:
		err = c.readChunked()
	case length >= 0:
		c.body = grow(c.body, length)
		_, err = io.ReadFull(c.br, c.body)
	default: // to the end of the connection
		var n int64
		buf := bytes.NewBuffer(c.body)
		n, err = buf.ReadFrom(io.LimitReader(c.br, maxAnswer+1))
		c.body = buf.Bytes()
		if err == nil && n > maxAnswer {
			err = errors.New("answer too long")
		}
		closing = true
	}
	if err == io.EOF { // cut off (reading to the end gives no EOF)
		err = io.ErrUnexpectedEOF
	}
	return true, err == nil && !closing, err
}

// readHeaders reads the header lines: the Content-Length (-1 if none),
// whether the body is chunked, whether the server closes the connection.
func (c *conn) readHeaders() (length int, chunked, closing bool, err error) {
	length = -1
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, false, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return length, chunked, closing, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, false, errProtocol
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, ok := digits(value)
			if !ok || n > maxAnswer || length >= 0 && n != length {
				return 0, false, false, errProtocol
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				return 0, false, false, errProtocol // nothing else is sent to a client that asks for none
			}
			chunked = true
		case bytes.EqualFold(name, []byte("Connection")):
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				closing = closing || bytes.EqualFold(bytes.TrimSpace(tok), []byte("close"))
			}
		}
	}
}

// readChunked reads a chunked body into c.body.
func (c *conn) readChunked() error {
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, ok := hexDigits(bytes.TrimSpace(size))
		if !ok || len(c.body)+n > maxAnswer {
			return errProtocol
		}
		if n == 0 { // trailers, then the empty line
			for {
				line, err := c.br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return nil
				}
			}
		}
		start := len(c.body)
		c.body = grow(c.body, start+n)
		if _, err := io.ReadFull(c.br, c.body[start:]); err != nil {
			return err
		}
		if crlf, err := c.br.ReadSlice('\n'); err != nil {
			return err
		} else if len(bytes.TrimRight(crlf, "\r\n")) != 0 {
			return errProtocol
		}
	}
}

// grow returns b with length n, reusing its array when it is big enough.
func grow(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	return append(b[:cap(b)], make([]byte, n-cap(b))...)
}

// digits parses a short decimal number.
func digits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int(d-'0')
	}
	return n, true
}

// hexDigits parses a chunk size.
func hexDigits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 7 {
		return 0, false
	}
	n := 0
	for _, d := range b {
		switch {
		case '0' <= d && d <= '9':
			d -= '0'
		case 'a' <= d && d <= 'f':
			d -= 'a' - 10
		case 'A' <= d && d <= 'F':
			d -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | int(d)
	}
	return n, true
}
