// Package console is the terminal channel: a person types, the bot answers.
// On a terminal it is interactive; with piped input it reads one message
// per line and prints each reply, so conversations can be scripted:
//
//	printf 'daftar\n1\nSiti Aminah\n' | umkmbot chat
//
// Lines starting with "!" simulate what a phone sends besides text:
// !stiker, !suara, !foto, !dokumen, !lokasi <lat> <lon>, !kontak <nomor>.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// Submitter takes a message (the dispatcher).
type Submitter interface {
	Submit(ctx context.Context, msg bot.Message) error
}

// Console is the terminal channel.
type Console struct {
	in          io.Reader
	out         io.Writer
	user        string
	interactive bool
	idle        func(context.Context) error

	mu sync.Mutex
}

var _ bot.Sender = (*Console)(nil)

// New returns a console for user. idle, if set, waits until the bot has
// answered everything submitted (so piped input ends after the last reply).
func New(in io.Reader, out io.Writer, user string, interactive bool, idle func(context.Context) error) *Console {
	return &Console{in: in, out: out, user: user, interactive: interactive, idle: idle}
}

// Send prints a reply with its options as a numbered list. A reply to
// someone else (a notification to another owner, sent while this person
// chats: a waitlist seat, a broadcast) is printed with that person's id in
// front, so it is never read as meant for the one typing.
func (c *Console) Send(ctx context.Context, to bot.Conversation, r bot.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	text := r.PlainText()
	if to.User != "" && to.User != c.user {
		pre := "[→ " + to.User + "] " // an id, not a sentence: no translation needed
		text = pre + strings.ReplaceAll(text, "\n", "\n"+pre)
	}
	if c.interactive {
		text = "\n" + indent(text, "  ") + "\n"
	}
	if r.File != nil { // the terminal prints the file's copy under its name
		text += "\n\n=== " + r.File.Name + " ===\n" + r.File.Text + "\n=== /" + r.File.Name + " ==="
		if c.interactive {
			text = indent(text, "  ")
		}
	}
	_, err := fmt.Fprintln(c.out, text+"\n")
	if err == nil && c.interactive {
		_, err = fmt.Fprint(c.out, "> ")
	}
	return err
}

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
}

// Run reads messages until the input ends or ctx is done.
func (c *Console) Run(ctx context.Context, sub Submitter) error {
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() { // the reader owns nothing else; it ends with the input
		sc := bufio.NewScanner(c.in)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errc <- sc.Err()
		close(lines)
	}()
	if c.interactive {
		c.mu.Lock()
		fmt.Fprint(c.out, "> ")
		c.mu.Unlock()
	}
	base := time.Now().UnixNano()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				if c.idle != nil {
					if err := c.idle(ctx); err != nil {
						return nil
					}
				}
				return <-errc
			}
			msg := Parse(line)
			msg.ID = strconv.FormatInt(base, 36) + "-" + strconv.Itoa(n)
			msg.Conv = bot.Conversation{Channel: bot.Console, User: c.user}
			msg.Time = time.Now()
			if err := sub.Submit(ctx, msg); err != nil && c.interactive {
				c.mu.Lock()
				fmt.Fprint(c.out, "> ")
				c.mu.Unlock()
			}
			if !c.interactive && c.idle != nil {
				// Scripted input: answer each line before reading the next,
				// as a person would.
				if err := c.idle(ctx); err != nil {
					return nil
				}
			}
		}
	}
}

// Parse converts a typed line into a message; "!" lines simulate media.
func Parse(line string) bot.Message {
	f := strings.Fields(line)
	if len(f) == 0 || !strings.HasPrefix(f[0], "!") {
		return bot.Message{Kind: bot.KindText, Text: line}
	}
	switch strings.ToLower(f[0]) {
	case "!stiker", "!sticker":
		return bot.Message{Kind: bot.KindUnsupported, Media: &bot.Media{Type: "sticker"}}
	case "!suara", "!voice":
		return bot.Message{Kind: bot.KindUnsupported, Media: &bot.Media{Type: "voice"}}
	case "!dokumen", "!document":
		return bot.Message{Kind: bot.KindDocument, Media: &bot.Media{Type: "document", Ref: "console"}}
	case "!foto", "!photo":
		caption := strings.TrimSpace(strings.TrimPrefix(line, f[0]))
		return bot.Message{Kind: bot.KindPhoto, Text: caption, Media: &bot.Media{Type: "photo", Ref: "console-photo", Mime: "image/jpeg", W: 800, H: 800, Size: 150_000}}
	case "!lokasi", "!location":
		if len(f) == 3 {
			lat, err1 := strconv.ParseFloat(f[1], 64)
			lon, err2 := strconv.ParseFloat(f[2], 64)
			if err1 == nil && err2 == nil {
				return bot.Message{Kind: bot.KindLocation, Location: &bot.Location{Lat: lat, Lon: lon}}
			}
		}
	case "!kontak", "!contact":
		if len(f) >= 2 {
			return bot.Message{Kind: bot.KindContact, Contact: &bot.Contact{Phone: strings.Join(f[1:], " "), Self: true}}
		}
	}
	return bot.Message{Kind: bot.KindText, Text: line}
}
