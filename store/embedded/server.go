package embedded

// The server in front of miniredis. Clients connect to a listener of ours;
// each connection runs a loop that parses commands, dispatches them to
// miniredis (server.Dispatch) with the reply kept in a buffer, journals what
// changed data, and writes the replies to the socket only once the journal
// holds them on disk. So a reply that says "done" is never ahead of the disk,
// whichever commands or scripts the program uses.
//
// Ordering: every command that may change data runs under the write lock
// (d.wmu), so the journal's order is the order the data changed in; reads run
// under the read lock, so they never see half of a MULTI/EXEC.
//
// What is journaled: a plain write command as sent; for a script (EVAL,
// EVALSHA) the write commands it made through redis.call, seen by miniredis's
// pre-hook, not the script: TIME or anything else a script computes is
// journaled as the values it wrote, and a script is never run twice. Each
// record carries the wall clock the commands ran at (miniredis's clock is set
// to it, so XADD ids and EXPIREAT come out the same on replay) and the TTL
// clock, so a relative expiry replayed later expires at the same instant and
// a SET NX meets the same keys.
//
// MULTI/EXEC is done here, not in miniredis: queued commands are run one by
// one under the write lock at EXEC (after miniredis has checked WATCH), so the
// commands of scripts inside a transaction are seen in order too.
//
// Blocking list pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH) become their
// non-blocking form, retried whenever a write was journaled, so what they
// take is journaled in order like any write.
//
// Not kept: consumer groups (XGROUP, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM run
// but are not journaled, as the snapshot does not keep groups), databases
// other than 0. Refused: commands whose effect a replay cannot reproduce
// (SPOP, random) or that move data between databases, and pub/sub, whose
// replies do not follow requests.

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2/server"
)

// serve accepts connections until the listener is closed.
func (d *DB) serve(l net.Listener) {
	defer d.wg.Done()
	for {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		d.connMu.Lock()
		if d.conns == nil { // closing
			d.connMu.Unlock()
			nc.Close()
			return
		}
		d.conns[nc] = struct{}{}
		d.wg.Add(1)
		d.connMu.Unlock()
		go d.serveConn(nc)
	}
}

type conn struct {
	d      *DB
	nc     net.Conn
	peer   *server.Peer
	out    bytes.Buffer // replies not yet sent
	w      *bufio.Writer
	gone   chan struct{} // closed when the client has gone
	db     int
	seq    uint64 // journal record the pending replies depend on
	nreply int    // replies in out

	multi bool
	dirty string // why a command was refused while queueing: EXEC aborts
	queue [][]string
}

func (d *DB) serveConn(nc net.Conn) {
	defer d.wg.Done()
	defer func() {
		d.connMu.Lock()
		delete(d.conns, nc)
		d.connMu.Unlock()
		nc.Close()
	}()
	c := &conn{d: d, nc: nc, gone: make(chan struct{})}
	c.w = bufio.NewWriter(&c.out)
	c.peer = server.NewPeer(c.w)
	cmds := make(chan []string, 128)
	go func() { // reads ahead, so pipelined commands share one fsync
		defer close(cmds)
		defer close(c.gone)
		r := bufio.NewReader(nc)
		for {
			args, err := readCommand(r)
			if err != nil {
				return
			}
			if len(args) == 0 {
				continue
			}
			select {
			case cmds <- args:
			case <-d.stop:
				return
			}
		}
	}()
	for args := range cmds {
		c.handle(args)
		c.nreply++
		if len(cmds) > 0 && c.out.Len() < 1<<20 {
			continue // more already came: answer them together
		}
		if err := c.flush(); err != nil {
			break
		}
		if c.peer.Closed() {
			break
		}
	}
	nc.Close()
	for range cmds { // let the reader end
	}
}

// flush waits until the journal holds what the pending replies depend on,
// then sends them. If the journal failed, each reply becomes an error: the
// data may not be on disk.
func (c *conn) flush() error {
	c.w.Flush()
	if err := c.d.j.wait(c.seq); err != nil {
		c.out.Reset()
		for range c.nreply {
			fmt.Fprintf(&c.out, "-ERR %s\r\n", strings.ReplaceAll(err.Error(), "\r\n", " "))
		}
	}
	c.nreply = 0
	_, err := c.nc.Write(c.out.Bytes())
	c.out.Reset()
	return err
}

// call dispatches args to miniredis and returns its reply, leaving nothing
// in out.
func (c *conn) call(args []string) []byte {
	c.w.Flush()
	n := c.out.Len()
	c.d.srv.Dispatch(c.peer, args)
	c.w.Flush()
	rep := bytes.Clone(c.out.Bytes()[n:])
	c.out.Truncate(n)
	return rep
}

func (c *conn) writeRaw(b []byte) {
	c.w.Flush()
	c.out.Write(b)
}

func (c *conn) writeError(msg string) { c.writeRaw([]byte("-" + msg + "\r\n")) }

func (c *conn) writeNullArray() {
	if c.peer.Resp3 {
		c.writeRaw([]byte("_\r\n"))
	} else {
		c.writeRaw([]byte("*-1\r\n"))
	}
}

