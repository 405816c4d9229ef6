package flows_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/locales"
)

// TestLocalesComplete: every language defines exactly the same message
// ids, so English is as complete as Indonesian.
func TestLocalesComplete(t *testing.T) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := cat.IDs("id")
	if len(id) == 0 {
		t.Fatal("no Indonesian messages")
	}
	for _, lang := range cat.Langs() {
		for m := range id {
			if !cat.Has(lang, m) {
				t.Errorf("%s lacks %q", lang, m)
			}
		}
		for m := range cat.IDs(lang) {
			if !cat.Has("id", m) {
				t.Errorf("%s has %q, which Indonesian (the source) lacks", lang, m)
			}
		}
	}
}

// messageLiterals returns the string literals in the non-test Go files of
// dir that look like message ids of a known namespace.
func messageLiterals(t *testing.T, dir string, namespaces map[string]bool) map[string][]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	found := map[string][]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || strings.ContainsAny(s, " \n%") || strings.HasSuffix(s, ".") {
				return true
			}
			ns, _, ok := strings.Cut(s, ".")
			if ok && namespaces[ns] {
				found[s] = append(found[s], fset.Position(lit.Pos()).String())
			}
			return true
		})
	}
	return found
}

// TestMessageIDsExist: every message id written in the Go code exists in
// every language (ids built at run time are covered by the transcripts,
// whose catalog fails the test on a missing message).
func TestMessageIDsExist(t *testing.T) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	namespaces := map[string]bool{}
	for m := range cat.IDs("id") {
		ns, _, _ := strings.Cut(m, ".")
		namespaces[ns] = true
	}
	for _, dir := range []string{".", "../bot"} {
		for id, where := range messageLiterals(t, dir, namespaces) {
			for _, lang := range cat.Langs() {
				if !cat.Has(lang, id) {
					t.Errorf("%s: message %q missing in %s", where[0], id, lang)
				}
			}
		}
	}
}

// TestFlowsWellFormed: every flow has a title and triggers, and every
// step's prompt, help and option labels exist in every language. That
// every step can be reached and every move leads somewhere, flows.New
// checks itself (bot.NewRegistry).
func TestFlowsWellFormed(t *testing.T) {
	w := newWorld(t)
	reg := mustFlows(t, w.deps)
	turn := &bot.Turn{Conv: bot.Conversation{Channel: bot.Console, User: "registry"}, Lang: "id", State: &bot.State{}}
	for _, f := range reg.Flows() {
		if f.Title == "" || len(f.Triggers) == 0 {
			t.Errorf("flow %s needs a title and trigger words", f.ID)
		}
		for _, s := range f.Steps {
			for _, lang := range w.catalog.Langs() {
				for _, id := range []string{s.Prompt, s.Help} {
					if id != "" && !w.catalog.Has(lang, id) {
						t.Errorf("flow %s step %s: message %q missing in %s", f.ID, s.ID, id, lang)
					}
				}
				if s.Options != nil {
					opts, err := s.Options(context.Background(), turn)
					if err != nil {
						t.Errorf("flow %s step %s: options: %v", f.ID, s.ID, err)
					}
					for _, o := range opts {
						if o.Label.ID != "" && !w.catalog.Has(lang, o.Label.ID) {
							t.Errorf("flow %s step %s: option label %q missing in %s", f.ID, s.ID, o.Label.ID, lang)
						}
					}
				}
			}
		}
	}
}
