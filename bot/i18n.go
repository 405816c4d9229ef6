package bot

import (
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// DefaultLang is the source language: every message exists in Indonesian.
const DefaultLang = "id"

// Catalog renders Texts in a language. It is built once from the embedded
// locale files (go-i18n TOML, one file per flow and language, named
// "<name>.<lang>.toml") and is safe for concurrent use.
type Catalog struct {
	bundle *i18n.Bundle
	langs  []string
	ids    map[string]map[string]bool // lang → message ids
	log    *slog.Logger

	locs map[string]*i18n.Localizer // one per language, made by NewCatalog; read only

	// plain keeps the messages rendered without template data (most
	// prompts and labels), by language and id: they come out the same
	// every time, and going through the localizer for each was 2–3 % of
	// serve's CPU under the bench harness.
	pmu   sync.RWMutex
	plain map[string]map[string]string

	// fills has every message by language and id (so one look-up tells
	// whether lang has it), with the split template of those made only of
	// text and {{.Field}}s, nil for the others (i18n_fill.go); read only
	// after NewCatalog.
	fills map[string]map[string]*fillTemplate

	// OnMissing, if set, is called for a message id that a language lacks.
	// Production logs a warning; tests fail.
	OnMissing func(lang, id string)
}

// NewCatalog loads every *.toml file at the top of fsys.
func NewCatalog(fsys fs.FS, log *slog.Logger) (*Catalog, error) {
	if log == nil {
		log = slog.Default()
	}
	b := i18n.NewBundle(language.Indonesian)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, fmt.Errorf("list locale files: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no locale files found")
	}
	c := &Catalog{bundle: b, ids: map[string]map[string]bool{}, log: log, locs: map[string]*i18n.Localizer{},
		fills: map[string]map[string]*fillTemplate{}}
	for _, f := range files {
		mf, err := b.LoadMessageFileFS(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("load locale file %s: %w", f, err)
		}
		lang := mf.Tag.String()
		if c.ids[lang] == nil {
			c.ids[lang] = map[string]bool{}
		}
		for _, m := range mf.Messages {
			if c.ids[lang][m.ID] {
				return nil, fmt.Errorf("locale file %s: message %q defined twice for %s", path.Base(f), m.ID, lang)
			}
			c.ids[lang][m.ID] = true
			if c.fills[lang] == nil {
				c.fills[lang] = map[string]*fillTemplate{}
			}
			c.fills[lang][m.ID] = nil
			if ft, ok := newFillTemplate(m); ok {
				c.fills[lang][m.ID] = &ft
			}
		}
	}
	for l := range c.ids {
		c.langs = append(c.langs, l)
	}
	sort.Strings(c.langs)
	for _, l := range append([]string{DefaultLang}, c.langs...) {
		c.locs[l] = i18n.NewLocalizer(c.bundle, l, DefaultLang)
	}
	c.OnMissing = func(lang, id string) {
		log.Warn("missing translation", "lang", lang, "id", id)
	}
	return c, nil
}

// Langs lists the languages that have messages.
func (c *Catalog) Langs() []string { return c.langs }

// IDs returns the message ids defined for lang.
func (c *Catalog) IDs(lang string) map[string]bool { return c.ids[lang] }

// Has reports whether lang defines id.
func (c *Catalog) Has(lang, id string) bool { return c.ids[lang][id] }

// Supported returns lang if the catalog has it, else DefaultLang.
func (c *Catalog) Supported(lang string) string {
	if _, ok := c.ids[lang]; ok {
		return lang
	}
	return DefaultLang
}

// localizer returns lang's localizer without a lock (every render took
// one): lang is one of the catalog's (Supported), whose localizers
// NewCatalog made.
func (c *Catalog) localizer(lang string) *i18n.Localizer {
	if l := c.locs[lang]; l != nil {
		return l
	}
	return i18n.NewLocalizer(c.bundle, lang, DefaultLang)
}

// Render returns t in lang. A message missing in lang falls back to
// Indonesian; one missing everywhere renders as its id. Both are reported
// through OnMissing.
func (c *Catalog) Render(lang string, t Text) string {
	if t.ID == "" {
		return t.Raw
	}
	lang = c.Supported(lang)
	ft, has := c.fills[lang][t.ID]
	if !has && c.OnMissing != nil {
		c.OnMissing(lang, t.ID)
	}
	if t.Count == nil {
		if ft != nil {
			if len(ft.fields) == 0 && len(t.Data) == 0 {
				return ft.pieces[0].text // text only: newFillTemplate made one piece of it
			}
			if s, ok := c.fill(lang, ft, t.Data); ok {
				return s
			}
		}
	}
	if t.Data == nil && t.Count == nil {
		return c.renderPlain(lang, t.ID)
	}
	return c.localize(lang, t)
}

