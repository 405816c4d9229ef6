package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// getUpdates asks for updates and returns the answer's result list as it
// came. It is the request the library makes for cfg (the same form, the
// same reading of the answer: an answer whose "ok" is false is a
// *tgbotapi.Error whatever the HTTP status), without reading the answer
// through a json.Decoder and copying the list out of it: a batch of 100
// updates was scanned four times, about half of the poll loop's CPU.
// An answer of the form Telegram writes, {"ok":true,"result":...}, is not
// scanned here at all: the list is the bytes between the two.
func (a *Adapter) getUpdates(ctx context.Context, cfg tgbotapi.UpdateConfig) (json.RawMessage, error) {
	form, err := updatesForm(cfg)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.updatesURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header["Content-Type"] = formType
	res, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := readBody(res)
	if err != nil {
		return nil, err
	}
	if list, ok := okResult(body); ok {
		return list, nil
	}
	var api tgbotapi.APIResponse
	if err := json.Unmarshal(body, &api); err != nil {
		return nil, err
	}
	if err := refusal(api); err != nil {
		return nil, err
	}
	return api.Result, nil
}

// readBody reads res's body into one buffer of the length it announced
// (a batch of 100 updates is some 30 KB: io.ReadAll grew its buffer
// through every power of two up to it, twice the bytes).
func readBody(res *http.Response) ([]byte, error) {
	if n := res.ContentLength; n > 0 && n <= maxAnnounced {
		b := make([]byte, n)
		if _, err := io.ReadFull(res.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(res.Body)
}

// maxAnnounced bounds the body length readBody trusts to size its buffer.
const maxAnnounced = 16 << 20

// updatesForm is the form the library sends for cfg: offset, limit and
// timeout when not zero, allowed_updates as JSON (null when nil).
func updatesForm(cfg tgbotapi.UpdateConfig) (url.Values, error) {
	form := url.Values{}
	for _, p := range [...]struct {
		k string
		v int
	}{{"offset", cfg.Offset}, {"limit", cfg.Limit}, {"timeout", cfg.Timeout}} {
		if p.v != 0 {
			form.Set(p.k, strconv.Itoa(p.v))
		}
	}
	allowed, err := json.Marshal(cfg.AllowedUpdates)
	if err != nil {
		return nil, err
	}
	form.Set("allowed_updates", string(allowed))
	return form, nil
}

var okResultPrefix = []byte(`{"ok":true,"result":`)

// okResult returns the list of an answer written exactly as
// {"ok":true,"result":[...]} (trailing white space allowed). Anything
// else, also a list that is not well formed, is left to json.Unmarshal.
func okResult(body []byte) (json.RawMessage, bool) {
	b := bytes.TrimRight(body, " \t\r\n")
	if !bytes.HasPrefix(b, okResultPrefix) || len(b) < len(okResultPrefix)+3 || b[len(b)-1] != '}' {
		return nil, false
	}
	list := b[len(okResultPrefix) : len(b)-1]
	if list[0] != '[' || list[len(list)-1] != ']' {
		return nil, false
	}
	return list, true
}
