package flows

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

func init() { register("jualan", newJualan) }

// maxPhotos is how many photos the listing builder keeps for one product
// when the marketplace sets no lower limit.
const maxPhotos = 10

// newJualan builds "jualan online": pick where to sell, see what opening a
// seller account needs, then turn a product (new or saved) into a listing
// draft with a readiness checklist.
func newJualan(d Deps) *bot.Flow {
	m := d.market()
	steps := []*bot.Step{jualanTarget(d), jualanLanjut(d, m), jualanPilih(d)}
	for _, f := range productFields() {
		steps = append(steps, f.step)
	}
	steps = append(steps, jualanFoto(d, m))
	return &bot.Flow{
		ID:       "jualan",
		Version:  1, // one list encoding (bot.ListValue), no "none" or "-"
		Migrate:  migrateProduct,
		Title:    "jualan.title",
		Triggers: []string{"jualan", "jualan online", "jual online", "marketplace", "toko online"},
		Menu:     30,
		Intent:   func(norm string) (string, bool) { return jualanIntent(m, norm) },
		Entries:  []bot.StepID{"lanjut"},
		Begin: func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
			if id := targetByWord(m, arg); id != "" {
				return chooseTarget(d, t, id), nil
			}
			return bot.Goto("target"), nil
		},
		Steps: steps,
	}
}

// jualanLanjut asks what next after a marketplace was chosen: a new
// product, a saved one, or done.
func jualanLanjut(d Deps, m *Market) *bot.Step {
	return &bot.Step{
		ID:     "lanjut",
		Prompt: "jualan.lanjut",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			// A marketplace taken out of the market file since the person
			// chose it is asked for again when the draft is made (finishDraft).
			name := ""
			if tg := m.target(t.Get("target")); tg != nil {
				name = tg.Name
			}
			return map[string]any{"Market": name}, nil
		},
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			opts := []bot.Option{{Key: "1", Value: "baru", Label: bot.T("jualan.lanjut.new"), Alias: []string{"baru", "produk baru", "ya"}}}
			ps, err := d.products(ctx, t)
			if err != nil {
				return nil, err
			}
			if len(ps) > 0 {
				opts = append(opts, bot.Option{Key: "2", Value: "simpan", Label: bot.T("jualan.lanjut.saved"), Alias: []string{"tersimpan", "produk saya", "lama"}})
			}
			return append(opts, bot.Option{Key: strconv.Itoa(len(opts) + 1), Value: "selesai", Label: bot.T("jualan.lanjut.done"), Alias: []string{"selesai", "tidak", "sudah"}}), nil
		},
		Targets: []bot.StepID{"nama", "pilih"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			switch in.Choice.Value {
			case "baru":
				return bot.Goto("nama"), nil
			case "simpan":
				return bot.Goto("pilih"), nil
			}
			return bot.Finish(), nil
		},
	}
}

// jualanFoto takes the product's photos, up to the marketplace's limit,
// then saves the product and writes the listing draft.
func jualanFoto(d Deps, m *Market) *bot.Step {
	return &bot.Step{
		ID: "foto", Prompt: "jualan.foto", Ask: bot.AskPhoto, Numbered: true, Optional: true,
		Accept: []bot.Kind{bot.KindText, bot.KindPhoto, bot.KindDocument},
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			return map[string]any{"Max": photoLimit(m, t)}, nil
		},
		Targets: []bot.StepID{"target"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			msg := in.Msg
			if msg.Kind == bot.KindPhoto || msg.Kind == bot.KindDocument {
				if msg.Media == nil || (msg.Kind == bot.KindDocument && !strings.HasPrefix(msg.Media.Mime, "image/")) {
					return bot.Retry(bot.T("jualan.foto.not_image")), nil
				}
				limit := photoLimit(m, t)
				if len(photosOf(t)) >= limit {
					return bot.Result{Say: []bot.Out{bot.Say(bot.T("jualan.foto.full", "Max", limit))}, Next: bot.Stay, Quiet: true}, nil
				}
				n := addPhoto(t, *msg.Media)
				return bot.Result{Say: []bot.Out{bot.Say(bot.N("jualan.foto.got", n, "Max", limit))}, Next: bot.Stay, Quiet: true}, nil
			}
			if photoDoneWords[in.Norm] || skipWords[in.Norm] {
				return saveAndDraft(ctx, d, t)
			}
			return bot.Retry(bot.T("jualan.foto.unclear")), nil
		},
	}
}

