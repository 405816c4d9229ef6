package whatsapp

import (
	"strings"
)

// VCard is what the bot reads from a shared contact card.
type VCard struct {
	Name   string   // FN, the formatted name
	Phones []string // TEL values in order; "+<waid>" when WhatsApp tagged the number with its id
}

// maxVCard bounds how much of a card is read.
const maxVCard = 64 << 10

// ParseVCard reads the name and phone numbers of a vCard (2.1, 3.0 or 4.0)
// as WhatsApp sends them:
//
//	item1.TEL;type=CELL;waid=6281234567890:+62 812-3456-7890
//
// A waid parameter (the number's WhatsApp id, digits only) wins over the
// displayed value. Folded lines are joined; unknown lines are skipped; it
// never fails.
func ParseVCard(s string) VCard {
	if len(s) > maxVCard {
		s = s[:maxVCard]
	}
	var v VCard
	for _, line := range unfold(s) {
		head, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		params := strings.Split(head, ";")
		name := params[0]
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:] // "item1.TEL": drop the group
		}
		switch strings.ToUpper(strings.TrimSpace(name)) {
		case "FN":
			if v.Name == "" {
				v.Name = strings.TrimSpace(unescape(value))
			}
		case "TEL":
			if p := telValue(params[1:], value); p != "" {
				v.Phones = append(v.Phones, p)
			}
		}
	}
	return v
}

// telValue picks the number of a TEL line: the waid parameter if it is all
// digits, else the value without a "tel:" scheme.
func telValue(params []string, value string) string {
	for _, p := range params {
		k, val, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "waid") {
			val = strings.Trim(strings.TrimSpace(val), `"`)
			if isDigits(val) {
				return "+" + val
			}
		}
	}
	value = strings.TrimSpace(value)
	if len(value) >= 4 && strings.EqualFold(value[:4], "tel:") {
		value = value[4:]
	}
	return strings.TrimSpace(value)
}

// unfold splits a vCard into logical lines: a line starting with a space or
// a tab continues the previous one (RFC 6350 §3.2).
func unfold(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if len(out) > 0 && l != "" && (l[0] == ' ' || l[0] == '\t') {
			out[len(out)-1] += l[1:]
			continue
		}
		out = append(out, l)
	}
	return out
}

// unescape undoes the vCard text escapes \, \; \n \\.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	r := strings.NewReplacer(`\,`, ",", `\;`, ";", `\n`, " ", `\N`, " ", `\\`, `\`)
	return r.Replace(s)
}
