package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A FAQ_FILE that cannot be read stops the program at start; one that can
// answers the questions it holds.
func TestFAQFileConfig(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir(), "FAQ_FILE": "/nonexistent/faq.{lang}.toml"}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"curation", "list"}, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "faq") {
		t.Fatalf("err = %v, want a faq error", err)
	}
	dir := t.TempDir()
	for _, lang := range []string{"id", "en"} {
		data := "[[faq]]\nid = \"parkir\"\nkeys = [\"parkir\"]\nanswer = \"Parkir gratis di depan kantor (" + lang + ").\"\n"
		if err := os.WriteFile(filepath.Join(dir, "faq."+lang+".toml"), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env = map[string]string{"DATA_DIR": t.TempDir(), "FAQ_FILE": filepath.Join(dir, "faq.{lang}.toml")}
	stdout.Reset()
	err = run(context.Background(), []string{"chat"}, func(k string) string { return env[k] }, strings.NewReader("parkir dimana?\n"), &stdout, &stderr)
	if err != nil {
		t.Fatalf("chat: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Parkir gratis di depan kantor (id).") {
		t.Errorf("chat did not answer from FAQ_FILE:\n%s", stdout.String())
	}
}
