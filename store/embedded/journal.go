package embedded

// The journal: every command that changed data, appended to
// <Dir>/redis-journal.<n> and fsync'd before its reply leaves the server.
//
// A file starts with journalMagic; then records, each
//
//	length   uint32, little endian: bytes of the payload
//	checksum uint32, little endian: CRC-32C of the payload
//	payload  varint T (wall clock, Unix ns, of the command: TIME, XADD ids,
//	         EXPIREAT), varint V (the TTL clock, Unix ns), uvarint number of
//	         commands, and per command uvarint argc and per argument
//	         uvarint length + bytes.
//
// One record is what one client command did, applied as a whole on replay: a
// plain write is itself, a script is the writes it made (redis.call), a
// MULTI/EXEC is its commands in order. A record whose length runs past the
// end of the file or whose checksum does not match is the torn tail of a
// crash: it and everything after it are ignored.
//
// Group commit: writers append under the server's write lock and then wait
// for their record to be durable; the first waiter writes and fsyncs
// everything appended so far, the others wait for it, so N concurrent
// writers share one fsync.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

const (
	// JournalPrefix starts the name of every journal file in the data
	// directory: redis-journal.00000001, …
	JournalPrefix = "redis-journal."
	journalMagic  = "umkmbot journal 1\n"
	recordHeader  = 8
	maxRecord     = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is what one client command changed.
type record struct {
	T, V int64
	Cmds [][]string
}

func appendRecord(dst []byte, r record) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, recordHeader)...)
	dst = binary.AppendVarint(dst, r.T)
	dst = binary.AppendVarint(dst, r.V)
	dst = binary.AppendUvarint(dst, uint64(len(r.Cmds)))
	for _, c := range r.Cmds {
		dst = binary.AppendUvarint(dst, uint64(len(c)))
		for _, a := range c {
			dst = binary.AppendUvarint(dst, uint64(len(a)))
			dst = append(dst, a...)
		}
	}
	payload := dst[start+recordHeader:]
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.Checksum(payload, castagnoli))
	return dst
}

// decodeRecords calls fn for each intact record of data (a file without its
// magic) and returns the length of the intact prefix.
func decodeRecords(data []byte, fn func(record)) int {
	off := 0
	for len(data)-off >= recordHeader {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		sum := binary.LittleEndian.Uint32(data[off+4:])
		if n == 0 || n > maxRecord || n > len(data)-off-recordHeader {
			break
		}
		payload := data[off+recordHeader : off+recordHeader+n]
		if crc32.Checksum(payload, castagnoli) != sum {
			break
		}
		r, ok := decodePayload(payload)
		if !ok {
			break
		}
		fn(r)
		off += recordHeader + n
	}
	return off
}

func decodePayload(p []byte) (record, bool) {
	var r record
	var k int
	if r.T, k = binary.Varint(p); k <= 0 {
		return r, false
	}
	p = p[k:]
	if r.V, k = binary.Varint(p); k <= 0 {
		return r, false
	}
	p = p[k:]
	uv := func() (int, bool) {
		v, k := binary.Uvarint(p)
		if k <= 0 || v > uint64(len(p)) {
			return 0, false
		}
		p = p[k:]
		return int(v), true
	}
	n, ok := uv()
	if !ok || n == 0 {
		return r, false
	}
	r.Cmds = make([][]string, 0, n)
	for range n {
		argc, ok := uv()
		if !ok || argc == 0 {
			return r, false
		}
		c := make([]string, 0, argc)
		for range argc {
			l, ok := uv()
			if !ok || l > len(p) {
				return r, false
			}
			c = append(c, string(p[:l]))
			p = p[l:]
		}
		r.Cmds = append(r.Cmds, c)
	}
	return r, len(p) == 0
}

// readJournal reads one journal file: its records and how many bytes at the
// end were not an intact record. A file shorter than the magic (a crash while
// it was created) holds nothing.
func readJournal(name string, fn func(record)) (torn int, err error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	if len(data) < len(journalMagic) && strings.HasPrefix(journalMagic, string(data)) {
		return len(data), nil
	}
	if !strings.HasPrefix(string(data[:min(len(data), len(journalMagic))]), journalMagic) {
		return 0, fmt.Errorf("%s is not a umkmbot journal", name)
	}
	data = data[len(journalMagic):]
	good := decodeRecords(data, fn)
	return len(data) - good, nil
}

func journalName(dir string, n uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%s%08d", JournalPrefix, n))
}

