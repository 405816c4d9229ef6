package embedded

import (
	"strings"

	"github.com/alicebob/miniredis/v2/server"
)

// class is how the server runs a command: under which lock, and whether
// what it changed is journaled (see server.go).
type class int

const (
	cRead   class = iota // reads: read lock, nothing journaled
	cWrite               // changes data: write lock, journaled
	cScript              // EVAL, EVALSHA: write lock, its writes journaled
	cFree                // no lock, not journaled: connection state, consumer groups, blocking reads
	cBlock               // blocking list pops
	cRefuse              // cannot be journaled
)

var classes = map[string]class{
	// Connection and server state, no data.
	"AUTH": cFree, "CLIENT": cFree, "CLUSTER": cFree, "COMMAND": cFree, "ECHO": cFree,
	"HELLO": cFree, "INFO": cFree, "MEMORY": cFree, "OBJECT": cFree, "PING": cFree,
	"QUIT": cFree, "SCRIPT": cFree, "SELECT": cFree, "TIME": cFree, "WAIT": cFree,
	"UNWATCH": cFree, "CONFIG": cFree, "PUBLISH": cFree, "PUBSUB": cFree, "XINFO": cRead,
	// Outside a MULTI (which the connection loop runs) these only set WATCH
	// state or answer an error.
	"WATCH": cFree, "MULTI": cFree, "EXEC": cFree, "DISCARD": cFree,
	// Consumer groups: not kept (see above).
	"XGROUP": cFree, "XREADGROUP": cFree, "XACK": cFree, "XCLAIM": cFree, "XAUTOCLAIM": cFree,
	"EVAL": cScript, "EVALSHA": cScript,
	"EVAL_RO": cRead, "EVALSHA_RO": cRead,
	"BLPOP": cBlock, "BRPOP": cBlock, "BLMOVE": cBlock, "BRPOPLPUSH": cBlock,
	"SPOP": cRefuse, "SWAPDB": cRefuse, "MOVE": cRefuse, "MIGRATE": cRefuse,
	"BZPOPMIN": cRefuse, "BZPOPMAX": cRefuse, "BLMPOP": cRefuse, "BZMPOP": cRefuse,
	"SUBSCRIBE": cRefuse, "PSUBSCRIBE": cRefuse, "SSUBSCRIBE": cRefuse,
	"UNSUBSCRIBE": cRefuse, "PUNSUBSCRIBE": cRefuse, "SUNSUBSCRIBE": cRefuse,
}

// classify says how cmd (upper case) is run and journaled.
func (d *DB) classify(cmd string, args []string) class {
	if c, ok := classes[cmd]; ok {
		return c
	}
	switch cmd {
	case "XREAD":
		for _, a := range args {
			if strings.EqualFold(a, "BLOCK") {
				return cFree // blocks without the lock; reads only
			}
		}
	case "COPY":
		for _, a := range args {
			if strings.EqualFold(a, "DB") {
				return cRefuse
			}
		}
	}
	if d.m.IsReadOnlyCommand(cmd) {
		return cRead
	}
	return cWrite
}

// writeCtx is the command running under the write lock.
type writeCtx struct {
	top  *server.Peer // the client's peer; others are a script's redis.call
	db   int
	cmds [][]string // writes to journal, in order
}

// hook is miniredis's pre-hook: it sees every command, those a script runs
// through redis.call included. Those of scripts are journaled (or refused
// read-only); top-level commands are the connection loop's business.
func (d *DB) hook(p *server.Peer, cmd string, args ...string) bool {
	cur := d.cur.Load()
	if cur == nil || p == cur.top {
		return false
	}
	switch d.classify(cmd, args) {
	case cWrite:
		if d.readOnly {
			p.WriteError(d.roMsg)
			return true
		}
		if cur.db == 0 || cmd == "FLUSHALL" {
			cur.cmds = append(cur.cmds, append([]string{cmd}, args...))
		}
	case cRefuse, cBlock:
		p.WriteError(refuseMsg(cmd))
		return true
	}
	return false
}

func refuseMsg(cmd string) string {
	return "ERR " + cmd + " is not supported by umkmbot's embedded store (its effect cannot be journaled); use a Redis server (REDIS_URL)"
}