// jualanTarget asks which marketplace the owner wants to sell on.
func jualanTarget(d Deps) *bot.Step {
	return &bot.Step{
		ID:      "target",
		Prompt:  "jualan.target",
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) { return targetOptions(d), nil },
		Targets: []bot.StepID{"lanjut", "target"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			return chooseTarget(d, t, in.Choice.Value), nil
		},
	}
}

// jualanPilih picks a saved product for the listing draft.
func jualanPilih(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "pilih",
		Prompt: "jualan.pilih",
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			ps, err := d.products(ctx, t)
			if err != nil {
				return nil, err
			}
			return productOptions(ps), nil
		},
		Targets: []bot.StepID{"target"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			ps, err := d.products(ctx, t)
			if err != nil {
				return bot.Result{}, err
			}
			for _, p := range ps {
				if p.ID == in.Choice.Value {
					return finishDraft(d, t, p, bot.Text{}), nil
				}
			}
			return bot.Retry(bot.T("core.choice.invalid")), nil
		},
	}
}

var photoDoneWords = map[string]bool{"selesai": true, "sudah": true, "udah": true, "udh": true, "sdh": true, "cukup": true,
	"done": true, "beres": true, "ok": true, "oke": true, "lanjut": true, "sudah semua": true, "itu saja": true}

// market returns the deployment's marketplace data.
func (s Selling) market() *Market {
	if s.Market != nil {
		return s.Market
	}
	return embeddedMarket
}

// The owner's products are read once a turn (Turn.Cached): a step's
// options, its answer, the question after it and the menu each ask, and
// each was a Redis round trip. Every write goes through saveProduct,
// deleteProduct or forgetProducts, which drop what the turn read.
const (
	productsKey    = "products"
	hasProductsKey = "has_products"
)

// products returns the owner's saved products (none without a product
// store). They are shared for the rest of the turn: read only.
func (s Selling) products(ctx context.Context, t *bot.Turn) ([]umkm.Product, error) {
	if s.Products == nil {
		return nil, nil
	}
	ps, err := t.Cached(productsKey, func() (any, error) {
		ps, err := s.Products.Products(ctx, t.Conv)
		if err == nil {
			t.Remember(hasProductsKey, len(ps) > 0) // the menu's question, answered with them
		}
		return ps, err
	})
	if err != nil {
		return nil, err
	}
	return ps.([]umkm.Product), nil
}

// productChecker is a ProductStore that tells whether an owner has a
// product without reading them (store.ProductStore: one EXISTS).
type productChecker interface {
	HasProducts(ctx context.Context, c bot.Conversation) (bool, error)
}

// hasProducts reports whether the owner has saved a product: the menu
// lists "produk saya" then. Every menu asks, so a store that can tell
// without reading every product and its photos is asked that instead.
func (s Selling) hasProducts(ctx context.Context, t *bot.Turn) (bool, error) {
	c, ok := s.Products.(productChecker)
	if !ok {
		ps, err := s.products(ctx, t)
		return len(ps) > 0, err
	}
	has, err := t.Cached(hasProductsKey, func() (any, error) { return c.HasProducts(ctx, t.Conv) })
	if err != nil {
		return false, err
	}
	return has.(bool), nil
}

// saveProduct saves p (Products.SaveProduct) and drops what the turn read
// of the products.
func (s Selling) saveProduct(ctx context.Context, t *bot.Turn, p *umkm.Product) error {
	defer s.forgetProducts(t)
	return s.Products.SaveProduct(ctx, t.Conv, p)
}

// deleteProduct deletes product id (Products.DeleteProduct) and drops
// what the turn read of the products.
func (s Selling) deleteProduct(ctx context.Context, t *bot.Turn, id string) error {
	defer s.forgetProducts(t)
	return s.Products.DeleteProduct(ctx, t.Conv, id)
}

// forgetProducts drops what the turn read of the products, after a write
// (an erasure also removes them).
func (Selling) forgetProducts(t *bot.Turn) {
	t.Forget(productsKey)
	t.Forget(hasProductsKey)
}

func targetOptions(d Deps) []bot.Option {
	m := d.market()
	opts := make([]bot.Option, 0, len(m.Targets))
	for i, tg := range m.Targets {
		o := bot.Option{Key: strconv.Itoa(i + 1), Value: tg.ID, Label: bot.Raw(tg.Name), Alias: tg.Aliases}
		if tg.Kind == "regional" {
			o.Label = bot.T("jualan.target.daerah.none")
			if r := m.regional(d.Region.Code); r != nil {
				o.Label = bot.T("jualan.target.daerah", "Name", r.Name)
			}
		}
		opts = append(opts, o)
	}
	return opts
}

