package flows

import (
	"context"
	"embed"
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// FAQ files (bot/talk.go): data/faq/<region code>.<lang>.toml, else
// data/faq/default.<lang>.toml.
//
//go:embed data/faq/*.toml
var faqFiles embed.FS

// FAQLangs are the languages an FAQ is loaded for.
var FAQLangs = []string{"id", "en"}

// LoadFAQ reads the FAQ of every language. pattern (FAQ_FILE) is a path with
// {lang} in it ("/etc/umkmbot/faq.{lang}.toml"); without {lang} one file
// serves every language. Empty pattern: the embedded file of the region's
// code, else the embedded default.
func LoadFAQ(pattern string, region umkm.Region) (map[string]*bot.FAQ, error) {
	out := map[string]*bot.FAQ{}
	for _, lang := range FAQLangs {
		var data []byte
		var err error
		name := ""
		if pattern != "" {
			name = strings.ReplaceAll(pattern, "{lang}", lang)
			data, err = os.ReadFile(name)
		} else {
			name = "data/faq/" + region.Code + "." + lang + ".toml"
			if data, err = faqFiles.ReadFile(name); err != nil {
				name = "data/faq/default." + lang + ".toml"
				data, err = faqFiles.ReadFile(name)
			}
		}
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
		out[lang] = f
	}
	return out, nil
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
		data := map[string]any{"Office": d.Region.Office, "Contact": d.Region.Contact, "Region": d.Region.Name, "ID": ""}
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
