package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// TestRegistrationForAnyAndServed: in a deployment of several kabupaten/kota
// each keeps its own numbers, and a conversation or a NIK is found in
// whichever it registered in.
func TestRegistrationForAnyAndServed(t *testing.T) {
	st, _ := twoStores(t)
	ctx := context.Background()
	region := umkm.Region{Code: "36", Units: []umkm.Region{{Code: "36.04"}, {Code: "36.73"}}}
	regs := umkm.ServedRegistrations(region, st)
	rina := &umkm.Registration{Region: "36.73", Conv: bot.Conversation{Channel: bot.Telegram, User: "1"}, NIK: "3673014505880002", RegisteredAt: time.Now()}
	budi := &umkm.Registration{Region: "36.04", Conv: bot.Conversation{Channel: bot.Telegram, User: "2"}, NIK: "3604011203800003", RegisteredAt: time.Now()}
	for _, r := range []*umkm.Registration{rina, budi} {
		if err := regs.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
	}
	if rina.ID != "UMKM-3673-000001" || budi.ID != "UMKM-3604-000001" {
		t.Fatalf("numbers %s, %s; want one sequence per kabupaten/kota", rina.ID, budi.ID)
	}
	got, err := st.RegistrationForAny(ctx, []string{"36.04", "36.73"}, rina.Conv)
	if err != nil || got.ID != rina.ID {
		t.Fatalf("RegistrationForAny = %v, %v; want %s", got, err, rina.ID)
	}
	if got, err := regs.RegistrationFor(ctx, "36", budi.Conv); err != nil || got.ID != budi.ID {
		t.Fatalf("served RegistrationFor = %v, %v; want %s", got, err, budi.ID)
	}
	if _, err := regs.RegistrationFor(ctx, "36", bot.Conversation{Channel: bot.Telegram, User: "3"}); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("a stranger: %v, want ErrNotFound", err)
	}
	if ids, err := regs.RegistrationsByNIK(ctx, "36", rina.NIK); err != nil || len(ids) != 1 || ids[0] != rina.ID {
		t.Fatalf("NIK across the province = %v, %v", ids, err)
	}
	n := 0
	if err := regs.EachRegistration(ctx, "36", func(*umkm.Registration) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("EachRegistration over the province = %d, %v; want 2", n, err)
	}
}

// scanOnly hides the store's AudienceCounter, so Count reads every
// registration: the reference the index must agree with.
type scanOnly struct{ umkm.RegistrationStore }

