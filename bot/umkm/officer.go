package umkm

import (
	"errors"
	"strings"
	"time"
)

// Role is what an officer of the Dinas may do in the web console.
type Role string

// The roles, from most to least allowed.
const (
	RoleAdmin    Role = "admin"    // everything, accounts included
	RolePetugas  Role = "petugas"  // registrations, trainings, curation, broadcasts
	RolePengamat Role = "pengamat" // read-only, personal data masked
)

// ParseRole reads a role name.
func ParseRole(s string) (Role, bool) {
	switch r := Role(s); r {
	case RoleAdmin, RolePetugas, RolePengamat:
		return r, true
	}
	return "", false
}

// CanChange reports whether the role may change data (not only read it).
func (r Role) CanChange() bool { return r == RoleAdmin || r == RolePetugas }

// Officer is an account of the Dinas web console.
type Officer struct {
	Name         string    `json:"name"` // login name, lower case
	FullName     string    `json:"full_name,omitempty"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"password_hash"` // PHC string ($argon2id$…); never shown
	Disabled     bool      `json:"disabled,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// OfficerSession is a signed-in browser of an officer.
type OfficerSession struct {
	Officer   string    `json:"officer"`
	CreatedAt time.Time `json:"created_at"`
}

// ErrOfficerExists is returned when creating an account whose name is taken.
var ErrOfficerExists = errors.New("an account with this name exists")

// OfficerName is how account names are compared: trimmed, lower case.
func OfficerName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidOfficerName reports whether s (already OfficerName'd) may name an
// account: 2 to 32 of a-z, 0-9, dot, dash, underscore.
func ValidOfficerName(s string) bool {
	if len(s) < 2 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
