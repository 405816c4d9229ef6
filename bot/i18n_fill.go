package bot

// Rendering the messages whose template is only text, {{.Field}} and
// {{if .Field}}…{{else}}…{{end}} without text/template.

import (
	"slices"
	"strconv"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// fillTemplate is a message made only of text, {{.Field}} actions and
// {{if .Field}} blocks (most prompts and notices with data), split once at
// load: rendering it is joining its pieces, where going through go-i18n's
// localizer and text/template was a fifth of the engine's CPU per turn.
type fillTemplate struct {
	pieces []fillPiece
	fields []string // the distinct fields, in order of first use
}

// fillPiece is one step of a fillTemplate.
type fillPiece struct {
	op    fillOp
	text  string // fillText
	field int    // fillField, fillIf: index in fields
	jump  int    // fillIf: the piece after its {{else}} or {{end}}, when the field is not true; fillElse: after its {{end}}
}

type fillOp uint8

const (
	fillText  fillOp = iota // write text
	fillField               // write the field's value
	fillIf                  // go on when the field is true, else jump
	fillElse                // the end of an if's true part: jump past its else part
)

// newFillTemplate splits m's Other form; ok is false for anything else
// text/template must render: other delimiters, {{range}}, {{with}},
// {{else if}}, comparisons, pipelines, functions, variables, trim markers,
// comments, nested fields.
func newFillTemplate(m *i18n.Message) (fillTemplate, bool) {
	if m.LeftDelim != "" || m.RightDelim != "" || m.Other == "" {
		return fillTemplate{}, false
	}
	var ft fillTemplate
	field := func(name string) int {
		k := slices.Index(ft.fields, name)
		if k < 0 {
			k = len(ft.fields)
			ft.fields = append(ft.fields, name)
		}
		return k
	}
	type block struct{ ifAt, elseAt int }
	var open []block // the {{if}}s not yet ended
	src := m.Other
	for src != "" {
		i := strings.Index(src, "{{")
		if i < 0 {
			ft.pieces = append(ft.pieces, fillPiece{op: fillText, text: src})
			break
		}
		if i > 0 {
			ft.pieces = append(ft.pieces, fillPiece{op: fillText, text: src[:i]})
		}
		src = src[i+2:]
		j := strings.Index(src, "}}")
		if j < 0 {
			return fillTemplate{}, false
		}
		action := strings.Trim(src[:j], " \t\r\n")
		src = src[j+2:]
		switch {
		case action == "else":
			if len(open) == 0 || open[len(open)-1].elseAt >= 0 {
				return fillTemplate{}, false
			}
			b := &open[len(open)-1]
			b.elseAt = len(ft.pieces)
			ft.pieces = append(ft.pieces, fillPiece{op: fillElse})
			ft.pieces[b.ifAt].jump = len(ft.pieces)
		case action == "end":
			if len(open) == 0 {
				return fillTemplate{}, false
			}
			b := open[len(open)-1]
			open = open[:len(open)-1]
			if b.elseAt >= 0 {
				ft.pieces[b.elseAt].jump = len(ft.pieces)
			} else {
				ft.pieces[b.ifAt].jump = len(ft.pieces)
			}
		case strings.HasPrefix(action, "if "):
			name, ok := fieldAction(action[len("if "):])
			if !ok {
				return fillTemplate{}, false
			}
			open = append(open, block{ifAt: len(ft.pieces), elseAt: -1})
			ft.pieces = append(ft.pieces, fillPiece{op: fillIf, field: field(name)})
		default:
			name, ok := fieldAction(action)
			if !ok {
				return fillTemplate{}, false
			}
			ft.pieces = append(ft.pieces, fillPiece{op: fillField, field: field(name)})
		}
	}
	if len(open) > 0 {
		return fillTemplate{}, false
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
const maxFillFields = 32

// fill renders ft with data in lang as text/template would, or reports
// false where it might not: a field without data (text/template writes
// "<no value>"), or a value other than a string, an int, a bool or a Text
// (kept for text/template's formatting and truth). Texts in data the
// template does not use are rendered all the same, as Render did for
// text/template, so a missing one is reported.
func (c *Catalog) fill(lang string, ft *fillTemplate, data map[string]any) (string, bool) {
	if len(data) < len(ft.fields) || len(ft.fields) > maxFillFields {
		return "", false
	}
	if len(data) > len(ft.fields) {
		for k, v := range data {
			switch v := v.(type) {
			case Text, []Text, Lines:
				if !slices.Contains(ft.fields, k) {
					c.renderValue(lang, v)
				}
			}
		}
	}
	var buf [maxFillFields]string
	var truth [maxFillFields]bool
	vals := buf[:len(ft.fields)]
	n := 0
	for i, f := range ft.fields {
		v, ok := data[f]
		if !ok {
			return "", false
		}
		switch v := v.(type) {
		case string:
			vals[i], truth[i] = v, v != ""
		case int:
			vals[i], truth[i] = strconv.Itoa(v), v != 0
		case int64:
			vals[i], truth[i] = strconv.FormatInt(v, 10), v != 0
		case bool:
			vals[i], truth[i] = strconv.FormatBool(v), v
		case Text, []Text, Lines:
			vals[i] = c.renderValue(lang, v)
			truth[i] = vals[i] != ""
		default:
			return "", false
		}
	}
	for _, p := range ft.pieces { // room for all of it, whichever way the ifs go
		switch p.op {
		case fillText:
			n += len(p.text)
		case fillField:
			n += len(vals[p.field])
		}
	}
	var b strings.Builder
	b.Grow(n)
	for pc := 0; pc < len(ft.pieces); {
		switch p := &ft.pieces[pc]; p.op {
		case fillText:
			b.WriteString(p.text)
			pc++
		case fillField:
			b.WriteString(vals[p.field])
			pc++
		case fillIf:
			if truth[p.field] {
				pc++
			} else {
				pc = p.jump
			}
		case fillElse:
			pc = p.jump
		}
	}
	return b.String(), true
}
