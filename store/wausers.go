package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// WhatsApp conversation users are pseudonyms. A WhatsApp id (the phone
// digits of a sender, "<lid>@lid", "<group>@g.us") never appears in a key
// name or a value: the adapter asks WhatsAppUser for the conversation
// user of an id, an opaque "p" and 20 hex digits of a keyed HMAC of the
// id (the data key's blind index), and WhatsAppID for the id to send a
// reply to. One hash keeps the map, hash tag {wa}:
//
//	<prefix>:{wa}:ids  u:<user>  → the id, sealed (AES-GCM, field "wa-id")
//	                   x:<index> → the user, for every data key's blind
//	                               index of the id (so a key rotation
//	                               keeps the user: `keys rotate` adds the
//	                               new key's index, see RotateWhatsAppIDs)
//
// The pseudonym is made from the newest key's index when an id is first
// seen and kept from then on.

const (
	waIDField   = "wa-id" // the field a sealed id and its blind index are bound to
	waUserStart = "p"     // every pseudonym starts so; an id never does (digits)
	waUserHex   = 20      // 80 bits: no two ids of a deployment collide
)

func (s *Store) waIDs() string { return s.Key("wa", "ids") }

// IsWhatsAppPseudonym reports whether user is a pseudonym WhatsAppUser
// made (rather than a WhatsApp id stored before pseudonyms).
func IsWhatsAppPseudonym(user string) bool {
	return len(user) == len(waUserStart)+waUserHex && strings.HasPrefix(user, waUserStart)
}

// waIndexes are the blind indexes of id, the newest key's first.
func (s *Store) waIndexes(id string) []string {
	if s.cipher == nil { // tests of other features: unkeyed, but still not the id
		sum := sha256.Sum256([]byte(waIDField + "\x00" + id))
		return []string{hex.EncodeToString(sum[:16])}
	}
	return s.cipher.Index(waIDField, id)
}

func (s *Store) sealID(id string) (string, error) {
	if s.cipher == nil {
		return id, nil
	}
	return s.cipher.Seal(waIDField, id)
}

// waLookup finds the pseudonym of id under any key's index; it returns
// the indexes and whether the newest one is stored.
func (s *Store) waLookup(ctx context.Context, id string) (user string, ix []string, newest bool, err error) {
	ix = s.waIndexes(id)
	fields := make([]string, len(ix))
	for i, x := range ix {
		fields[i] = "x:" + x
	}
	vals, err := s.rdb.HMGet(ctx, s.waIDs(), fields...).Result()
	if err != nil {
		return "", ix, false, fmt.Errorf("look up whatsapp user: %w", err)
	}
	for i, v := range vals {
		if u, ok := v.(string); ok && u != "" {
			return u, ix, i == 0, nil
		}
	}
	return "", ix, false, nil
}

// WhatsAppPseudonym returns the conversation user of WhatsApp id without
// storing anything: the stored one, or the one WhatsAppUser would make
// now. For admin numbers configured before they ever wrote.
func (s *Store) WhatsAppPseudonym(ctx context.Context, id string) (string, error) {
	u, ix, _, err := s.waLookup(ctx, id)
	if err != nil || u != "" {
		return u, err
	}
	return waUserStart + ix[0][:waUserHex], nil
}

// WhatsAppUser returns the conversation user of WhatsApp id, storing the
// pseudonym and the sealed id the first time (and the newest key's index
// after a rotation). Concurrent first messages agree: the pseudonym is
// derived from the id, and only the first writer's sealed copy is kept.
func (s *Store) WhatsAppUser(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", errors.New("whatsapp user: empty id")
	}
	u, ix, newest, err := s.waLookup(ctx, id)
	if err != nil {
		return "", err
	}
	if u != "" && newest {
		return u, nil
	}
	if u == "" {
		u = waUserStart + ix[0][:waUserHex]
	}
	sealed, err := s.sealID(id)
	if err != nil {
		return "", fmt.Errorf("whatsapp user: %w", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, s.waIDs(), "u:"+u, sealed)
		p.HSet(ctx, s.waIDs(), "x:"+ix[0], u)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store whatsapp user: %w", err)
	}
	return u, nil
}

