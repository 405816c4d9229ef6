package flows

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

func init() {
	register("produk", func(d Deps) *bot.Flow { return newProduk(d.Selling, d.now) })
}

// newProduk builds "produk saya": the owner's saved products, with editing
// one field at a time and deleting. It needs the products (Selling) and
// the clock only.
func newProduk(d Selling, now func() time.Time) *bot.Flow {
	steps := []*bot.Step{produkDaftar(d), produkUbah(d), produkHapus(d)}
	for _, f := range productFields() {
		steps = append(steps, editProductStep(d, now, f))
	}
	return &bot.Flow{
		ID:       "produk",
		Version:  1, // one list encoding (bot.ListValue), no "none" or "-"
		Migrate:  migrateProduct,
		Title:    "produk.title",
		Triggers: []string{"produk saya", "produk", "produkku", "daftar produk", "katalog saya"},
		// Last in the menu: it appears once a product is saved, and the
		// numbers people learnt for the others stay as they were.
		Menu:    50,
		Visible: d.hasProducts,
		Begin:   produkBegin(d),
		Steps:   steps,
	}
}

// produkDaftar lists the saved products: "ubah 2", "hapus 1", or done.
func produkDaftar(d Selling) *bot.Step {
	return &bot.Step{
		ID:     "daftar",
		Prompt: "produk.list",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			ps, err := d.products(ctx, t)
			if err != nil {
				return nil, err
			}
			items := make([]map[string]any, len(ps))
			for i, p := range ps {
				items[i] = map[string]any{"No": i + 1, "Name": p.Name, "Price": bot.Rupiah(p.Price),
					"Weight": p.Weight, "Stock": p.Stock, "Photos": len(p.Photos)}
			}
			return map[string]any{"Items": items, "Count": len(ps)}, nil
		},
		Targets: []bot.StepID{"ubah", "hapus"}, // productCommand's verbs
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			verb, n := productCommand(in.Norm)
			ps, err := d.products(ctx, t)
			if err != nil {
				return bot.Result{}, err
			}
			if asked := t.Get("_verb"); asked != "" && n > 0 && !strings.ContainsFunc(in.Norm, unicode.IsLetter) {
				verb = asked // "hapus", then "2"
			}
			t.Del("_verb")
			if verb != "" && n == 0 && !strings.Contains(in.Norm, " ") {
				t.Set("_verb", verb) // "ubah" alone: which one?
				return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{bot.Say(bot.T("produk.which"))}}, nil
			}
			if verb == "" {
				if yes, ok := bot.YesNo(in.Text); (ok && yes) || photoDoneWords[in.Norm] {
					return bot.Finish(), nil
				}
				return bot.Retry(bot.T("produk.unclear")), nil
			}
			if n < 1 || n > len(ps) {
				return bot.Retry(bot.T("produk.no_such", "Count", len(ps))), nil
			}
			t.Set("pid", ps[n-1].ID)
			t.Set("pname", ps[n-1].Name)
			return bot.Goto(bot.StepID(verb)), nil
		},
	}
}

// produkUbah asks which field of the product to change; its editor step follows.
func produkUbah(d Selling) *bot.Step {
	return &bot.Step{
		ID:     "ubah",
		Prompt: "produk.ubah",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			return map[string]any{"Name": t.Get("pname")}, nil
		},
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			fs := productFields()
			opts := make([]bot.Option, len(fs))
			for i, f := range fs {
				id := string(f.step.ID)
				opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: id, Label: bot.T("produk.field." + id), Alias: []string{id}}
			}
			return opts, nil
		},
		Targets: slices.Collect(maps.Values(editSteps)),
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			if id, ok := editSteps[bot.StepID(in.Choice.Value)]; ok {
				return bot.Goto(id), nil
			}
			return bot.Retry(bot.T("core.choice.invalid")), nil
		},
	}
}

