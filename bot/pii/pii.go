// Package pii implements umkm.Cipher with AES-256-GCM and HMAC-SHA-256
// from the standard library.
//
// A key is 32 random bytes with an id, written "<id>:<base64>"; a keyring
// is a comma-separated list of keys, the newest first (DATA_KEY). Each
// key yields two subkeys by HMAC: one encrypts (AES-256-GCM, random
// 96-bit nonce, the field name as additional data), one makes blind
// indexes (HMAC-SHA-256 of field and value, 128 bits, hex). A sealed value
// reads "pii1:<key id>:<base64url(nonce‖ciphertext)>".
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot/umkm"
)

const prefix = "pii1:"

// Keyring is a set of data keys, the first one current. It is safe for
// concurrent use.
type Keyring struct {
	keys []key
}

var _ umkm.Cipher = (*Keyring)(nil)

type key struct {
	id    string
	aead  cipher.AEAD
	index []byte
}

// NewKey makes a key: "<id>:<base64 of 32 random bytes>", its id the
// date and a random suffix ("k20261201-3fa9").
func NewKey(now time.Time, r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 34)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("make a data key: %w", err)
	}
	id := fmt.Sprintf("k%s-%s", now.UTC().Format("20060102"), hex.EncodeToString(b[32:]))
	return id + ":" + base64.StdEncoding.EncodeToString(b[:32]), nil
}

// Parse reads a keyring: keys separated by commas, spaces or newlines,
// the newest first.
func Parse(s string) (*Keyring, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("no data key given")
	}
	k := &Keyring{}
	seen := map[string]bool{}
	for i, f := range fields {
		id, b64, ok := strings.Cut(f, ":")
		if !ok || id == "" || strings.ContainsAny(id, ":") {
			return nil, fmt.Errorf("data key %d is not <id>:<base64> (make one with `umkmbot keys new`)", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("data key %s: want 32 bytes in base64 (make one with `umkmbot keys new`)", id)
		}
		if seen[id] {
			return nil, fmt.Errorf("data key id %s given twice", id)
		}
		seen[id] = true
		block, err := aes.NewCipher(derive(raw, "umkmbot pii aes-256-gcm v1"))
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.keys = append(k.keys, key{id: id, aead: aead, index: derive(raw, "umkmbot pii blind index v1")})
	}
	return k, nil
}

func derive(master []byte, purpose string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// IDs returns the key ids, the current one first.
func (k *Keyring) IDs() []string {
	ids := make([]string, len(k.keys))
	for i, x := range k.keys {
		ids[i] = x.id
	}
	return ids
}

// Seal encrypts plain under the current key.
func (k *Keyring) Seal(field, plain string) (string, error) {
	cur := k.keys[0]
	nonce := make([]byte, cur.aead.NonceSize(), cur.aead.NonceSize()+len(plain)+cur.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal %s: %w", field, err)
	}
	out := cur.aead.Seal(nonce, nonce, []byte(plain), []byte(field))
	return prefix + cur.id + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a sealed value; a value without the sealed prefix is
// returned as stored (sealed false).
func (k *Keyring) Open(field, value string) (string, bool, error) {
	rest, ok := strings.CutPrefix(value, prefix)
	if !ok {
		return value, false, nil
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok {
		return "", true, fmt.Errorf("open %s: malformed sealed value", field)
	}
	for _, x := range k.keys {
		if x.id != id {
			continue
		}
		raw, err := base64.RawURLEncoding.DecodeString(b64)
		if err != nil || len(raw) < x.aead.NonceSize() {
			return "", true, fmt.Errorf("open %s: malformed sealed value", field)
		}
		n := x.aead.NonceSize()
		plain, err := x.aead.Open(nil, raw[:n], raw[n:], []byte(field))
		if err != nil {
			return "", true, fmt.Errorf("open %s under key %s: %w", field, id, err)
		}
		return string(plain), true, nil
	}
	return "", true, fmt.Errorf("open %s: key %s: %w", field, id, umkm.ErrUnknownKey)
}

// Current reports whether value is sealed under the current key.
func (k *Keyring) Current(value string) bool {
	return strings.HasPrefix(value, prefix+k.keys[0].id+":")
}

// Index returns plain's blind index under each key, the current first.
func (k *Keyring) Index(field, plain string) []string {
	out := make([]string, len(k.keys))
	for i, x := range k.keys {
		m := hmac.New(sha256.New, x.index)
		m.Write([]byte(field))
		m.Write([]byte{0})
		m.Write([]byte(plain))
		out[i] = "h" + hex.EncodeToString(m.Sum(nil)[:16])
	}
	return out
}