// TestAudienceIndexAgreesWithScan: registrations made before and after the
// index is built, then changed in the profile (kecamatan, sector, size),
// are counted by the index exactly as by reading them all, for audiences
// of every kind, in a deployment of two kabupaten/kota.
func TestAudienceIndexAgreesWithScan(t *testing.T) {
	st, _ := twoStores(t)
	ctx := context.Background()
	region := umkm.Region{Code: "36", Units: []umkm.Region{{Code: "36.04"}, {Code: "36.73"}}}
	regs := umkm.ServedRegistrations(region, st)
	kec := map[string][]string{"36.04": {"Kramatwatu", "Ciruas"}, "36.73": {"Serang", "Cipocok Jaya", "Curug"}}
	sectors, sizes := []string{"kuliner", "fesyen", "jasa"}, []string{"mikro", "kecil"}
	chans := []bot.ChannelID{bot.Telegram, bot.WhatsApp}
	var made []*umkm.Registration
	create := func(i int) {
		unit := region.Units[i%2].Code
		r := &umkm.Registration{Region: unit, Conv: bot.Conversation{Channel: chans[i%3%2], User: fmt.Sprint(i)},
			NIK: fmt.Sprintf("3673014505880%03d", i+1), Kecamatan: kec[unit][i%len(kec[unit])], Sector: sectors[i%3],
			SizeClass: sizes[i%5%2], RegisteredAt: time.Now()}
		if err := regs.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
		made = append(made, r)
	}
	for i := 0; i < 30; i++ {
		create(i)
	}
	audiences := []umkm.Audience{{}, {KabKota: []string{"36.73"}}, {Kecamatan: []string{"cipocok jaya"}},
		{Kecamatan: []string{"Serang", "Kramatwatu"}, Sectors: []string{"kuliner"}}, {Sectors: []string{"fesyen", "jasa"}, Sizes: []string{"kecil"}},
		{KabKota: []string{"36.04"}, Channels: []bot.ChannelID{bot.WhatsApp}}, {Sectors: []string{"pertanian"}}}
	check := func(when string, indexed bool) {
		t.Helper()
		for _, a := range audiences {
			want, err := umkm.AudienceSource{Region: "36", Registrations: scanOnly{regs}}.Count(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Channels) == 0 {
				a.Channels = chans // counting everyone: the registered channels
			}
			got, err := regs.(umkm.AudienceCounter).CountAudience(ctx, "36", a)
			if !indexed {
				if !errors.Is(err, umkm.ErrNoIndex) {
					t.Fatalf("%s: before the index is built: %v, want ErrNoIndex", when, err)
				}
				continue
			}
			if err != nil || !cmp.Equal(got, want) {
				t.Errorf("%s: %+v: index %v (%v), scan %v", when, a, got, err, want)
			}
		}
	}
	check("not indexed", false)
	for _, u := range region.Units {
		if err := st.EnsureAudienceIndex(ctx, u.Code); err != nil {
			t.Fatal(err)
		}
	}
	check("backfilled", true)
	for i := 30; i < 45; i++ {
		create(i)
	}
	for i, r := range made[:20] {
		c := *r
		c.Kecamatan, c.Sector, c.SizeClass = kec[r.Region][(i+1)%len(kec[r.Region])], sectors[(i+1)%3], sizes[(i+1)%2]
		if err := regs.UpdateRegistration(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	check("after creates and profile changes", true)
	if _, err := regs.(umkm.AudienceCounter).CountAudience(ctx, "36", umkm.Audience{}); err == nil {
		t.Error("an audience naming no channel counted (no channel list to default to)")
	}
	if n, err := (umkm.AudienceSource{Region: "36", Registrations: regs}).Count(ctx, umkm.Audience{}); err != nil || n[bot.Telegram]+n[bot.WhatsApp] != len(made) {
		t.Errorf("Count of everyone without channels (reads them all): %v, %v; want %d", n, err, len(made))
	}
	if _, err := regs.(umkm.AudienceCounter).CountAudience(ctx, "36", umkm.Audience{Trainings: []string{"1"}}); !errors.Is(err, umkm.ErrNoIndex) {
		t.Errorf("an audience by training: %v, want ErrNoIndex (the caller reads them all)", err)
	}
}

// TestUpdateRefusesRegionMove: a registration's number and keys are of its
// kabupaten/kota, so an update naming another is refused whole: the record,
// the conversation's lookup and the audience index stay where they were
// (before, the body said the new kabupaten/kota while its keys stayed in
// the old one's slot).
func TestUpdateRefusesRegionMove(t *testing.T) {
	st, _ := twoStores(t)
	ctx := context.Background()
	region := umkm.Region{Code: "36", Units: []umkm.Region{{Code: "36.04"}, {Code: "36.73"}}}
	regs := umkm.ServedRegistrations(region, st)
	r := &umkm.Registration{Region: "36.04", Conv: bot.Conversation{Channel: bot.Telegram, User: "1"}, NIK: "3604014505880002",
		Kecamatan: "Ciruas", Sector: "kuliner", SizeClass: "mikro", RegisteredAt: time.Now()}
	if err := regs.CreateRegistration(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	for _, u := range region.Units {
		if err := st.EnsureAudienceIndex(ctx, u.Code); err != nil {
			t.Fatal(err)
		}
	}
	moved := *r
	moved.Region, moved.Kecamatan = "36.73", "Cipocok Jaya"
	if err := regs.UpdateRegistration(ctx, &moved); !errors.Is(err, umkm.ErrRegionMove) {
		t.Fatalf("update to another kabupaten/kota: %v, want ErrRegionMove", err)
	}
	got, err := regs.RegistrationFor(ctx, "36", r.Conv)
	if err != nil || got.Region != "36.04" || got.Kecamatan != "Ciruas" {
		t.Fatalf("after the refused move: %+v, %v; want it unchanged in 36.04", got, err)
	}
	if _, err := st.RegistrationFor(ctx, "36.73", r.Conv); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("found in 36.73: %v", err)
	}
	all := []bot.ChannelID{bot.Telegram}
	for unit, want := range map[string]int{"36.04": 1, "36.73": 0} {
		n, err := st.CountAudience(ctx, unit, umkm.Audience{Kecamatan: []string{"Ciruas", "Cipocok Jaya"}, Channels: all})
		if err != nil || n[bot.Telegram] != want {
			t.Errorf("audience in %s: %v, %v; want %d", unit, n, err, want)
		}
	}
	// Within its kabupaten/kota it moves as before.
	moved.Region = "36.04"
	moved.Kecamatan = "Kramatwatu"
	if err := regs.UpdateRegistration(ctx, &moved); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.CountAudience(ctx, "36.04", umkm.Audience{Kecamatan: []string{"Kramatwatu"}, Channels: all}); n[bot.Telegram] != 1 {
		t.Errorf("a move within the kabupaten/kota is not in the index: %v", n)
	}
}