// journalFiles lists the numbers of the journal files in dir, in order.
func journalFiles(dir string) ([]uint64, error) {
	names, err := filepath.Glob(filepath.Join(dir, JournalPrefix+"*"))
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, n := range names {
		if v, err := strconv.ParseUint(strings.TrimPrefix(filepath.Base(n), JournalPrefix), 10, 64); err == nil {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// JournalStats counts the journal's work since the store opened.
type JournalStats struct {
	Records int64 // records appended
	Bytes   int64 // bytes appended
	Syncs   int64 // fsyncs of the journal (group commits)
}

// journal is the file being appended to.
type journal struct {
	dir string

	mu       sync.Mutex
	cond     *sync.Cond
	f        *os.File
	num      uint64 // number of f
	size     int64  // bytes of f, pending ones included
	pending  []byte // appended, not yet written
	spare    []byte
	appended uint64 // sequence number of the last record appended
	durable  uint64 // … of the last one fsync'd
	flushing bool
	err      error // sticky: after a failed write or fsync nothing is durable any more
	stats    JournalStats
}

// createJournal creates journal file num (which must not exist) and makes
// its existence durable.
func createJournal(dir string, num uint64) (*journal, error) {
	j := &journal{dir: dir}
	j.cond = sync.NewCond(&j.mu)
	f, err := createJournalFile(dir, num)
	if err != nil {
		return nil, err
	}
	j.f, j.num, j.size = f, num, int64(len(journalMagic))
	return j, nil
}

func createJournalFile(dir string, num uint64) (*os.File, error) {
	name := journalName(dir, num)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create journal: %w", err)
	}
	if _, err := f.WriteString(journalMagic); err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		f.Close()
		os.Remove(name)
		return nil, fmt.Errorf("create journal %s: %w", name, err)
	}
	return f, nil
}

// append adds r and returns its sequence number; the caller holds the
// server's write lock, so records are in the order the commands ran.
func (j *journal) append(r record) uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	before := len(j.pending)
	j.pending = appendRecord(j.pending, r)
	n := int64(len(j.pending) - before)
	j.size += n
	j.stats.Records++
	j.stats.Bytes += n
	j.appended++
	return j.appended
}

// last returns the sequence number of the last record appended.
func (j *journal) last() uint64 {
	if j == nil { // read-only
		return 0
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.appended
}

// wait returns once record seq is on disk, writing and fsyncing itself when
// no one else is.
func (j *journal) wait(seq uint64) error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.durable < seq {
		if j.err != nil {
			return j.err
		}
		if j.flushing {
			j.cond.Wait()
			continue
		}
		j.flushLocked()
	}
	return nil
}

// flushLocked writes and fsyncs what is pending, releasing j.mu meanwhile.
func (j *journal) flushLocked() {
	buf, upto, f := j.pending, j.appended, j.f
	j.pending, j.spare = j.spare[:0], nil
	j.flushing = true
	j.mu.Unlock()
	_, err := f.Write(buf)
	if err == nil {
		err = f.Sync()
	}
	j.mu.Lock()
	j.flushing = false
	j.spare = buf[:0]
	j.stats.Syncs++
	if err != nil && j.err == nil {
		j.err = fmt.Errorf("embedded store journal %s: %w", f.Name(), err)
	}
	if err == nil {
		j.durable = upto
	}
	j.cond.Broadcast()
}

// broken returns the sticky error of a failed write, if any.
func (j *journal) broken() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// rotate makes everything appended durable and continues in a new file num;
// the caller holds the server's write lock, so nothing is appended meanwhile.
func (j *journal) rotate(num uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.flushing {
		j.cond.Wait()
	}
	if j.durable < j.appended && j.err == nil {
		j.flushLocked()
	}
	if j.err != nil {
		return j.err
	}
	f, err := createJournalFile(j.dir, num)
	if err != nil {
		return err
	}
	j.f.Close()
	j.f, j.num, j.size = f, num, int64(len(journalMagic))
	return nil
}

// close makes everything appended durable and closes the file.
func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.flushing {
		j.cond.Wait()
	}
	if j.durable < j.appended && j.err == nil {
		j.flushLocked()
	}
	cerr := j.f.Close()
	if j.err == nil {
		j.err = errors.New("embedded store journal is closed")
		if cerr != nil {
			return cerr
		}
		return nil
	}
	return j.err
}

func (j *journal) state() (num uint64, size int64, stats JournalStats) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.num, j.size, j.stats
}
