package embedded

// Compaction: the data as a new snapshot, the journals it covers removed.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// Snapshot compacts now if anything was written since the last snapshot:
// writes the snapshot (temp file, fsync, rename, fsync of the directory) and
// removes the journals it covers. It does nothing when the store is read-only.
func (d *DB) Snapshot() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	return d.compactLocked()
}

// Run compacts whenever the journal is large or old enough, until ctx is
// done, then once more. A failed compaction is logged and retried at the
// next check (the journal keeps everything meanwhile); Run returns nil on
// cancellation, or the error of the final compaction.
func (d *DB) Run(ctx context.Context) error {
	if d.readOnly {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(d.opts.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := d.Snapshot(); err != nil && !errors.Is(err, ErrClosed) {
				return fmt.Errorf("final snapshot: %w", err)
			}
			return nil
		case <-t.C:
			if !d.due() {
				continue
			}
			if err := d.Snapshot(); err != nil {
				if errors.Is(err, ErrClosed) {
					return nil
				}
				d.log.Error("compaction failed; will retry", "file", d.path, "err", err)
			}
		}
	}
}

func (d *DB) due() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, size, _ := d.j.state()
	return size >= d.opts.CompactBytes || (d.j.last() > d.snapSeq && time.Since(d.snapAt) >= d.opts.CompactAfter)
}

// compactLocked reads the data under the write lock, continues the journal
// in a new file, and writes the snapshot that replaces the older files.
func (d *DB) compactLocked() error {
	if d.readOnly {
		return nil
	}
	d.wmu.Lock()
	seq := d.j.last()
	if seq == d.snapSeq {
		d.wmu.Unlock()
		return nil
	}
	clock := time.Unix(0, d.clock).UTC()
	ctx, cancel := context.WithTimeout(context.Background(), snapshotTimeout)
	res, err := d.rdb.Eval(ctx, embSnapshotScript, nil).Slice()
	cancel()
	var keys []embKey
	var skipped map[string]int
	if err == nil {
		keys, skipped, err = embDecode(res, clock, d.m.TTL)
	}
	num, _, _ := d.j.state()
	num++
	if err == nil {
		err = d.j.rotate(num)
	}
	d.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	data, err := embEncode(embFile{Version: embSnapshotVersion, SavedAt: time.Now().UTC(), Clock: clock, Journal: num, Keys: keys})
	if err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	if err := embWriteFile(d.path, data); err != nil {
		return err
	}
	d.snapSeq, d.snapAt = seq, time.Now()
	if files, err := journalFiles(d.dir); err == nil {
		for _, n := range files {
			if n < num {
				os.Remove(journalName(d.dir, n))
			}
		}
	}
	if len(skipped) > 0 {
		d.log.Warn("snapshot left out keys it cannot keep", "types", skipped)
	}
	return nil
}
