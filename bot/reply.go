package bot

// Text is one piece of user-facing text before it is rendered: a message id
// from the locale files with its template data, or Raw text that comes from
// data (a kecamatan name, a training title, a listing draft) and is not
// translated. Flows return Texts; the engine localizes them.
type Text struct {
	ID    string
	Data  map[string]any
	Count any // plural count; also available to the template as .Count
	Raw   string
}

// T makes a Text from a message id and key/value pairs for its template.
func T(id string, kv ...any) Text {
	t := Text{ID: id}
	if len(kv) > 0 {
		t.Data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			t.Data[k] = kv[i+1]
		}
	}
	return t
}

// N makes a plural Text: count picks the plural form and is .Count in the template.
func N(id string, count int, kv ...any) Text {
	t := T(id, kv...)
	t.Count = count
	return t
}

// Lines is template data rendered one Text a line (a list in a message);
// a []Text renders as a comma-separated run.
type Lines []Text

// Raw makes a Text that is shown as it is.
func Raw(s string) Text { return Text{Raw: s} }

// IsZero reports whether t says nothing.
func (t Text) IsZero() bool { return t.ID == "" && t.Raw == "" }

// Option is one numbered choice in a question.
type Option struct {
	Key   string // what the user may type ("1"); also the button's callback data
	Value string // what is stored when it is chosen
	Label Text
	Alias []string // other words that pick it (names, abbreviations), matched loosely
}

// Ask is a channel affordance a question would like, such as a button that
// shares the phone number. Channels without it fall back to plain text.
type Ask string

// Affordances.
const (
	AskNone     Ask = ""
	AskContact  Ask = "contact"
	AskLocation Ask = "location"
	AskPhoto    Ask = "photo"
)

// Out is one outgoing message before rendering.
type Out struct {
	Texts   []Text // rendered one per paragraph
	Options []Option
	Ask     Ask
	// FileName, if set, asks channels that can send files to send the
	// rendered text also as a plain-text file of that name (a copy the
	// person can keep: "data saya").
	FileName string
	// Attach is a picture or document sent with the text (bot/attach.go).
	Attach *Attachment
}

// Say makes an Out of some texts.
func Say(texts ...Text) Out { return Out{Texts: texts} }

// Reply is one rendered outgoing message, ready for a channel to format: a
// channel with buttons shows Options as a keyboard, the others as a numbered
// list (FormatOptions).
type Reply struct {
	Text    string
	Options []ReplyOption
	Ask     Ask
	File    *ReplyFile  `json:",omitempty"` // a copy as a file, for channels that send files
	Attach  *Attachment `json:",omitempty"` // a picture or document with the text (bot/attach.go)
}

// ReplyFile is a plain-text (UTF-8) file sent with a reply. Channels that
// can send files send it as a document (Telegram); the others send the
// reply's text only, and the terminal prints it.
type ReplyFile struct {
	Name string
	Text string
}

// ReplyOption is a rendered Option.
type ReplyOption struct {
	Key   string
	Label string
}

// PlainText renders r for channels without buttons: the text followed by the
// numbered options, one per line.
func (r Reply) PlainText() string {
	if len(r.Options) == 0 {
		return r.Text
	}
	b := make([]byte, 0, len(r.Text)+32*len(r.Options))
	b = append(b, r.Text...)
	if len(r.Text) > 0 {
		b = append(b, '\n')
	}
	for _, o := range r.Options {
		b = append(b, '\n')
		b = append(b, o.Key...)
		b = append(b, ". "...)
		b = append(b, o.Label...)
	}
	return string(b)
}
