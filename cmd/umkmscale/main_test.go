package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/store/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

// TestScaleToolRuns runs the tool with a small N so it cannot rot: it
// loads, exports (checking the row count) and counts the segment
// (checking it against what it generated) on a real redis-server.
func TestScaleToolRuns(t *testing.T) {
	if redistest.Kind() == redistest.KindEmbedded {
		t.Skip("needs a real redis-server for INFO memory")
	}
	_, prefix := redistest.Client(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"-redis", redistest.URL(), "-prefix", prefix, "-n", "3000", "-probes", "20", "-workers", "4"}, &out)
	if err != nil {
		t.Fatalf("umkmscale: %v\n%s", err, out.String())
	}
	for _, want := range []string{"load: 3000 registrations", "bytes/registration", "export: 3020 rows", "broadcast segment", "registration (create script)", "console search Kota Serang", "console dashboard counts", "training sign-up (seat script)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	t.Log(out.String())
}
