package whatsapp

import (
	"strings"
	"unicode/utf8"
)

// MaxChunk is the default longest message the adapter sends in one piece,
// in characters. WhatsApp takes more, but long walls of text are hard to
// read on a small phone and a cut at a paragraph is kinder.
const MaxChunk = 4000

// Split cuts text into pieces of at most max characters, at a paragraph
// break where it can, else at a line break, else at a space, else inside
// a word. Pieces are trimmed of the breaks they were cut at; an empty text
// gives no pieces.
func Split(text string, max int) []string {
	if max <= 0 {
		max = MaxChunk
	}
	text = strings.TrimSpace(text)
	var out []string
	for text != "" {
		if utf8.RuneCountInString(text) <= max {
			out = append(out, text)
			break
		}
		head := prefixRunes(text, max)
		cut := -1
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(head, sep); i > 0 {
				cut = i
				break
			}
		}
		if cut < 0 {
			cut = len(head)
		}
		out = append(out, strings.TrimRight(text[:cut], " \n"))
		text = strings.TrimLeft(text[cut:], " \n")
	}
	return out
}

// prefixRunes returns the first n characters of s.
func prefixRunes(s string, n int) string {
	i := 0
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}
