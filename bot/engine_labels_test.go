package bot

import (
	"sync"
	"testing"
	"testing/fstest"
)

// TestStepLabelsKept: the labelled options a step gave are kept for its
// next turns only while it gives the very same options, in the same
// language: another language, other options (built anew, or fewer of the
// same) each get their own labels, and several turns at once read them
// safely.
func TestStepLabelsKept(t *testing.T) {
	cat, err := NewCatalog(fstest.MapFS{
		"x.id.toml": {Data: []byte("[\"x.a\"]\nother = \"Kuliner\"\n[\"x.b\"]\nother = \"Fesyen\"\n[\"x.c\"]\nother = \"Kriya\"\n")},
		"x.en.toml": {Data: []byte("[\"x.a\"]\nother = \"Culinary\"\n[\"x.b\"]\nother = \"Fashion\"\n[\"x.c\"]\nother = \"Crafts\"\n")},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(EngineConfig{}, nil, nil, nil, cat, nil)
	labels := func(opts []Option) string {
		s := ""
		for _, o := range opts {
			s += o.Label.Raw + ";"
		}
		return s
	}
	fixed := []Option{{Key: "1", Label: T("x.a")}, {Key: "2", Label: T("x.b")}}
	step, other := &Step{ID: "s"}, &Step{ID: "o"}
	for _, c := range []struct {
		lang string
		opts []Option
		want string
	}{
		{"id", fixed, "Kuliner;Fesyen;"},
		{"id", fixed, "Kuliner;Fesyen;"},
		{"en", fixed, "Culinary;Fashion;"},
		{"id", fixed, "Kuliner;Fesyen;"},
		{"id", fixed[:1], "Kuliner;"}, // fewer of the same array
		{"id", []Option{{Key: "1", Label: T("x.c")}}, "Kriya;"},
		{"id", []Option{{Key: "1", Label: T("x.b")}}, "Fesyen;"}, // built anew again
		{"id", fixed, "Kuliner;Fesyen;"},
	} {
		if got := labels(e.stepLabelled(c.lang, step, c.opts)); got != c.want {
			t.Errorf("labels of %d options in %s = %q, want %q", len(c.opts), c.lang, got, c.want)
		}
	}
	if got := labels(e.stepLabelled("id", other, []Option{{Key: "1", Label: Raw("Plered")}})); got != "Plered;" {
		t.Errorf("raw labels = %q", got)
	}
	// Kept for a step that gives the same options each time: no copy.
	again := &Step{ID: "again"}
	first := e.stepLabelled("id", again, fixed)
	if second := e.stepLabelled("id", again, fixed); &second[0] != &first[0] {
		t.Error("the same options labelled again instead of kept")
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lang := []string{"id", "en"}[i%2]
			want := map[string]string{"id": "Kuliner;Fesyen;", "en": "Culinary;Fashion;"}[lang]
			for range 100 {
				if got := labels(e.stepLabelled(lang, &Step{ID: "c"}, fixed)); got != want {
					t.Errorf("concurrent labels in %s = %q", lang, got)
					return
				}
				if got := labels(e.stepLabelled(lang, again, fixed)); got != want {
					t.Errorf("concurrent kept labels in %s = %q", lang, got)
					return
				}
			}
		}()
	}
	wg.Wait()
}
