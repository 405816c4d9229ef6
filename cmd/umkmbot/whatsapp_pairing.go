package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"

	"github.com/umkmbot/umkmbot/bot/whatsapp"
	"github.com/umkmbot/umkmbot/web"
)

// waPairer links the WhatsApp number from the web console, as `umkmbot
// whatsapp pair` does in a terminal: serve's WhatsApp channel makes one
// (see startWhatsApp) and the console's /whatsapp page drives it. Once the
// phone accepted and the pairing's own connection closed, onPaired tells
// the channel, which connects the number at once (no restart).
type waPairer struct {
	base context.Context // serve's: a pairing ends with it
	cfg  Config
	wc   waConfig
	log  *slog.Logger

	mu    sync.Mutex
	state web.Pairing
	live  *whatsmeow.Client // serve's connected client, when a number is paired
	wg    sync.WaitGroup    // the pairing in progress
	// settle is how long the new device stays connected after the phone
	// accepted, so the phone finishes setting it up (default 20 s).
	settle time.Duration
	// onPaired is called after a pairing succeeded and its connection
	// closed (waChannel.Paired).
	onPaired func()
	// unlink unlinks the number wherever it is connected (waChannel.LogOut).
	unlink func(ctx context.Context) error
	// lease, when set, makes one pairing at a time across the serve
	// processes sharing the Redis (two would link two devices): the
	// pairing holds leaseKey as owner until it ended.
	lease           pairingLease
	leaseKey, owner string
}

// pairingLease is the store's lease (store.Redis).
type pairingLease interface {
	ClaimLease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, key, owner string) error
}

// claim takes the pairing's lease; web.ErrPairingElsewhere when another
// process holds it. The returned release gives it back.
func (p *waPairer) claim(ctx context.Context) (release func(), err error) {
	if p.lease == nil {
		return func() {}, nil
	}
	ok, err := p.lease.ClaimLease(ctx, p.leaseKey, p.owner, pairingTimeout+time.Minute)
	if err != nil {
		return nil, fmt.Errorf("start whatsapp pairing: %w", err)
	}
	if !ok {
		return nil, web.ErrPairingElsewhere
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := p.lease.ReleaseLease(ctx, p.leaseKey, p.owner); err != nil {
			p.log.Warn("whatsapp pairing: release its lease (it lapses by itself)", "err", err)
		}
	}, nil
}

var _ web.WhatsAppPairing = (*waPairer)(nil)

// pairingTimeout bounds one pairing: whatsmeow's QR codes run out after
// about 2.5 minutes, a pairing code after a few.
const pairingTimeout = 4 * time.Minute

func (p *waPairer) Pairing(context.Context) (web.Pairing, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state, nil
}

func (p *waPairer) set(f func(*web.Pairing)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.state)
}

// StartPairing opens the device store and, when no number is paired,
// connects a new device and follows its QR channel in the background.
// A pairing already running is left as it is.
func (p *waPairer) StartPairing(ctx context.Context, phone string) error {
	var pairUser string
	if phone != "" {
		jid, err := whatsapp.PairJID(phone)
		if err != nil {
			return fmt.Errorf("%w: %v", web.ErrBadPhone, err)
		}
		pairUser = jid.User
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state.Active {
		return nil
	}
	if p.live != nil && p.live.Store.ID != nil {
		return web.ErrPaired
	}
	release, err := p.claim(ctx)
	if err != nil {
		return err
	}
	// The pairing outlives the request that started it, up to its bound
	// or serve's end.
	bg, cancelBg := context.WithTimeout(p.base, pairingTimeout)
	cancel := func() { cancelBg(); release() }
	ds, dev, err := openWhatsAppDevice(bg, p.cfg, p.wc, p.log)
	if err != nil {
		cancel()
		return err
	}
	if dev.ID != nil {
		ds.Close()
		cancel()
		return web.ErrPaired
	}
	whatsapp.SetDeviceName(p.wc.DeviceName)
	cli := whatsmeow.NewClient(dev, whatsapp.Logger(p.log.With("module", "whatsmeow")))
	qr, err := cli.GetQRChannel(bg)
	if err == nil {
		err = cli.Connect()
	}
	if err != nil {
		ds.Close()
		cancel()
		return fmt.Errorf("start whatsapp pairing: %w", err)
	}
	p.state = web.Pairing{Active: true}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		func() {
			defer cancel()
			defer ds.Close()
			defer cli.Disconnect()
			p.follow(bg, qr, pairUser, cli.PairPhone)
		}()
		p.done()
	}()
	return nil
}

// done tells the channel when the pairing that just ended succeeded; its
// connection is closed by then, so the channel's own does not replace it.
func (p *waPairer) done() {
	p.mu.Lock()
	paired := p.state.Paired
	p.mu.Unlock()
	if paired && p.onPaired != nil {
		p.onPaired()
	}
}

// setLive records the connected client of the running session (nil when
// it ended): StartPairing refuses while it is paired.
func (p *waPairer) setLive(cli *whatsmeow.Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live = cli
}

// follow keeps the page's state in step with the QR channel until the
// phone accepts, the codes run out or ctx ends.
func (p *waPairer) follow(ctx context.Context, qr <-chan whatsmeow.QRChannelItem, phone string, pairPhone pairPhoneFunc) {
	asked := false
	for {
		var item whatsmeow.QRChannelItem
		var ok bool
		select {
		case <-ctx.Done():
			p.set(func(s *web.Pairing) { *s = web.Pairing{Failed: "timeout"} })
			return
		case item, ok = <-qr:
		}
		switch {
		case !ok:
			p.set(func(s *web.Pairing) {
				if !s.Paired && s.Failed == "" {
					*s = web.Pairing{Failed: "error"}
				}
			})
			return
		case item.Event == whatsmeow.QRChannelEventCode && phone != "":
			if asked {
				continue // the code typed on the phone stays valid; QR codes rotating do not matter
			}
			asked = true
			code, err := pairPhone(ctx, phone, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
			if err != nil {
				p.log.Warn("whatsapp pairing: get a pairing code", "err", err)
				p.set(func(s *web.Pairing) { *s = web.Pairing{Failed: "error"} })
				return
			}
			p.set(func(s *web.Pairing) { s.PhoneCode = code })
		case item.Event == whatsmeow.QRChannelEventCode:
			p.set(func(s *web.Pairing) { s.QR = item.Code })
		case item == whatsmeow.QRChannelSuccess:
			p.log.Info("whatsapp paired from the web console; the channel connects the number next")
			p.set(func(s *web.Pairing) { *s = web.Pairing{Paired: true} })
			// Stay a moment so the phone finishes setting the device up.
			select {
			case <-ctx.Done():
			case <-time.After(cmp.Or(p.settle, 20*time.Second)):
			}
			return
		case item == whatsmeow.QRChannelTimeout:
			p.set(func(s *web.Pairing) { *s = web.Pairing{Failed: "timeout"} })
			return
		default:
			p.log.Warn("whatsapp pairing failed", "event", item.Event, "err", item.Error)
			p.set(func(s *web.Pairing) { *s = web.Pairing{Failed: "error"} })
			return
		}
	}
}

// LogOut unlinks the number, through whichever serve process holds its
// connection (the device is removed on the phone and from the device
// store); every serve process then waits for the next pairing.
func (p *waPairer) LogOut(ctx context.Context) error {
	return p.unlink(ctx)
}

// Wait waits for a pairing in progress to end (after serve's context ended).
func (p *waPairer) Wait() { p.wg.Wait() }
