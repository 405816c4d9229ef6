package bot

// Rendering the messages whose template is only text and {{.Field}}
// actions without text/template.

import (
	"slices"
	"strconv"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// fillTemplate is a message made only of text and {{.Field}} actions
// (most prompts and notices with data), split once at load: rendering it
// is joining its pieces, where going through go-i18n's localizer and
// text/template was a fifth of the engine's CPU per turn.
type fillTemplate struct {
	pieces []fillPiece
	fields []string // the distinct fields, in order of first use
}

// fillPiece is literal text (field 0) or the value of fields[field-1].
type fillPiece struct {
	text  string
	field int
}

// newFillTemplate splits m's Other form; ok is false for anything
// text/template must render: other delimiters, {{if}}, {{range}},
// pipelines, functions, trim markers, comments, nested fields.
func newFillTemplate(m *i18n.Message) (fillTemplate, bool) {
	if m.LeftDelim != "" || m.RightDelim != "" || m.Other == "" {
		return fillTemplate{}, false
	}
	var ft fillTemplate
	src := m.Other
	for src != "" {
		i := strings.Index(src, "{{")
		if i < 0 {
			ft.pieces = append(ft.pieces, fillPiece{text: src})
			break
		}
		if i > 0 {
			ft.pieces = append(ft.pieces, fillPiece{text: src[:i]})
		}
		src = src[i+2:]
		j := strings.Index(src, "}}")
		if j < 0 {
			return fillTemplate{}, false
		}
		name, ok := fieldAction(src[:j])
		if !ok {
			return fillTemplate{}, false
		}
		k := slices.Index(ft.fields, name)
		if k < 0 {
			k = len(ft.fields)
			ft.fields = append(ft.fields, name)
		}
		ft.pieces = append(ft.pieces, fillPiece{field: k + 1})
		src = src[j+2:]
	}
	return ft, true
}

// fieldAction returns Name for an action that is only " .Name ".
func fieldAction(a string) (string, bool) {
	a = strings.Trim(a, " \t\r\n")
	if len(a) < 2 || a[0] != '.' {
		return "", false
	}
	for i := 1; i < len(a); i++ {
		c := a[i]
		letter := c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !letter && (i == 1 || c < '0' || c > '9') {
			return "", false
		}
	}
	return a[1:], true
}

// maxFillFields bounds the fields fill resolves on the stack.
const maxFillFields = 8

// fill renders ft with data in lang as text/template would, or reports
// false where it might not: data with a key the template does not use
// (text/template would still have rendered a Text in it, and reported it
// missing), a field without data (text/template writes "<no value>"), or
// a value other than a string, an int or a Text (kept for text/template's
// formatting).
func (c *Catalog) fill(lang string, ft *fillTemplate, data map[string]any) (string, bool) {
	if len(data) != len(ft.fields) || len(ft.fields) > maxFillFields {
		return "", false
	}
	var buf [maxFillFields]string
	vals := buf[:len(ft.fields)]
	n := 0
	for i, f := range ft.fields {
		v, ok := data[f]
		if !ok {
			return "", false
		}
		switch v := v.(type) {
		case string:
			vals[i] = v
		case int:
			vals[i] = strconv.Itoa(v)
		case int64:
			vals[i] = strconv.FormatInt(v, 10)
		case Text:
			vals[i] = c.Render(lang, v)
		case []Text:
			vals[i] = c.renderJoined(lang, v, ", ")
		case Lines:
			vals[i] = c.renderJoined(lang, v, "\n")
		default:
			return "", false
		}
		n += len(vals[i])
	}
	var b strings.Builder
	for _, p := range ft.pieces {
		n += len(p.text)
	}
	b.Grow(n)
	for _, p := range ft.pieces {
		if p.field == 0 {
			b.WriteString(p.text)
		} else {
			b.WriteString(vals[p.field-1])
		}
	}
	return b.String(), true
}