// WhatsAppID returns the WhatsApp id behind conversation user, opened;
// bot.ErrNotFound when the map does not know it (erased).
func (s *Store) WhatsAppID(ctx context.Context, user string) (string, error) {
	v, err := s.rdb.HGet(ctx, s.waIDs(), "u:"+user).Result()
	if isNil(err) {
		return "", fmt.Errorf("whatsapp user %s: %w", bot.MaskUser(user), bot.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read whatsapp user: %w", err)
	}
	if s.cipher == nil {
		return v, nil
	}
	id, _, err := s.cipher.Open(waIDField, v)
	if err != nil {
		return "", fmt.Errorf("whatsapp user %s: %w", bot.MaskUser(user), err)
	}
	return id, nil
}

// RotateWhatsAppIDs re-seals every id of the map under the newest key and
// adds the newest key's index, so that the older key can go: the same
// counts as SealRegistrations. It may run while serving and again.
func (s *Store) RotateWhatsAppIDs(ctx context.Context) (SealCounts, error) {
	var c SealCounts
	if s.cipher == nil {
		return c, nil
	}
	it := s.rdb.HScan(ctx, s.waIDs(), 0, "u:*", 500).Iterator()
	for it.Next(ctx) {
		field := it.Val()
		if !it.Next(ctx) {
			break
		}
		sealed := it.Val()
		c.Seen++
		id, _, err := s.cipher.Open(waIDField, sealed)
		if err != nil {
			return c, fmt.Errorf("rotate whatsapp ids: %w", err)
		}
		user := strings.TrimPrefix(field, "u:")
		ix := s.waIndexes(id)
		has, err := s.rdb.HExists(ctx, s.waIDs(), "x:"+ix[0]).Result()
		if err != nil {
			return c, fmt.Errorf("rotate whatsapp ids: %w", err)
		}
		if s.cipher.Current(sealed) && has {
			c.Unchanged++
			continue
		}
		resealed, err := s.cipher.Seal(waIDField, id)
		if err != nil {
			return c, fmt.Errorf("rotate whatsapp ids: %w", err)
		}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.waIDs(), field, resealed, "x:"+ix[0], user)
			return nil
		})
		if err != nil {
			return c, fmt.Errorf("rotate whatsapp ids: %w", err)
		}
		c.Sealed++
	}
	if err := it.Err(); err != nil {
		return c, fmt.Errorf("rotate whatsapp ids: %w", err)
	}
	return c, nil
}

// forgetWhatsAppUser removes user and every blind index that names it
// (those of retired keys too) from the map.
func (s *Store) forgetWhatsAppUser(ctx context.Context, user string) error {
	fields := []string{"u:" + user}
	it := s.rdb.HScan(ctx, s.waIDs(), 0, "x:*", 1000).Iterator()
	for it.Next(ctx) {
		field := it.Val()
		if !it.Next(ctx) {
			break
		}
		if it.Val() == user {
			fields = append(fields, field)
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("forget whatsapp user: %w", err)
	}
	if err := s.rdb.HDel(ctx, s.waIDs(), fields...).Err(); err != nil {
		return fmt.Errorf("forget whatsapp user: %w", err)
	}
	return nil
}

// The map entry of an erased WhatsApp user stays while the turn that
// erased still replies; {wa}:erased (user → erasure time) lists them for
// ForgetErasedWhatsAppUsers.
func (s *Store) waErased() string { return s.Key("wa", "erased") }

// markWhatsAppErased notes that user was erased now.
func (s *Store) markWhatsAppErased(ctx context.Context, c bot.Conversation) error {
	if c.Channel != bot.WhatsApp || !IsWhatsAppPseudonym(c.User) {
		return nil
	}
	if err := s.rdb.ZAdd(ctx, s.waErased(), redis.Z{Score: float64(s.now().UnixMilli()), Member: c.User}).Err(); err != nil {
		return fmt.Errorf("erase: mark whatsapp user: %w", err)
	}
	return nil
}

// ForgetErasedWhatsAppUsers drops the sealed id and blind indexes of
// WhatsApp users erased more than twice erasedStateTTL ago whose
// conversation state has expired since (nothing is left to reply to); a
// user who wrote again keeps the map like anyone. It returns how many
// were forgotten. The retention job runs it.
func (s *Store) ForgetErasedWhatsAppUsers(ctx context.Context) (int, error) {
	before := s.now().Add(-2 * erasedStateTTL).UnixMilli()
	users, err := s.rdb.ZRangeByScore(ctx, s.waErased(), &redis.ZRangeBy{Min: "-inf", Max: fmt.Sprint(before)}).Result()
	if err != nil {
		return 0, fmt.Errorf("list erased whatsapp users: %w", err)
	}
	n := 0
	for _, u := range users {
		c := bot.Conversation{Channel: bot.WhatsApp, User: u}
		live, err := s.rdb.Exists(ctx, s.stateKey(c)).Result()
		if err != nil {
			return n, fmt.Errorf("forget erased whatsapp user: %w", err)
		}
		if live == 0 {
			if err := s.forgetWhatsAppUser(ctx, u); err != nil {
				return n, err
			}
			n++
		}
		if err := s.rdb.ZRem(ctx, s.waErased(), u).Err(); err != nil {
			return n, fmt.Errorf("forget erased whatsapp user: %w", err)
		}
	}
	return n, nil
}
