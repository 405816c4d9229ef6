package embedded

// Blocking list pops as their non-blocking form, retried after each
// journaled write (see server.go).

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// pop is a blocking pop as its non-blocking form: one command per key to
// try, and whether the reply is [key, value] (BLPOP, BRPOP) or the value.
type pop struct {
	try     [][]string
	withKey bool
	timeout time.Duration // 0: for ever
}

func parsePop(args []string) (pop, error) {
	cmd := strings.ToUpper(args[0])
	var p pop
	if len(args) < 3 {
		return p, fmt.Errorf("ERR wrong number of arguments for '%s' command", strings.ToLower(cmd))
	}
	secs, err := strconv.ParseFloat(args[len(args)-1], 64)
	if err != nil || secs < 0 {
		return p, errors.New("ERR timeout is not a float or out of range")
	}
	p.timeout = time.Duration(secs * float64(time.Second))
	rest := args[1 : len(args)-1]
	switch cmd {
	case "BLPOP", "BRPOP":
		p.withKey = true
		for _, k := range rest {
			p.try = append(p.try, []string{cmd[1:], k})
		}
	case "BRPOPLPUSH":
		if len(rest) != 2 {
			return p, errors.New("ERR wrong number of arguments for 'brpoplpush' command")
		}
		p.try = [][]string{{"RPOPLPUSH", rest[0], rest[1]}}
	case "BLMOVE":
		if len(rest) != 4 {
			return p, errors.New("ERR wrong number of arguments for 'blmove' command")
		}
		p.try = [][]string{append([]string{"LMOVE"}, rest...)}
	}
	return p, nil
}

// tryPop runs the non-blocking form once under the write lock; false when
// every list was empty (nothing written).
func (c *conn) tryPop(args []string, cur *writeCtx) bool {
	p, err := parsePop(args)
	if err != nil {
		c.writeError(err.Error())
		return true
	}
	for _, t := range p.try {
		rep := c.call(t)
		if isError(rep) {
			c.writeRaw(rep)
			return true
		}
		if isNull(rep) {
			continue
		}
		if p.withKey {
			c.writeRaw(fmt.Appendf(nil, "*2\r\n$%d\r\n%s\r\n", len(t[1]), t[1]))
		}
		c.writeRaw(rep)
		if cur.db == 0 {
			cur.cmds = append(cur.cmds, t)
		}
		return true
	}
	return false
}

// block waits for a list to have an element, up to the timeout.
func (c *conn) block(args []string) {
	d := c.d
	p, err := parsePop(args)
	if err != nil {
		c.writeError(err.Error())
		return
	}
	var expire <-chan time.Time
	if p.timeout > 0 {
		t := time.NewTimer(p.timeout)
		defer t.Stop()
		expire = t.C
	}
	for {
		d.wmu.Lock()
		changed := d.changed
		now := time.Now()
		d.m.SetTime(now)
		cur := &writeCtx{top: c.peer, db: c.db}
		done := c.tryPop(args, cur)
		d.m.SetTime(time.Time{})
		d.commitLocked(c, now, cur)
		d.wmu.Unlock()
		if done {
			return
		}
		select {
		case <-changed:
		case <-expire:
			c.writeNullArray()
			return
		case <-c.gone:
			c.writeNullArray()
			return
		case <-d.stop:
			c.writeError("ERR the embedded store is closing")
			return
		}
	}
}
