package store

import (
	"encoding/json"
	"fmt"

	"github.com/umkmbot/umkmbot/bot"
)

// The turn path keeps two things personal beyond the registration: the
// phone number a channel reports (the profile's phone field) and the
// answers of a flow in progress (a registration being typed holds the
// NIK and the phone; the profile editor holds the stored ones). With a
// Cipher both are sealed like a registration's, so Redis and the
// embedded snapshot never hold them in clear. Sealing costs no round
// trip: it happens where the turn's values are encoded and decoded.

// sealedAnswers are the answer keys of a conversation state that are
// sealed (the registration questions' ids, flows/daftar.go).
var sealedAnswers = map[string]string{"nik": fieldNIK, "hp": fieldPhone}

// encodeState returns st as stored: JSON with its personal answers sealed.
func (s *Store) encodeState(st bot.State) ([]byte, error) {
	if s.cipher != nil && (hasSealed(st.Answers) || len(st.Stack) > 0) {
		st = st.Clone()
		if err := s.sealAnswers(st.Answers); err != nil {
			return nil, err
		}
		for _, f := range st.Stack {
			if err := s.sealAnswers(f.Answers); err != nil {
				return nil, err
			}
		}
	}
	d, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return d, nil
}

func hasSealed(a map[string]string) bool {
	for k := range sealedAnswers {
		if a[k] != "" {
			return true
		}
	}
	return false
}

func (s *Store) sealAnswers(a map[string]string) error {
	for k, field := range sealedAnswers {
		if v := a[k]; v != "" {
			sealed, err := s.cipher.Seal(field, v)
			if err != nil {
				return fmt.Errorf("seal answer %s: %w", k, err)
			}
			a[k] = sealed
		}
	}
	return nil
}

// openState opens the sealed answers of a decoded state in place. An
// answer that cannot be opened (its key is gone) is dropped: the flow asks
// for it again.
func (s *Store) openState(st *bot.State) {
	if s.cipher == nil {
		return
	}
	s.openAnswers(st.Answers)
	for _, f := range st.Stack {
		s.openAnswers(f.Answers)
	}
}

func (s *Store) openAnswers(a map[string]string) {
	for k, field := range sealedAnswers {
		if v := a[k]; v != "" {
			plain, _, err := s.cipher.Open(field, v)
			if err != nil {
				delete(a, k)
				continue
			}
			a[k] = plain
		}
	}
}

// profileValue returns the stored form of a profile field's value.
func (s *Store) profileValue(field, v string) (string, error) {
	if field != bot.FieldPhone || v == "" || s.cipher == nil {
		return v, nil
	}
	return s.cipher.Seal(fieldPhone, v)
}

// decodeProfile reads a stored profile, opening its phone number (one that
// cannot be opened is left out: the channel reports it again).
func (s *Store) decodeProfile(m map[string]string) bot.Profile {
	p := decodeProfile(m)
	if s.cipher != nil && p.Phone != "" {
		plain, _, err := s.cipher.Open(fieldPhone, p.Phone)
		if err != nil {
			plain = ""
		}
		p.Phone = plain
	}
	return p
}
