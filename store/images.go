package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// MaxImage is the largest picture kept for a broadcast (Telegram takes
// photos up to 10 MB; a broadcast picture is far smaller).
const MaxImage = 5 << 20

// imageTTL is how long an uploaded picture is kept: long enough for a
// broadcast scheduled weeks ahead to finish.
const imageTTL = 60 * 24 * time.Hour

// ErrImageTooLarge is returned by SaveImage for a picture over MaxImage.
var ErrImageTooLarge = errors.New("picture too large")

// imageKey is on Redis: tickets erase the files officers sent in them.
func (s *Redis) imageKey(ref string) string { return s.Key("img", ref) }

// SaveImage keeps a picture uploaded on the console where every serve
// process reads it, named by its content (the same picture twice is kept
// once), and returns its reference.
func (s *ImageStore) SaveImage(ctx context.Context, data []byte) (string, error) {
	if len(data) == 0 || len(data) > MaxImage {
		return "", fmt.Errorf("save image of %d bytes: %w", len(data), ErrImageTooLarge)
	}
	sum := sha256.Sum256(data)
	ref := hex.EncodeToString(sum[:16])
	if err := s.rdb.Set(ctx, s.imageKey(ref), data, imageTTL).Err(); err != nil {
		return "", fmt.Errorf("save image: %w", err)
	}
	return ref, nil
}

// Image returns a picture SaveImage kept; bot.ErrNotFound when there is
// none (or it expired).
func (s *ImageStore) Image(ctx context.Context, ref string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.imageKey(ref)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("image %s: %w", ref, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load image %s: %w", ref, err)
	}
	return b, nil
}
