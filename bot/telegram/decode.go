package telegram

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// fetched is an update as it came: decoded, with its JSON kept for the
// poll journal.
type fetched struct {
	u   tgbotapi.Update
	raw json.RawMessage
}

// undecodable is an update the library cannot decode: its id and the kind
// of error, never its content (it may hold a message).
type undecodable struct {
	id   int
	kind string
}

// decodeUpdates decodes a getUpdates result one update at a time, so one
// update the library cannot read does not refuse the others. An update
// without a readable update_id is given the id after the one before it
// (after offset-1 for the first): Telegram numbers updates consecutively
// within a batch, and the offset must move past it all the same. last is
// the highest id seen (offset-1 when none). Only a result that is not a
// JSON array is an error.
func decodeUpdates(result json.RawMessage, offset int) (ok []fetched, bad []undecodable, last int, err error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(result, &raws); err != nil {
		return nil, nil, offset - 1, fmt.Errorf("getUpdates result is not a list: %s", errorKind(err))
	}
	last = offset - 1
	for _, raw := range raws {
		u, id, err := decodeUpdate(raw)
		if id <= 0 {
			id = last + 1
		}
		last = max(last, id)
		if err != nil {
			bad = append(bad, undecodable{id: id, kind: errorKind(err)})
			continue
		}
		ok = append(ok, fetched{u: u, raw: raw})
	}
	return ok, bad, last, nil
}

// decodeWhole decodes a getUpdates result in one pass, ok only when every
// update decodes and is at or past offset: then the updates are the whole
// list (without their own JSON: the list is kept as it came). Splitting
// the list first, as decodeUpdates must to skip a bad update, was a third
// of the decoding. last is the highest update id.
//
// Each update is read by decodeUpdateFast, or by encoding/json when it is
// not of the usual shapes; a list that is not well formed, or that the
// fast reader cannot walk, is decoded by encoding/json as a whole
// (decodeWholeLibrary), so the outcome is the library's in every case
// (FuzzDecodeWholeMatchesLibrary).
func decodeWhole(result json.RawMessage, offset int) (ups []fetched, last int, ok bool) {
	s := fastScanner{b: result, text: make([]byte, 0, 1024), refs: make([]textRef, 0, 32)}
	s.ws()
	if !fastReadable || s.peek() != '[' {
		return decodeWholeLibrary(result, offset)
	}
	ups = make([]fetched, 0, 100) // getUpdates' limit
	last = offset - 1
	valid := true // every update decoded and new
	walked := s.array(func() bool {
		start := s.i
		ups = append(ups, fetched{})
		u := &ups[len(ups)-1].u
		if s.update(u) {
			s.finish()
		} else {
			s.reset()
			*u = tgbotapi.Update{}
			s.i, s.depth = start, 1
			if !s.skip() {
				return false
			}
			if json.Unmarshal(s.b[start:s.i], u) != nil {
				valid = false
			}
		}
		if u.UpdateID <= 0 || u.UpdateID < offset {
			valid = false
		}
		last = max(last, u.UpdateID)
		return true
	})
	if s.ws(); !walked || s.i != len(s.b) {
		return decodeWholeLibrary(result, offset)
	}
	if !valid {
		return nil, 0, false
	}
	return ups, last, true
}

// decodeWholeLibrary is decodeWhole with encoding/json alone.
func decodeWholeLibrary(result json.RawMessage, offset int) (ups []fetched, last int, ok bool) {
	var us []tgbotapi.Update
	if json.Unmarshal(result, &us) != nil {
		return nil, 0, false
	}
	ups = make([]fetched, len(us))
	last = offset - 1
	for i, u := range us {
		if u.UpdateID <= 0 || u.UpdateID < offset {
			return nil, 0, false
		}
		ups[i] = fetched{u: u}
		last = max(last, u.UpdateID)
	}
	return ups, last, true
}

// decodeUpdate decodes one update. id is its update_id when that much
// could be read (0 otherwise), also when the rest could not.
func decodeUpdate(raw []byte) (u tgbotapi.Update, id int, err error) {
	u, fast := decodeUpdateFast(raw)
	if !fast {
		if u, id, err = decodeUpdateLibrary(raw); err != nil {
			return u, id, err
		}
	}
	if u.UpdateID <= 0 {
		return u, 0, errNoUpdateID
	}
	return u, u.UpdateID, nil
}

// decodeUpdateLibrary decodes raw with encoding/json. On an error, id is
// its update_id when that much could be read (0 otherwise).
func decodeUpdateLibrary(raw []byte) (u tgbotapi.Update, id int, err error) {
	if err := json.Unmarshal(raw, &u); err != nil {
		var head struct {
			UpdateID int `json:"update_id"`
		}
		if json.Unmarshal(raw, &head) == nil && head.UpdateID > 0 {
			id = head.UpdateID
		}
		return tgbotapi.Update{}, id, err
	}
	return u, u.UpdateID, nil
}

var errNoUpdateID = errors.New("no update_id")

// errorKind describes a decoding error without the data it was about: a
// type error names the field and the JSON type, a syntax error its offset.
func errorKind(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		kind, _, _ := strings.Cut(te.Value, " ") // "number 3.5": not the number
		return fmt.Sprintf("type: %s is a JSON %s, want %s", te.Field, kind, te.Type)
	case errors.As(err, &se):
		return fmt.Sprintf("syntax at byte %d", se.Offset)
	case errors.Is(err, errNoUpdateID):
		return err.Error()
	}
	return fmt.Sprintf("%T", err)
}