func isError(rep []byte) bool { return len(rep) > 0 && rep[0] == '-' }

func isNull(rep []byte) bool {
	s := string(rep)
	return s == "$-1\r\n" || s == "*-1\r\n" || s == "_\r\n"
}

func (c *conn) handle(args []string) {
	d := c.d
	cmd := strings.ToUpper(args[0])
	switch {
	case cmd == "MULTI":
		if c.multi {
			c.writeError("ERR MULTI calls can not be nested")
			return
		}
		c.multi, c.dirty, c.queue = true, "", nil
		c.writeRaw([]byte("+OK\r\n"))
		return
	case cmd == "EXEC" && c.multi:
		c.exec()
		return
	case cmd == "DISCARD" && c.multi:
		c.multi, c.queue = false, nil
		c.call([]string{"UNWATCH"})
		c.writeRaw([]byte("+OK\r\n"))
		return
	case cmd == "WATCH" && c.multi:
		c.writeError("ERR WATCH inside MULTI is not allowed")
		return
	case c.multi:
		var refused string
		switch cl := d.classify(cmd, args[1:]); {
		case !d.srv.IsRegisteredCommand(cmd):
			refused = fmt.Sprintf("ERR unknown command '%s'", args[0])
		case cl == cRefuse:
			refused = refuseMsg(cmd)
		case (cl == cWrite || cl == cBlock) && d.readOnly:
			refused = d.roMsg
		default:
			c.queue = append(c.queue, args)
			c.writeRaw([]byte("+QUEUED\r\n"))
			return
		}
		c.writeError(refused)
		if c.dirty == "" {
			c.dirty = refused
		}
		return
	}
	switch cl := d.classify(cmd, args[1:]); cl {
	case cRefuse:
		c.writeError(refuseMsg(cmd))
		return
	case cFree:
		c.writeRaw(c.call(args))
		if cmd == "SELECT" {
			c.trackSelect(args, nil)
		}
	case cRead:
		d.wmu.RLock()
		c.writeRaw(c.call(args))
		d.wmu.RUnlock()
	case cWrite, cScript: // read-only: scripts run, their writes are refused by the hook
		if d.readOnly && cl == cWrite {
			c.writeError(d.roMsg)
			return
		}
		d.wmu.Lock()
		c.run([][]string{args})
		d.wmu.Unlock()
		return
	case cBlock:
		if d.readOnly {
			c.writeError(d.roMsg)
			return
		}
		c.block(args)
		return
	}
	c.seq = max(c.seq, d.j.last())
}

func (c *conn) trackSelect(args []string, cur *writeCtx) {
	if len(args) == 2 {
		if n, err := strconv.Atoi(args[1]); err == nil {
			c.db = n
			if cur != nil {
				cur.db = n
			}
		}
	}
}

// run runs cmds (one command, or the queue of an EXEC) under the write lock,
// writes their replies and journals what they changed as one record.
func (c *conn) run(cmds [][]string) {
	d := c.d
	if err := d.j.broken(); err != nil {
		for range cmds {
			c.writeError("ERR " + err.Error())
		}
		return
	}
	now := time.Now()
	d.m.SetTime(now)
	cur := &writeCtx{top: c.peer, db: c.db}
	d.cur.Store(cur)
	for _, args := range cmds {
		cmd := strings.ToUpper(args[0])
		cl := d.classify(cmd, args[1:])
		if cl == cBlock { // inside MULTI: once, without waiting
			c.tryPop(args, cur)
			continue
		}
		rep := c.call(args)
		c.writeRaw(rep)
		switch {
		case cmd == "SELECT" && !isError(rep):
			c.trackSelect(args, cur)
		case cl == cWrite && !isError(rep) && (cur.db == 0 || cmd == "FLUSHALL"):
			cur.cmds = append(cur.cmds, args)
		}
	}
	d.cur.Store(nil)
	d.m.SetTime(time.Time{})
	d.commitLocked(c, now, cur)
}

// commitLocked journals what cur changed and wakes blocked pops.
func (d *DB) commitLocked(c *conn, now time.Time, cur *writeCtx) {
	if len(cur.cmds) == 0 {
		return
	}
	c.seq = d.j.append(record{T: now.UnixNano(), V: d.clock, Cmds: cur.cmds})
	close(d.changed)
	d.changed = make(chan struct{})
}

// exec runs a MULTI/EXEC: miniredis checks the WATCHed keys (an empty
// transaction of its own), then the queue runs under the write lock.
func (c *conn) exec() {
	d := c.d
	queue, dirty := c.queue, c.dirty
	c.multi, c.queue, c.dirty = false, nil, ""
	if dirty != "" {
		c.call([]string{"UNWATCH"})
		c.writeError("EXECABORT Transaction discarded because of previous errors: " + strings.TrimPrefix(dirty, "ERR "))
		return
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	c.call([]string{"MULTI"})
	if rep := c.call([]string{"EXEC"}); isNull(rep) || isError(rep) {
		c.writeRaw(rep)
		return
	}
	c.writeRaw([]byte("*" + strconv.Itoa(len(queue)) + "\r\n"))
	c.run(queue)
}
