package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

// mustRegistry is bot.NewRegistry for flows a test knows to be well formed.
func mustRegistry(flows ...*bot.Flow) *bot.Registry {
	r, err := bot.NewRegistry(nil, flows...)
	if err != nil {
		panic(err)
	}
	return r
}

// TestRegistryRejectsBadFlows: the registry refuses a flow graph with a
// hole in it, named in its error: tiny fake flows, one fault each.
func TestRegistryRejectsBadFlows(t *testing.T) {
	ok := func(context.Context, *bot.Turn, bot.In) (bot.Result, error) { return bot.Result{}, nil }
	text := func(context.Context, *bot.Turn, bot.In) (string, bot.Text, error) { return "", bot.Text{}, nil }
	flow := func(id string, steps ...*bot.Step) *bot.Flow {
		return &bot.Flow{ID: id, Triggers: []string{id}, Steps: steps}
	}
	tests := []struct {
		name string
		add  []*bot.Flow
		want string
	}{
		{"empty id", []*bot.Flow{{Steps: []*bot.Step{{ID: "a", Handle: ok}}}}, "empty id"},
		{"duplicate", []*bot.Flow{flow("x", &bot.Step{ID: "a", Handle: ok}), {ID: "x", Steps: []*bot.Step{{ID: "a", Handle: ok}}}}, "twice"},
		{"no steps", []*bot.Flow{{ID: "x"}}, "no steps"},
		{"duplicate step", []*bot.Flow{flow("x", &bot.Step{ID: "a", Handle: ok}, &bot.Step{ID: "a", Handle: ok})}, "duplicate step"},
		{"reserved step id", []*bot.Flow{flow("x", &bot.Step{ID: bot.Done, Handle: ok})}, "reserved"},
		{"next nowhere", []*bot.Flow{flow("x", &bot.Step{ID: "a", Handle: ok, Next: "zz"})}, `step "zz" does not exist`},
		{"missing target", []*bot.Flow{flow("x", &bot.Step{ID: "a", Handle: ok, Targets: []bot.StepID{"b", "zz"}}, &bot.Step{ID: "b", Parse: text})},
			`step "a": step "zz" does not exist`},
		{"missing entry", []*bot.Flow{{ID: "x", Entries: []bot.StepID{"zz"}, Steps: []*bot.Step{{ID: "a", Parse: text}}}}, `entry: step "zz"`},
		{"unreachable", []*bot.Flow{flow("x", &bot.Step{ID: "a", Handle: ok, Targets: []bot.StepID{"c"}}, &bot.Step{ID: "b", Parse: text}, &bot.Step{ID: "c", Parse: text})},
			`step "b" cannot be reached`},
		{"unreachable after the last", []*bot.Flow{flow("x", &bot.Step{ID: "a", Parse: text, Next: bot.Done}, &bot.Step{ID: "b", Parse: text})},
			`step "b" cannot be reached`},
		{"targets without handle", []*bot.Flow{flow("x", &bot.Step{ID: "a", Parse: text, Targets: []bot.StepID{"a"}})}, "no Handle"},
		{"no answer", []*bot.Flow{flow("x", &bot.Step{ID: "a"})}, "takes no answer"},
		{"call of a flow not registered", []*bot.Flow{flow("x", &bot.Step{ID: "a", Handle: ok, Calls: []string{"z"}}), flow("z", &bot.Step{ID: "a", Handle: ok, Calls: []string{"y", "nowhere"}})},
			`flow "z": step "a" calls flow "nowhere", which is not registered`},
		{"begin calls a flow not registered", []*bot.Flow{{ID: "x", Calls: []string{"nowhere"}, Steps: []*bot.Step{{ID: "a", Parse: text}}}},
			`flow "x": Begin calls flow "nowhere"`},
		{"calls without handle", []*bot.Flow{flow("x", &bot.Step{ID: "a", Parse: text, Calls: []string{"x"}})}, "no Handle"},
		{"one trigger, two flows", []*bot.Flow{flow("x", &bot.Step{ID: "a", Handle: ok}),
			{ID: "y", Triggers: []string{"Y", "X"}, Steps: []*bot.Step{{ID: "a", Handle: ok}}}}, `both claim the trigger "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := bot.NewRegistry(nil, tt.add...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewRegistry = %v, %v; want an error containing %q", reg, err, tt.want)
			}
		})
	}
	// The same shapes, done right, are taken: a reachable graph through
	// Targets, the fall-through of a declarative step, a skip and an entry.
	good := []*bot.Flow{
		flow("x", &bot.Step{ID: "a", Handle: ok, Targets: []bot.StepID{"c"}}, &bot.Step{ID: "b", Parse: text}, &bot.Step{ID: "c", Handle: ok, Targets: []bot.StepID{"b"}}),
		flow("y", &bot.Step{ID: "a", Parse: text}, &bot.Step{ID: "b", Handle: ok, Calls: []string{"z"}}),
		{ID: "z", Entries: []bot.StepID{"b"}, Steps: []*bot.Step{{ID: "a", Parse: text, Next: bot.Done}, {ID: "b", Parse: text}}},
	}
	if _, err := bot.NewRegistry(nil, good...); err != nil {
		t.Fatal(err)
	}
}

func TestRupiah(t *testing.T) {
	for n, want := range map[int64]string{0: "Rp0", 999: "Rp999", 1000: "Rp1.000", 1500000: "Rp1.500.000", -25000: "-Rp25.000"} {
		if got := bot.Rupiah(n); got != want {
			t.Errorf("Rupiah(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReplyPlainText(t *testing.T) {
	r := bot.Reply{Text: "Pilih:", Options: []bot.ReplyOption{{Key: "1", Label: "Ya"}, {Key: "2", Label: "Tidak"}}}
	if got, want := r.PlainText(), "Pilih:\n\n1. Ya\n2. Tidak"; got != want {
		t.Fatalf("PlainText = %q, want %q", got, want)
	}
}

func TestConversationMasked(t *testing.T) {
	c := bot.Conversation{Channel: bot.WhatsApp, User: "6281234567890"}
	if got := c.Masked(); got != "whatsapp:****7890" {
		t.Fatalf("Masked = %q", got)
	}
	if got := (bot.Conversation{Channel: bot.Console, User: "ab"}).Masked(); got != "console:****" {
		t.Fatalf("Masked short = %q", got)
	}
}