// targetByWord finds the target a word names ("shopee", "tokped").
func targetByWord(m *Market, w string) string {
	w = bot.Normalize(w)
	if w == "" {
		return ""
	}
	for _, tg := range m.Targets {
		if w == tg.ID || slices.Contains(tg.Aliases, w) {
			return tg.ID
		}
	}
	return ""
}

// jualanIntent starts the flow for free text that names a marketplace or
// asks how to sell online: "cara jualan di shopee", "daftar tokopedia gmn".
func jualanIntent(m *Market, norm string) (string, bool) {
	padded := " " + norm + " "
	for _, tg := range m.Targets {
		if tg.Kind == "regional" {
			continue
		}
		for _, a := range append([]string{tg.ID}, tg.Aliases...) {
			if len(a) >= 5 && strings.Contains(padded, " "+a+" ") {
				return tg.ID, true
			}
		}
	}
	for _, p := range []string{"jualan online", "jual online", "jualan di", "cara jualan", "toko online", "marketplace"} {
		if strings.Contains(norm, p) {
			return "", true
		}
	}
	return "", false
}

// chooseTarget shows what selling on target id needs and goes on to the
// listing builder where the target takes listings.
func chooseTarget(d Deps, t *bot.Turn, id string) bot.Result {
	m := d.market()
	tg := m.target(id)
	if tg == nil {
		return bot.Goto("target")
	}
	t.Set("target", id)
	if tg.Kind == "regional" {
		r := m.regional(d.Region.Code)
		if r == nil {
			return bot.Finish(bot.Say(bot.T("jualan.daerah.none", "Region", d.Region.Name, "Office", d.Region.Office, "Contact", ContactText(d.Region))))
		}
		return bot.Finish(stepsOut(r.Name, r.Confirmed, r.Steps.in(t.Lang)))
	}
	out := stepsOut(tg.Name, tg.Confirmed, tg.Steps.in(t.Lang))
	if !tg.Listing {
		return bot.Finish(out)
	}
	return bot.Goto("lanjut", out)
}

// stepsOut lists the steps of opening a seller account.
func stepsOut(name string, confirmed bool, steps []string) bot.Out {
	head := "jualan.steps"
	if !confirmed {
		head = "jualan.steps.unconfirmed"
	}
	texts := []bot.Text{bot.T(head, "Market", name)}
	for i, s := range steps {
		texts = append(texts, bot.T("jualan.step", "No", i+1, "Text", s))
	}
	return bot.Say(texts...)
}

func photoLimit(m *Market, t *bot.Turn) int {
	if tg := m.target(t.Get("target")); tg != nil && tg.PhotosMax > 0 {
		return min(tg.PhotosMax, maxPhotos)
	}
	return maxPhotos
}

func productOptions(ps []umkm.Product) []bot.Option {
	opts := make([]bot.Option, len(ps))
	for i, p := range ps {
		opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: p.ID, Label: bot.T("jualan.pilih.item", "Name", p.Name, "Price", money(p.Price)), Alias: []string{p.Name}}
	}
	return opts
}

// saveAndDraft saves the product the builder collected to the owner's
// products and writes its draft.
func saveAndDraft(ctx context.Context, d Deps, t *bot.Turn) (bot.Result, error) {
	p := productFromAnswers(t)
	p.CreatedAt, p.UpdatedAt = d.now(), d.now()
	p.Origin = t.Msg.ID
	saved := bot.T("jualan.saved")
	if d.Products != nil {
		err := d.saveProduct(ctx, t, &p)
		switch {
		case errors.Is(err, umkm.ErrTooManyProducts):
			saved = bot.T("jualan.not_saved_full", "Max", umkm.MaxProducts)
		case err != nil:
			return bot.Result{}, err
		}
	}
	return finishDraft(d, t, p, saved), nil
}

// finishDraft ends the flow with the listing draft and its checklist.
func finishDraft(d Deps, t *bot.Turn, p umkm.Product, intro bot.Text) bot.Result {
	m := d.market()
	tg := m.target(t.Get("target"))
	if tg == nil || !tg.Listing {
		return bot.Goto("target")
	}
	draft, check := m.draft(tg, p, t.Lang, t.Now)
	head := bot.Say(bot.T("jualan.draft.intro", "Market", tg.Name))
	if !intro.IsZero() {
		head.Texts = append([]bot.Text{intro}, head.Texts...)
	}
	return bot.Finish(head, draft, check)
}
