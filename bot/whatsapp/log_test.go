package whatsapp

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// whatsmeow's log lines name WhatsApp ids; the adapter masks the numbers.
func TestLoggerMasksNumbers(t *testing.T) {
	var buf bytes.Buffer
	l := Logger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	l.Sub("Client").Warnf("Error decrypting message %s from %s", "3EB0C431", "6281234567890:12@s.whatsapp.net in 204060801030507@lid")
	l.Debugf("not shown %s", "6281234567890")
	out := buf.String()
	for _, leak := range []string{"6281234567890", "204060801030507", "not shown"} {
		if strings.Contains(out, leak) {
			t.Errorf("log shows %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{"***********90:12@s.whatsapp.net", "*************07@lid", "module=Client", "level=WARN", "3EB0C431"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