// produkHapus confirms deleting a product.
func produkHapus(d Selling) *bot.Step {
	return &bot.Step{
		ID:      "hapus",
		Prompt:  "produk.hapus",
		Options: yesNoOptions("produk.hapus.yes", "produk.hapus.no"),
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			return map[string]any{"Name": t.Get("pname")}, nil
		},
		Targets: []bot.StepID{"daftar"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			yes, ok := answerYes(in)
			if !ok {
				return bot.Retry(bot.T("produk.hapus.unclear")), nil
			}
			if !yes {
				return bot.Goto("daftar"), nil
			}
			err := d.deleteProduct(ctx, t, t.Get("pid"))
			if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return bot.Result{}, err
			}
			done := bot.Say(bot.T("produk.deleted", "Name", t.Get("pname")))
			ps, err := d.products(ctx, t)
			if err != nil {
				return bot.Result{}, err
			}
			if len(ps) == 0 {
				return bot.Finish(done), nil
			}
			return bot.Goto("daftar", done), nil
		},
	}
}

// produkBegin starts the flow, with the deep-link or command argument.
func produkBegin(d Selling) func(context.Context, *bot.Turn, string) (bot.Result, error) {
	return func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
		ps, err := d.products(ctx, t)
		if err != nil {
			return bot.Result{}, err
		}
		if len(ps) == 0 {
			return bot.Finish(bot.Say(bot.T("produk.empty"))), nil
		}
		return bot.Goto("daftar"), nil
	}
}

// productCommand reads "ubah 2", "hapus 1", "edit 3" or a bare "2" (edit).
func productCommand(norm string) (verb string, n int) {
	words := strings.Fields(norm)
	if len(words) == 0 {
		return "", 0
	}
	verbs := map[string]string{"ubah": "ubah", "ganti": "ubah", "edit": "ubah", "koreksi": "ubah",
		"hapus": "hapus", "delete": "hapus", "buang": "hapus", "del": "hapus"}
	rest := words
	if v, ok := verbs[words[0]]; ok {
		verb, rest = v, words[1:]
	}
	if len(rest) > 0 && (rest[0] == "no" || rest[0] == "nomor" || rest[0] == "produk") {
		rest = rest[1:]
	}
	if len(rest) != 1 {
		if verb != "" {
			return verb, 0
		}
		return "", 0
	}
	n, err := strconv.Atoi(strings.Trim(rest[0], "."))
	if err != nil {
		if verb != "" {
			return verb, 0
		}
		return "", 0
	}
	if verb == "" {
		verb = "ubah"
	}
	return verb, n
}

// editSteps names the editor step of each product field.
var editSteps = map[bot.StepID]bot.StepID{"nama": "ubah_nama", "kategori": "ubah_kategori", "harga": "ubah_harga",
	"berat": "ubah_berat", "stok": "ubah_stok", "deskripsi": "ubah_deskripsi", "izin": "ubah_izin"}

// editProductStep turns a product question into an editor of the saved
// product: a valid answer is saved at once and the list shown again.
func editProductStep(d Selling, now func() time.Time, f productField) *bot.Step {
	s := *f.step
	s.ID = editSteps[f.step.ID]
	s.Skip = nil
	s.Numbered = false
	s.Parse = nil
	orig := f.step
	s.Targets = []bot.StepID{"daftar"}
	s.Handle = func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
		value, problem, err := stepValue(ctx, t, orig, in)
		if err != nil {
			return bot.Result{}, err
		}
		if !problem.IsZero() {
			return bot.Retry(problem), nil
		}
		var p *umkm.Product
		ps, err := d.products(ctx, t)
		if err != nil {
			return bot.Result{}, err
		}
		for _, x := range ps {
			if x.ID == t.Get("pid") {
				p = &x
			}
		}
		if p == nil {
			return bot.Goto("daftar", bot.Say(bot.T("produk.gone"))), nil
		}
		f.apply(p, value)
		p.UpdatedAt = now()
		if err := d.saveProduct(ctx, t, p); err != nil && !errors.Is(err, bot.ErrNotFound) {
			return bot.Result{}, err
		}
		return bot.Goto("daftar", bot.Say(bot.T("produk.saved", "Name", p.Name))), nil
	}
	return &s
}
