package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependenciesPointInward keeps the architecture (ARCHITECTURE.md):
// the conversation core (bot) imports nothing of ours; the UMKM domain
// (bot/umkm) only the core and the phone-number helper; the jobs (bot/jobs)
// the core and the domain; channels only the core (WhatsApp also the phone
// numbers that are its ids); flows the core and the domain, never a
// channel, the store or a job; the store the core and the domain; only
// cmd/ knows everything.
func TestDependenciesPointInward(t *testing.T) {
	const mod = "github.com/umkmbot/umkmbot"
	allowed := map[string][]string{
		"bot":            {},
		"bot/phone":      {"bot"},
		"bot/umkm":       {"bot", "bot/phone"},
		"bot/jobs":       {"bot", "bot/umkm", "bot/phone"},
		"bot/pii":        {"bot", "bot/umkm", "bot/phone"},
		"bot/console":    {"bot"},
		"bot/telegram":   {"bot"},
		"bot/whatsapp":   {"bot", "bot/phone"},
		"flows":          {"bot", "bot/umkm", "bot/phone"},
		"store":          {"bot", "bot/umkm", "bot/phone", "store/embedded"},
		"store/embedded": {},
		"locales":        {},
		"ops":            {"bot", "bot/umkm", "bot/phone"},
		"export":         {},
		"web":            {"bot", "bot/umkm", "bot/phone", "export"},
	}
	for pkg, ok := range allowed {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "../../"+pkg).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "cannot find package") || strings.Contains(string(out), "directory not found") {
				continue // a channel not written yet
			}
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			rel, ours := strings.CutPrefix(dep, mod+"/")
			if !ours || rel == pkg {
				continue
			}
			permitted := false
			for _, a := range ok {
				if rel == a {
					permitted = true
				}
			}
			if !permitted {
				t.Errorf("%s imports %s; dependencies must point inward (allowed: %v)", pkg, rel, ok)
			}
		}
		if pkg == "bot" || pkg == "bot/umkm" || pkg == "bot/jobs" || pkg == "flows" {
			for _, dep := range strings.Fields(string(out)) {
				for _, sdk := range []string{"go-redis", "telegram-bot-api", "whatsmeow"} {
					if strings.Contains(dep, sdk) {
						t.Errorf("%s depends on %s: SDK types must stay at the edge", pkg, dep)
					}
				}
			}
		}
	}
}
