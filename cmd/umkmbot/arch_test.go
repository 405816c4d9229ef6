package main

import (
	"bufio"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/umkmbot/umkmbot"

// TestDependenciesPointInward keeps the architecture of ARCHITECTURE.md:
// the dependency table there (the ```deps block) is the rule. Every package
// of the module must have its line, every line must name a package, and
// each package imports only what its line allows. A few directions the
// document may not loosen are checked here too: the conversation core
// (bot) imports nothing of ours; the domain (bot/umkm) no job, flow, store
// or channel; the jobs no flow, store or channel; a channel only the core
// (WhatsApp also the phone numbers that are its ids); flows never a
// channel, the store or a job. SDK types stay at the edge.
func TestDependenciesPointInward(t *testing.T) {
	allowed := readDepsTable(t, "../../ARCHITECTURE.md")
	imports := moduleImports(t)

	for pkg := range imports {
		if _, ok := allowed[pkg]; !ok {
			t.Errorf("package %s is not in ARCHITECTURE.md: add it to the picture and to the deps table", pkg)
		}
	}
	for pkg := range allowed {
		if _, ok := imports[pkg]; !ok {
			t.Errorf("ARCHITECTURE.md lists %s, which is not a package of the module (any more)", pkg)
		}
	}
	for pkg, deps := range imports {
		ok, listed := allowed[pkg]
		if !listed || slices.Contains(ok, "*") {
			continue
		}
		for _, dep := range deps {
			if !slices.Contains(ok, dep) {
				t.Errorf("%s imports %s; ARCHITECTURE.md allows it only %v", pkg, dep, ok)
			}
		}
	}

	// What the document may not loosen.
	at := func(pkg, a, why string) {
		t.Errorf("ARCHITECTURE.md lets %s import %s: %s", pkg, a, why)
	}
	for pkg, most := range map[string][]string{
		"bot": {}, "bot/console": {"bot"}, "bot/telegram": {"bot"}, "bot/whatsapp": {"bot", "bot/phone"},
	} {
		for _, a := range allowed[pkg] {
			if !slices.Contains(most, a) {
				at(pkg, a, "the core imports nothing of ours, a channel only the core")
			}
		}
	}
	channels := []string{"bot/telegram", "bot/whatsapp", "bot/console"}
	for pkg, never := range map[string][]string{
		"bot/umkm": append([]string{"bot/jobs", "flows", "store", "web"}, channels...),
		"bot/jobs": append([]string{"flows", "store", "web"}, channels...),
		"flows":    append([]string{"bot/jobs", "store", "web"}, channels...),
	} {
		for _, a := range allowed[pkg] {
			if slices.Contains(never, a) || a == "*" {
				at(pkg, a, "that turns a dependency outward")
			}
		}
	}

	for _, pkg := range []string{"bot", "bot/umkm", "bot/jobs", "flows"} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "../../"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, sdk := range []string{"go-redis", "telegram-bot-api", "whatsmeow"} {
				if strings.Contains(dep, sdk) {
					t.Errorf("%s depends on %s: SDK types must stay at the edge", pkg, dep)
				}
			}
		}
	}
}

// readDepsTable reads the ```deps block of the architecture document:
// "package: allowed, imports" per line.
func readDepsTable(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table := map[string][]string{}
	in, found := false, false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```deps":
			in, found = true, true
		case in && line == "```":
			in = false
		case in && line != "":
			pkg, deps, ok := strings.Cut(line, ":")
			pkg = strings.TrimSpace(pkg)
			if !ok || pkg == "" {
				t.Fatalf("%s:%d: want \"package: imports, ...\", got %q", path, n, line)
			}
			if _, dup := table[pkg]; dup {
				t.Fatalf("%s:%d: %s listed twice", path, n, pkg)
			}
			table[pkg] = []string{}
			for _, d := range strings.Split(deps, ",") {
				if d = strings.TrimSpace(d); d != "" {
					table[pkg] = append(table[pkg], d)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !found || len(table) == 0 {
		t.Fatalf("%s has no ```deps block", path)
	}
	return table
}

// moduleImports lists every package of the module (relative to it) with
// the packages of the module it imports (tests not counted).
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/")
		deps := []string{}
		for _, d := range f[1:] {
			if rel, ours := strings.CutPrefix(d, module+"/"); ours {
				deps = append(deps, rel)
			}
		}
		sort.Strings(deps)
		pkgs[pkg] = deps
	}
	return pkgs
}
