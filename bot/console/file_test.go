package console

import (
	"context"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

// TestSendPrintsFile: the terminal prints a reply's file under its name.
func TestSendPrintsFile(t *testing.T) {
	var out strings.Builder
	c := New(strings.NewReader(""), &out, "demo", false, nil)
	err := c.Send(context.Background(), bot.Conversation{Channel: bot.Console, User: "demo"},
		bot.Reply{Text: "Data Anda", File: &bot.ReplyFile{Name: "data-saya.txt", Text: "NIK: 3214********0001"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "Data Anda\n\n=== data-saya.txt ===\nNIK: 3214********0001\n=== /data-saya.txt ===\n\n"
	if out.String() != want {
		t.Fatalf("printed %q, want %q", out.String(), want)
	}
}
