package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependenciesPointInward keeps the architecture: the core imports
// nothing of ours, channels and flows import only the core, the store only
// the core, and only cmd/ knows everything.
func TestDependenciesPointInward(t *testing.T) {
	const mod = "github.com/umkmbot/umkmbot"
	allowed := map[string][]string{
		"bot":            {},
		"bot/console":    {"bot"},
		"bot/telegram":   {"bot"},
		"bot/whatsapp":   {"bot"},
		"flows":          {"bot"},
		"store":          {"bot", "store/embedded"},
		"store/embedded": {},
		"locales":        {},
		"ops":            {"bot"},
		"export":         {},
		"bot/pii":        {"bot"},
		"web":            {"bot", "export"},
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
		if pkg == "bot" || pkg == "flows" {
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
