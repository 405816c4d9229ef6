package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

var _ umkm.OutletStore = (*OutletStore)(nil)

// A region's outlets share the hash tag {o:<code digits>}:
//   all   the outlets as a JSON array, in data-file order
//   geo   GEO index (sorted set) outlet id → position
// LoadOutlets replaces both in one MULTI, so a reader never sees half a load.

func (s *OutletStore) outletKeys(region string) (all, geo string) {
	tag := "o:" + strings.ReplaceAll(region, ".", "")
	return s.Key(tag, "all"), s.Key(tag, "geo")
}

// LoadOutlets replaces the region's outlets in Redis with those of its data
// file. It runs at start, so a changed region file takes effect on restart.
func (s *OutletStore) LoadOutlets(ctx context.Context, r umkm.Region) error {
	for _, o := range r.Outlets {
		if err := umkm.ValidateOutlet(o); err != nil {
			return fmt.Errorf("load outlets of %s: %w", r.Code, err)
		}
	}
	body, err := json.Marshal(r.Outlets)
	if err != nil {
		return fmt.Errorf("encode outlets: %w", err)
	}
	all, geo := s.outletKeys(r.Code)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, geo)
		p.Set(ctx, all, body, 0)
		for _, o := range r.Outlets {
			p.GeoAdd(ctx, geo, &redis.GeoLocation{Name: o.ID, Longitude: o.Lon, Latitude: o.Lat})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load outlets of %s: %w", r.Code, err)
	}
	return nil
}

// Outlets returns the region's outlets (none when none were loaded).
func (s *OutletStore) Outlets(ctx context.Context, region string) ([]umkm.Outlet, error) {
	all, _ := s.outletKeys(region)
	body, err := s.rdb.Get(ctx, all).Bytes()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load outlets of %s: %w", region, err)
	}
	var out []umkm.Outlet
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("decode outlets of %s: %w", region, err)
	}
	return out, nil
}

// searchRadiusKM covers all of Indonesia from anywhere in it: "nearest" has
// no cut-off, only an order.
const searchRadiusKM = 6000

// NearestOutlets returns up to n outlets nearest to at (GEOSEARCH), with the
// distance in km.
func (s *OutletStore) NearestOutlets(ctx context.Context, region string, at bot.Location, n int) ([]umkm.OutletDistance, error) {
	_, geo := s.outletKeys(region)
	locs, err := s.rdb.GeoSearchLocation(ctx, geo, &redis.GeoSearchLocationQuery{
		GeoSearchQuery: redis.GeoSearchQuery{
			Longitude: at.Lon, Latitude: at.Lat, Radius: searchRadiusKM, RadiusUnit: "km", Sort: "ASC", Count: n,
		},
		WithDist: true,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("search outlets near a point: %w", err)
	}
	outlets, err := s.Outlets(ctx, region)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]umkm.Outlet, len(outlets))
	for _, o := range outlets {
		byID[o.ID] = o
	}
	res := make([]umkm.OutletDistance, 0, len(locs))
	for _, l := range locs {
		if o, ok := byID[l.Name]; ok {
			res = append(res, umkm.OutletDistance{Outlet: o, KM: l.Dist})
		}
	}
	return res, nil
}
