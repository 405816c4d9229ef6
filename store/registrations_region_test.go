package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// TestRegistrationForAnyAndServed: in a deployment of several kabupaten/kota
// each keeps its own numbers, and a conversation or a NIK is found in
// whichever it registered in.
func TestRegistrationForAnyAndServed(t *testing.T) {
	st, _ := twoStores(t)
	ctx := context.Background()
	region := bot.Region{Code: "36", Units: []bot.Region{{Code: "36.04"}, {Code: "36.73"}}}
	regs := bot.ServedRegistrations(region, st)
	rina := &bot.Registration{Region: "36.73", Conv: bot.Conversation{Channel: bot.Telegram, User: "1"}, NIK: "3673014505880002", RegisteredAt: time.Now()}
	budi := &bot.Registration{Region: "36.04", Conv: bot.Conversation{Channel: bot.Telegram, User: "2"}, NIK: "3604011203800003", RegisteredAt: time.Now()}
	for _, r := range []*bot.Registration{rina, budi} {
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
	if err := regs.EachRegistration(ctx, "36", func(*bot.Registration) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("EachRegistration over the province = %d, %v; want 2", n, err)
	}
}
