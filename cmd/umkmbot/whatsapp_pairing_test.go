package main

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"

	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
	"github.com/umkmbot/umkmbot/web"
)

func code(c string) whatsmeow.QRChannelItem {
	return whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: c}
}

// followPairer runs follow on an unbuffered channel: after each send the
// item before it has been handled, so the state can be checked between.
func followPairer(t *testing.T, phone string, pairPhone pairPhoneFunc) (*waPairer, chan<- whatsmeow.QRChannelItem, <-chan struct{}) {
	t.Helper()
	p := &waPairer{log: slog.New(slog.DiscardHandler), state: web.Pairing{Active: true}, settle: time.Millisecond}
	qr := make(chan whatsmeow.QRChannelItem)
	done := make(chan struct{})
	go func() { defer close(done); p.follow(t.Context(), qr, phone, pairPhone) }()
	return p, qr, done
}

// waitFor waits until the page's state is ok, failing after 5 s.
func (p *waPairer) waitFor(t *testing.T, what string, ok func(web.Pairing) bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		st := p.now(t)
		if ok(st) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("waiting for %s: %+v", what, st)
		}
	}
}

func (p *waPairer) now(t *testing.T) web.Pairing {
	st, err := p.Pairing(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The page follows the QR codes as they rotate, then the success.
func TestPairerFollowsQRCodes(t *testing.T) {
	p, qr, done := followPairer(t, "", nil)
	// Each code is shown until the next one comes (the follower waits on
	// the unbuffered channel meanwhile): wait for it, then send the next.
	// Checking only after the next send raced with its handling.
	qr <- code("2@a")
	p.waitFor(t, "the first code", func(st web.Pairing) bool { return st.Active && st.QR == "2@a" })
	qr <- code("2@b")
	p.waitFor(t, "the second code", func(st web.Pairing) bool { return st.Active && st.QR == "2@b" })
	qr <- whatsmeow.QRChannelSuccess
	<-done
	if st := p.now(t); !st.Paired || st.Active || st.QR != "" {
		t.Fatalf("after success: %+v", st)
	}
}

// With a phone number one pairing code is asked for and shown, however
// often the QR codes rotate behind it.
func TestPairerAsksOnePhoneCode(t *testing.T) {
	var calls atomic.Int32
	p, qr, done := followPairer(t, "6281234567890", func(_ context.Context, phone string, _ bool, _ whatsmeow.PairClientType, _ string) (string, error) {
		calls.Add(1)
		if phone != "6281234567890" {
			t.Errorf("pairing code asked for %q", phone)
		}
		return "ABCD-EFGH", nil
	})
	qr <- code("2@a")
	qr <- code("2@b")
	qr <- code("2@c")
	if st := p.now(t); st.PhoneCode != "ABCD-EFGH" || st.QR != "" || calls.Load() != 1 {
		t.Fatalf("after three codes: %+v, %d calls", st, calls.Load())
	}
	qr <- whatsmeow.QRChannelTimeout
	<-done
	if st := p.now(t); st.Active || st.Failed != "timeout" {
		t.Fatalf("after the timeout: %+v", st)
	}
}

// A channel that ends without success leaves a failure to show.
func TestPairerChannelClosed(t *testing.T) {
	p, qr, done := followPairer(t, "", nil)
	qr <- code("2@a")
	close(qr)
	<-done
	if st := p.now(t); st.Active || st.Failed != "error" {
		t.Fatalf("closed channel: %+v", st)
	}
}

// TestOnePairingAtATime: while one serve process pairs (its lease in the
// shared Redis), StartPairing in another is refused before it touches the
// device store; once the first ended, the other may pair.
func TestOnePairingAtATime(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, store.Options{Prefix: prefix})
	pairer := func(owner string) *waPairer {
		return &waPairer{base: t.Context(), log: slog.New(slog.DiscardHandler), lease: st, leaseKey: waPairerKey(st), owner: owner}
	}
	a, b := pairer("serve-a"), pairer("serve-b")
	release, err := a.claim(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.StartPairing(t.Context(), ""); !errors.Is(err, web.ErrPairingElsewhere) {
		t.Fatalf("a second pairing while the first runs: %v", err)
	}
	if st := b.now(t); st.Active {
		t.Fatalf("the refused pairing shows %+v", st)
	}
	release()
	again, err := b.claim(t.Context())
	if err != nil {
		t.Fatalf("pairing after the first ended: %v", err)
	}
	again()
}
