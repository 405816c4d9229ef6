package bot

import (
	"fmt"
	"os"
	"testing"
	"testing/fstest"
)

// TestFillTemplates renders messages of every shape both ways and
// requires the same text, and that only plain text and {{.Field}}s skip
// text/template.
func TestFillTemplates(t *testing.T) {
	src := `
plain = "Terima kasih."
single = "Halo {{.Name}}!"
spaced = "Halo {{ .Name }} dari {{.Kec}}, {{.Name}} lagi"
number = "Langkah {{.N}} dari {{.Total}}"
edge = "{{.A}}{{.B}}"
braces = "kurung }} dan { biasa {{.A}}"
cond = "{{if .A}}ada{{else}}tidak{{end}}"
condonly = "x{{ if .A }} ada {{.A}}{{end}}y"
nestedif = "{{if .A}}a{{if .B}}b{{else}}!b{{end}}{{else}}!a{{if .B}}B{{end}}{{end}}."
elseif = "{{if .A}}a{{else if .B}}b{{end}}"
eq = "{{if eq .A 1}}satu{{end}}"
with = "{{with .A}}{{.}}{{end}}"
range = "{{range .A}}{{.}}{{end}}"
strayend = "a{{end}}"
strayelse = "a{{else}}"
twoelse = "{{if .A}}a{{else}}b{{else}}c{{end}}"
open = "{{if .A}}a"
trim = "a {{- .A}} b"
nested = "{{.A.B}}"
pipe = "{{.A | printf \"%q\"}}"
unclosed = "{{.A"
dollar = "{{$}}"
text = "Bidang: {{.Sector}}"
`
	c, err := NewCatalog(fstest.MapFS{"t.id.toml": {Data: []byte(src + `"sector.a" = "Kuliner"` + "\n")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	c.OnMissing = func(lang, id string) { missing = append(missing, id) }
	fast := map[string]bool{"plain": true, "single": true, "spaced": true, "number": true, "edge": true, "braces": true, "text": true, "sector.a": true,
		"cond": true, "condonly": true, "nestedif": true}
	for id := range c.IDs("id") {
		if got := c.fills["id"][id] != nil; got != fast[id] {
			t.Errorf("%s: fill template %v, want %v", id, got, fast[id])
		}
	}
	for _, tt := range []Text{
		T("plain"), T("plain", "Unused", "x"), T("single", "Name", "Siti"), T("single"), T("single", "Name", "Siti", "Other", "x"), T("single", "Name", "Siti", "Extra", T("sector.missing")),
		T("single", "Name", "Siti", "Extra", []Text{T("sector.missing"), T("sector.a")}), T("single", "Extra", "x"),
		T("single", "Name", 7), T("single", "Name", int64(-12)), T("single", "Name", true), T("single", "Name", nil), T("single", "Name", 1.5),
		T("spaced", "Name", "Siti", "Kec", "Plered"), T("number", "N", 3, "Total", 13), T("edge", "A", "", "B", "x"),
		T("braces", "A", "ok"), T("cond", "A", true), T("cond", "A", false), T("cond", "A", ""), T("cond", "A", "x"), T("cond", "A", 0),
		T("cond", "A", 3), T("cond", "A", int64(0)), T("cond", "A", Raw("")), T("cond", "A", T("sector.a")), T("cond", "A", []Text{}),
		T("condonly", "A", "x"), T("condonly", "A", ""), T("condonly", "A", true),
		T("nestedif", "A", true, "B", true), T("nestedif", "A", true, "B", false), T("nestedif", "A", false, "B", true), T("nestedif", "A", false, "B", false),
		T("elseif", "A", false, "B", true), T("eq", "A", 1), T("with", "A", "x"), T("range", "A", []string{"a"}),
		T("strayend", "A", 1), T("strayelse", "A", 1), T("twoelse", "A", true), T("open", "A", true), T("trim", "A", "x"), T("nested", "A", map[string]any{"B": "b"}),
		T("unclosed", "A", "x"), T("dollar", "A", "x"),
		T("text", "Sector", T("sector.a")), T("text", "Sector", T("sector.missing")), T("text", "Sector", []Text{T("sector.a"), Raw("Fesyen")}),
		T("text", "Sector", Lines{T("sector.a"), Raw("Fesyen")}), T("single", "Name", Raw("Budi")),
	} {
		missing = nil
		got := c.Render("id", tt)
		gotMissing := fmt.Sprint(missing)
		missing = nil
		want := c.localize("id", tt)
		if got != want || gotMissing != fmt.Sprint(missing) {
			t.Errorf("Render(%s %v) = %q (missing %s), text/template %q (missing %v)", tt.ID, tt.Data, got, gotMissing, want, missing)
		}
	}
}

// TestFillTemplatesLocales renders every message of the real locale files
// that fill renders, in every language, both ways.
func TestFillTemplatesLocales(t *testing.T) {
	c, err := NewCatalog(os.DirFS("../locales"), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, lang := range c.Langs() {
		for id, ft := range c.fills[lang] {
			if ft == nil {
				continue
			}
			n++
			for _, v := range []any{"«x»", "", 42, 0, true, false} {
				tt := Text{ID: id}
				if len(ft.fields) > 0 {
					tt.Data = map[string]any{}
					for _, f := range ft.fields {
						tt.Data[f] = v
					}
				}
				if got, want := c.Render(lang, tt), c.localize(lang, tt); got != want {
					t.Errorf("%s %s: Render = %q, text/template %q", lang, id, got, want)
				}
				if len(ft.fields) > 1 { // fields true and not true by turns
					for i, f := range ft.fields {
						tt.Data[f] = []any{v, ""}[i%2]
					}
					if got, want := c.Render(lang, tt), c.localize(lang, tt); got != want {
						t.Errorf("%s %s: Render = %q, text/template %q", lang, id, got, want)
					}
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d messages rendered without text/template", n)
	}
}
