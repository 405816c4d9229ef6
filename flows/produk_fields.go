package flows

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// productCategories are the categories a product may have: the sectors
// that sell goods.
var productCategories = []string{"kuliner", "fesyen", "kriya", "pertanian", "lainnya"}

// productField is one question about a product, shared by the listing
// builder (jualan) and the product editor (produk): the step asks and
// parses, apply puts the answer into a product.
type productField struct {
	step  *bot.Step
	apply func(p *umkm.Product, v string)
}

func productFields() []productField {
	return []productField{
		{&bot.Step{ID: "nama", Prompt: "jualan.nama", Help: "jualan.nama.help", Numbered: true,
			Parse: textBetween(3, 150, "jualan.nama.invalid")},
			func(p *umkm.Product, v string) { p.Name = v }},
		{&bot.Step{ID: "kategori", Prompt: "jualan.kategori", Numbered: true, Options: categoryOptions},
			func(p *umkm.Product, v string) { p.Category = v }},
		{&bot.Step{ID: "harga", Prompt: "jualan.harga", Numbered: true, Parse: parsePriceAnswer},
			func(p *umkm.Product, v string) { p.Price, _ = strconv.ParseInt(v, 10, 64) }},
		{&bot.Step{ID: "berat", Prompt: "jualan.berat", Help: "jualan.berat.help", Numbered: true, Parse: parseWeightAnswer},
			func(p *umkm.Product, v string) { p.Weight, _ = strconv.Atoi(v) }},
		{&bot.Step{ID: "stok", Prompt: "jualan.stok", Numbered: true, Parse: parseStockAnswer, Confirm: confirmPackStock},
			func(p *umkm.Product, v string) { p.Stock, _ = strconv.Atoi(v) }},
		{&bot.Step{ID: "deskripsi", Prompt: "jualan.deskripsi", Help: "jualan.deskripsi.help", Numbered: true, Optional: true, Verbatim: true,
			Parse: parseDescription},
			func(p *umkm.Product, v string) { p.Description = v }},
		{&bot.Step{ID: "izin", Prompt: "jualan.izin", Help: "jualan.izin.help", Numbered: true, Multi: true,
			Options: permitOptions, Parse: parsePermits,
			Skip: func(ctx context.Context, t *bot.Turn) (bool, error) {
				food := umkm.Product{Category: t.Get("kategori")}.Food()
				if !food {
					t.Del("izin") // no permits: the empty list
				}
				return !food, nil
			}},
			func(p *umkm.Product, v string) { p.Permits = bot.SplitList(v) }},
	}
}

func categoryOptions(context.Context, *bot.Turn) ([]bot.Option, error) {
	opts := make([]bot.Option, len(productCategories))
	for i, c := range productCategories {
		opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: c, Label: bot.T("sector." + c)}
		for _, s := range sectors {
			if s.code == c {
				opts[i].Alias = s.alias
			}
		}
	}
	return opts, nil
}

func permitOptions(context.Context, *bot.Turn) ([]bot.Option, error) {
	return []bot.Option{
		{Key: "1", Value: "pirt", Label: bot.T("jualan.izin.pirt"), Alias: []string{"pirt", "p-irt", "p irt", "spp-irt", "sppirt"}},
		{Key: "2", Value: "halal", Label: bot.T("jualan.izin.halal"), Alias: []string{"halal", "sertifikat halal", "mui"}},
		{Key: "3", Value: "bpom", Label: bot.T("jualan.izin.bpom"), Alias: []string{"bpom", "md", "bpom md", "pom"}},
		{Key: "4", Value: "none", Label: bot.T("jualan.izin.none"), Alias: []string{"belum ada", "tidak ada", "belum", "blm"}},
	}, nil
}

func parsePermits(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
	if no, ok := bot.YesNo(in.Text); (ok && !no) || noneWords[in.Norm] {
		return "", bot.Text{}, nil // none: the empty list
	}
	if len(in.Choices) == 0 {
		return "", bot.T("jualan.izin.invalid"), nil
	}
	var vals []string
	for _, c := range in.Choices {
		if c.Value == "none" {
			if len(in.Choices) > 1 {
				return "", bot.T("jualan.izin.invalid"), nil
			}
			return "", bot.Text{}, nil
		}
		vals = append(vals, c.Value)
	}
	return bot.ListValue(vals), bot.Text{}, nil
}

func parsePriceAnswer(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
	v, reason := ParsePrice(in.Text)
	if reason != "" {
		return "", bot.T("jualan.harga."+reason, "Max", money(MaxPrice)), nil
	}
	return strconv.FormatInt(v, 10), bot.Text{}, nil
}

func parseWeightAnswer(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
	g, reason := ParseWeight(in.Text)
	if reason != "" {
		return "", bot.T("jualan.berat."+reason, "Max", MaxWeight/1000), nil
	}
	return strconv.Itoa(g), bot.Text{}, nil
}

// maxStock bounds a stock answer; more is a typo.
const maxStock = 1_000_000

func parseStockAnswer(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
	n, unit, ok := ParseQuantity(in.Text)
	if unit != "" {
		return "", bot.T("jualan.stok.unit." + unit), nil
	}
	if !ok || n > maxStock {
		return "", bot.T("jualan.stok.invalid"), nil
	}
	return strconv.Itoa(n), bot.Text{}, nil
}

// confirmPackStock shows the count a pack word made ("2 lusin" → 24), so
// the owner sees what was understood; a plain number needs no confirmation.
func confirmPackStock(t *bot.Turn, v string) bot.Text {
	for _, w := range strings.FieldsFunc(bot.Normalize(t.Msg.Text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if packSizes[w] > 0 {
			return bot.T("jualan.stok.ok", "Stock", v)
		}
	}
	return bot.Text{}
}

// parseDescription takes a short description (up to 2000 characters, line
// breaks kept) or "lewati".
func parseDescription(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
	if skipWords[in.Norm] {
		return "", bot.Text{}, nil
	}
	s := tidy(in.Text)
	if len([]rune(s)) > 2000 {
		return "", bot.T("jualan.deskripsi.invalid", "Max", 2000), nil
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return "", bot.T("jualan.deskripsi.invalid", "Max", 2000), nil
	}
	return s, bot.Text{}, nil
}

// productFromAnswers builds a product from the listing builder's answers.
func productFromAnswers(t *bot.Turn) umkm.Product {
	var p umkm.Product
	for _, f := range productFields() {
		f.apply(&p, t.Get(string(f.step.ID)))
	}
	p.Photos = photosOf(t)
	return p
}

// The photos sent so far are kept in the answers as JSON.
const photosKey = "fotos"

func photosOf(t *bot.Turn) []bot.Media {
	var ph []bot.Media
	if s := t.Get(photosKey); s != "" {
		_ = json.Unmarshal([]byte(s), &ph) // written by addPhoto only
	}
	return ph
}

func addPhoto(t *bot.Turn, m bot.Media) int {
	ph := append(photosOf(t), m)
	b, _ := json.Marshal(ph) // plain struct: cannot fail
	t.Set(photosKey, string(b))
	return len(ph)
}
