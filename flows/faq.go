package flows

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// FAQ files (bot/talk.go): data/faq/default.<lang>.toml, with
// data/faq/<region code>.<lang>.toml laid over it.
//
//go:embed data/faq/*.toml
var faqFiles embed.FS

// FAQLangs are the languages an FAQ is loaded for.
var FAQLangs = []string{"id", "en"}

// LoadFAQ reads the FAQ of every language. pattern (FAQ_FILE) is a path with
// {lang} in it ("/etc/umkmbot/faq.{lang}.toml"); without {lang} one file
// serves every language; it replaces the embedded FAQ. Empty pattern: the
// embedded default, with the embedded file of the region's code
// (data/faq/32.14.id.toml) laid over it: its entries are added, and an
// entry with the id of a default one replaces that one.
func LoadFAQ(pattern string, region umkm.Region) (map[string]*bot.FAQ, error) {
	out := map[string]*bot.FAQ{}
	for _, lang := range FAQLangs {
		var f *bot.FAQ
		var err error
		if pattern != "" {
			f, err = readFAQ(os.ReadFile, strings.ReplaceAll(pattern, "{lang}", lang))
		} else {
			f, err = readFAQ(faqFiles.ReadFile, "data/faq/default."+lang+".toml")
			name := "data/faq/" + region.Code + "." + lang + ".toml"
			if _, serr := fs.Stat(faqFiles, name); err == nil && serr == nil {
				var over *bot.FAQ
				if over, err = readFAQ(faqFiles.ReadFile, name); err == nil {
					f.Entries = mergeFAQ(f.Entries, over.Entries)
				}
			}
		}
		if err != nil {
			return nil, err
		}
		if err := f.Compile(); err != nil {
			return nil, fmt.Errorf("faq %s: %w", lang, err)
		}
		out[lang] = f
	}
	return out, nil
}

// readFAQ reads and checks one FAQ file.
func readFAQ(read func(string) ([]byte, error), name string) (*bot.FAQ, error) {
	data, err := read(name)
	if err != nil {
		return nil, fmt.Errorf("faq: %w", err)
	}
	f := &bot.FAQ{}
	if err := toml.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("faq %s: %w", name, err)
	}
	if err := f.Compile(); err != nil {
		return nil, fmt.Errorf("faq %s: %w", name, err)
	}
	return f, nil
}

// mergeFAQ lays a region's entries over the default ones: same id
// replaces, a new id is added at the end.
func mergeFAQ(base, over []bot.FAQEntry) []bot.FAQEntry {
	out := slices.Clone(base)
	for _, e := range over {
		if i := slices.IndexFunc(out, func(b bot.FAQEntry) bool { return b.ID == e.ID }); i >= 0 {
			out[i] = e
		} else {
			out = append(out, e)
		}
	}
	return out
}

// talk gives the conversation layer the FAQ and what its answers are
// filled in with: the Dinas, its contact and the person's registration.
func (d Deps) talk() *bot.Talk {
	faq := d.FAQ
	if faq == nil {
		var err error
		if faq, err = LoadFAQ("", d.Region); err != nil {
			panic(err) // embedded data, checked by TestFAQFiles
		}
	}
	return &bot.Talk{FAQ: faq, Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
		dinas := d.dinasOf(ctx, t)
		data := map[string]any{"Office": dinas.Office, "Contact": ContactText(dinas), "Region": d.Region.Name, "ID": ""}
		if data["Office"] == "" {
			data["Office"] = "Dinas"
		}
		r, err := d.registration(ctx, t)
		if err != nil {
			return nil, err
		}
		if r != nil {
			data["ID"] = r.ID
		}
		return data, nil
	}}
}
