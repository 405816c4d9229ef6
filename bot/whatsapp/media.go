package whatsapp

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"time"

	"go.mau.fi/whatsmeow"
)

// cappedFile is an in-memory whatsmeow.File that refuses to grow past max
// bytes: whatsmeow downloads into it, decrypts in place, and stops at the
// first write the cap refuses.
type cappedFile struct {
	b    []byte
	pos  int64
	max  int64
	over bool // a write went past max
}

var _ whatsmeow.File = (*cappedFile)(nil)

func (f *cappedFile) Read(p []byte) (int, error) {
	n, err := f.ReadAt(p, f.pos)
	f.pos += int64(n)
	return n, err
}

func (f *cappedFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(f.b)) {
		return 0, io.EOF
	}
	n := copy(p, f.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *cappedFile) Write(p []byte) (int, error) {
	n, err := f.WriteAt(p, f.pos)
	f.pos += int64(n)
	return n, err
}

func (f *cappedFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	end := off + int64(len(p))
	if end > f.max {
		f.over = true
		return 0, ErrTooLarge
	}
	if end > int64(len(f.b)) {
		f.b = append(f.b, make([]byte, end-int64(len(f.b)))...)
	}
	return copy(f.b[off:], p), nil
}

func (f *cappedFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += int64(len(f.b))
	default:
		return 0, errors.New("bad whence")
	}
	if offset < 0 {
		return 0, errors.New("negative position")
	}
	f.pos = offset
	return offset, nil
}

func (f *cappedFile) Truncate(size int64) error {
	if size < 0 || size > f.max {
		return ErrTooLarge
	}
	if size <= int64(len(f.b)) {
		f.b = f.b[:size]
	} else {
		f.b = append(f.b, make([]byte, size-int64(len(f.b)))...)
	}
	return nil
}

func (f *cappedFile) Stat() (os.FileInfo, error) { return memInfo(len(f.b)), nil }

// memInfo is the FileInfo of a cappedFile: its size.
type memInfo int64

func (m memInfo) Name() string       { return "media" }
func (m memInfo) Size() int64        { return int64(m) }
func (m memInfo) Mode() fs.FileMode  { return 0o600 }
func (m memInfo) ModTime() time.Time { return time.Time{} }
func (m memInfo) IsDir() bool        { return false }
func (m memInfo) Sys() any           { return nil }