// localize renders t through go-i18n and text/template, the Texts in its
// data rendered first.
func (c *Catalog) localize(lang string, t Text) string {
	data := t.Data
	if t.Count != nil || hasTexts(t.Data) {
		data = make(map[string]any, len(t.Data)+1)
		for k, v := range t.Data {
			switch v.(type) {
			case Text, []Text, Lines:
				data[k] = c.renderValue(lang, v)
			default:
				data[k] = v
			}
		}
		if t.Count != nil {
			data["Count"] = t.Count
		}
	}
	s, err := c.localizer(lang).Localize(&i18n.LocalizeConfig{MessageID: t.ID, TemplateData: data, PluralCount: t.Count})
	if s == "" && err != nil {
		c.log.Warn("render message", "lang", lang, "id", t.ID, "err", err)
		return t.ID
	}
	return s
}

// renderPlain renders message id without template data, once per
// language.
func (c *Catalog) renderPlain(lang, id string) string {
	c.pmu.RLock()
	s, ok := c.plain[lang][id]
	c.pmu.RUnlock()
	if ok {
		return s
	}
	s, err := c.localizer(lang).Localize(&i18n.LocalizeConfig{MessageID: id})
	if s == "" && err != nil {
		c.log.Warn("render message", "lang", lang, "id", id, "err", err)
		return id
	}
	c.pmu.Lock()
	if c.plain == nil {
		c.plain = map[string]map[string]string{}
	}
	if c.plain[lang] == nil {
		c.plain[lang] = map[string]string{}
	}
	c.plain[lang][id] = s
	c.pmu.Unlock()
	return s
}

// renderValue renders template data that is text to render first: a
// Text, a []Text (joined by commas) or Lines (one a line).
func (c *Catalog) renderValue(lang string, v any) string {
	switch v := v.(type) {
	case Text:
		return c.Render(lang, v)
	case []Text:
		return c.renderJoined(lang, v, ", ")
	case Lines:
		return c.renderJoined(lang, v, "\n")
	}
	return ""
}

// renderJoined renders ts and joins them with sep.
func (c *Catalog) renderJoined(lang string, ts []Text, sep string) string {
	parts := make([]string, len(ts))
	for i, x := range ts {
		parts[i] = c.Render(lang, x)
	}
	return strings.Join(parts, sep)
}

// hasTexts reports whether template data holds Texts to render first.
func hasTexts(data map[string]any) bool {
	for _, v := range data {
		switch v.(type) {
		case Text, []Text, Lines:
			return true
		}
	}
	return false
}

// RenderAll renders several texts as paragraphs.
func (c *Catalog) RenderAll(lang string, ts []Text) string {
	if len(ts) == 1 { // most messages: no parts to join
		return c.Render(lang, ts[0])
	}
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		if s := c.Render(lang, t); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n\n")
}

// Out renders an outgoing message.
func (c *Catalog) Out(lang string, o Out) Reply {
	r := Reply{Text: c.RenderAll(lang, o.Texts), Ask: o.Ask, Attach: o.Attach}
	if o.FileName != "" {
		r.File = &ReplyFile{Name: o.FileName, Text: r.Text}
	}
	if len(o.Options) > 0 {
		r.Options = make([]ReplyOption, 0, len(o.Options))
	}
	for _, opt := range o.Options {
		r.Options = append(r.Options, ReplyOption{Key: opt.Key, Label: c.Render(lang, opt.Label)})
	}
	return r
}

// Jakarta is the WIB time zone, where the Dinas offices are.
var Jakarta = mustZone("Asia/Jakarta", 7)

func mustZone(name string, hours int) *time.Location {
	if l, err := time.LoadLocation(name); err == nil {
		return l
	}
	return time.FixedZone(name, hours*3600)
}

// zoneName names Indonesia's three zones by offset.
func zoneName(t time.Time) string {
	switch _, off := t.Zone(); off {
	case 7 * 3600:
		return "WIB"
	case 8 * 3600:
		return "WITA"
	case 9 * 3600:
		return "WIT"
	default:
		name, _ := t.Zone()
		return name
	}
}

// Time renders t ("Senin, 17 Februari 2026 pukul 09.00 WIB") in lang, in
// WIB unless t carries another Indonesian zone.
func (c *Catalog) Time(lang string, t time.Time) string {
	if _, off := t.Zone(); off < 7*3600 || off > 9*3600 {
		t = t.In(Jakarta)
	}
	return c.Render(lang, T("time.datetime",
		"Weekday", c.Render(lang, T("time.weekday."+strconv.Itoa(int(t.Weekday())))),
		"Day", t.Day(),
		"Month", c.Render(lang, T("time.month."+strconv.Itoa(int(t.Month())))),
		"Year", t.Year(),
		"Clock", fmt.Sprintf("%02d.%02d", t.Hour(), t.Minute()),
		"Zone", zoneName(t)))
}

// Date renders the date part only ("Senin, 17 Februari 2026").
func (c *Catalog) Date(lang string, t time.Time) string {
	if _, off := t.Zone(); off < 7*3600 || off > 9*3600 {
		t = t.In(Jakarta)
	}
	return c.Render(lang, T("time.date",
		"Weekday", c.Render(lang, T("time.weekday."+strconv.Itoa(int(t.Weekday())))),
		"Day", t.Day(),
		"Month", c.Render(lang, T("time.month."+strconv.Itoa(int(t.Month())))),
		"Year", t.Year()))
}

// Rupiah formats an amount as "Rp1.500.000".
func Rupiah(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString("Rp")
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return b.String()
}
