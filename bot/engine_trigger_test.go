package bot

import (
	"context"
	"strings"
	"testing"
)

// TestTriggerIndex: Engine.trigger, which looks only at the triggers of
// the message's first word, finds what comparing the message with every
// trigger of every flow in menu order finds: the same flow and argument
// for triggers that share a first word across flows and within one, a
// trigger that begins another ("produk" / "produk saya"), arguments,
// commands and words that start no flow.
func TestTriggerIndex(t *testing.T) {
	ok := func(context.Context, *Turn, In) (Result, error) { return Result{}, nil }
	flow := func(id string, menu int, triggers ...string) *Flow {
		return &Flow{ID: id, Menu: menu, Triggers: triggers, Steps: []*Step{{ID: "a", Handle: ok}}}
	}
	reg, err := NewRegistry(nil,
		flow("daftar", 10, "daftar", "daftar umkm", "registrasi"),
		flow("pelatihan", 20, "pelatihan", "daftar pelatihan", "pelatihan saya x"),
		flow("saya", 30, "pelatihan saya", "data saya"),
		flow("produk", 50, "produk saya", "produk", "daftar produk"),
		flow("hadir", 0, "hadir"))
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(EngineConfig{}, reg, nil, nil, nil, nil)
	everyTrigger := func(norm string) (*Flow, string) { // Engine.trigger before the index
		norm = strings.TrimPrefix(norm, "/")
		for _, f := range reg.Flows() {
			for _, w := range f.Triggers {
				if norm == w {
					return f, ""
				}
				if strings.HasPrefix(norm, w+" ") {
					return f, strings.TrimSpace(norm[len(w)+1:])
				}
			}
		}
		return nil, ""
	}
	for _, norm := range []string{"daftar", "/daftar", "daftar umkm", "daftar umkm sekarang", "daftar pelatihan", "daftar pelatihan 12",
		"daftar produk", "daftar produkku", "daftarkan", "pelatihan", "pelatihan 12", "pelatihan saya", "pelatihan saya x",
		"pelatihan saya x 3", "pelatihan sayang", "produk", "produk saya", "produk saya 2", "produk lain", "data saya",
		"data", "hadir k7m3qx", "hadir", "registrasi", "", " ", "/", "menu", "saya"} {
		gotF, gotArg := e.trigger(norm)
		wantF, wantArg := everyTrigger(norm)
		if gotF != wantF || gotArg != wantArg {
			t.Errorf("trigger(%q) = %v %q, every trigger in order gives %v %q", norm, flowID(gotF), gotArg, flowID(wantF), wantArg)
		}
	}
	// Order is the menu's, then the flow's own: flow pelatihan's
	// "pelatihan" takes "pelatihan saya" before flow saya's exact word.
	if f, arg := e.trigger("pelatihan saya"); flowID(f) != "pelatihan" || arg != "saya" {
		t.Errorf(`trigger("pelatihan saya") = %v %q, want pelatihan "saya"`, flowID(f), arg)
	}
}

func flowID(f *Flow) string {
	if f == nil {
		return "<nil>"
	}
	return f.ID
}
