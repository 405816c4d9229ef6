package umkm

import "errors"

// Cipher protects personal data at rest: a NIK or phone number is stored
// encrypted under a key whose id travels with the value (so keys can
// rotate), and found again by a keyed blind index, never by the clear
// value. Field names ("nik", "phone") bind a value to its field.
type Cipher interface {
	// Seal encrypts plain under the newest key.
	Seal(field, plain string) (string, error)
	// Open decrypts a value Seal made, under whichever configured key
	// made it. A value that is not sealed (stored before encryption) is
	// returned as it is, with sealed false.
	Open(field, value string) (plain string, sealed bool, err error)
	// Current reports whether value is sealed under the newest key.
	Current(value string) bool
	// Index returns the blind indexes of plain, one per configured key,
	// the newest key's first: values indexed before a rotation are found
	// under the older ones.
	Index(field, plain string) []string
}

// ErrUnknownKey says a value was sealed under a key that is not
// configured (DATA_KEY lacks it).
var ErrUnknownKey = errors.New("sealed under a data key that is not configured")
