package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/umkmbot/umkmbot/bot"
)

// Send delivers a reply: split, with its keyboard, within the rate limits.
// It returns an error wrapping bot.ErrUnreachable when the person blocked
// the bot or the chat is gone, one wrapping bot.ErrRejected when Telegram
// refused the request for good, a *bot.RetryAfterError when Telegram asks
// to wait longer than MaxRetryAfter, and a plain error for anything else
// worth retrying later (5xx, network, timeouts). A few short retries are
// made here; the caller (the outbox) retries longer, and logs the error:
// Send does not.
func (a *Adapter) Send(ctx context.Context, to bot.Conversation, r bot.Reply) error {
	chat, err := strconv.ParseInt(to.User, 10, 64)
	if err != nil || to.Channel != bot.Telegram {
		a.Stats.SendFailed.Add(1)
		a.Stats.Rejected.Add(1)
		a.obs.Send(bot.Telegram, "rejected")
		return fmt.Errorf("telegram: cannot send to a %s conversation: %w", to.Channel, bot.ErrRejected)
	}
	for _, m := range a.render(chat, r) {
		if err := a.send(ctx, chat, m); err != nil {
			a.Stats.SendFailed.Add(1)
			return err
		}
		a.Stats.Sent.Add(1)
	}
	if doc, ok := RenderFile(chat, r); ok {
		if err := a.send(ctx, chat, doc); err != nil {
			a.Stats.SendFailed.Add(1)
			return err
		}
		a.Stats.Sent.Add(1)
	}
	return nil
}

// render is Render with the adapter's keyboard and labels, the keyboard
// encoded once for the same options (markups).
func (a *Adapter) render(chat int64, r bot.Reply) []tgbotapi.MessageConfig {
	if len(r.Options) == 0 && r.Ask == "" {
		return render(chat, r, removeKeyboard, false)
	}
	mk, inline := a.markups.of(r, a.cfg.Keyboard, a.cfg.Labels)
	if mk == nil {
		return Render(chat, r, a.cfg.Keyboard, a.cfg.Labels)
	}
	return render(chat, r, mk, inline)
}

// maxWaits bounds the 429 answers waited out within one send.
const maxWaits = 3

// send makes one request within the limits, waiting out short 429s and
// retrying 5xx and network errors a few times.
func (a *Adapter) send(ctx context.Context, chat int64, c tgbotapi.Chattable) error {
	_, err := a.request(ctx, chat, c)
	return err
}

// request is send, returning the Bot API's answer.
func (a *Adapter) request(ctx context.Context, chat int64, c tgbotapi.Chattable) (*tgbotapi.APIResponse, error) {
	failures, waits := 0, 0
	for {
		if err := a.wait(ctx, chat); err != nil {
			a.obs.Send(bot.Telegram, "error")
			return nil, fmt.Errorf("telegram: send: %w", err)
		}
		resp, sent, err := a.attempt(ctx, c)
		if err == nil {
			a.obs.Send(bot.Telegram, "ok")
			return resp, nil
		}
		if ctx.Err() != nil {
			a.obs.Send(bot.Telegram, "error")
			return nil, fmt.Errorf("telegram: send: %w", ctx.Err())
		}
		pe, isAPI := apiError(err)
		switch kind := classify(pe, isAPI); kind {
		case sendWait:
			a.Stats.Waited.Add(1)
			a.obs.Event("telegram_429")
			d := time.Duration(max(pe.RetryAfter, 1)) * time.Second
			a.slowDown(ctx, d)
			if d > a.cfg.MaxRetryAfter || waits >= maxWaits {
				a.obs.Send(bot.Telegram, "error")
				return nil, &bot.RetryAfterError{After: d, Err: fmt.Errorf("telegram: send: %w", err)}
			}
			waits++
			a.obs.Send(bot.Telegram, "retry")
			a.log.Warn("rate limited by Telegram, waiting", "retry_after", d)
			if !bot.Sleep(ctx, d) {
				return nil, fmt.Errorf("telegram: send: %w", ctx.Err())
			}
		case sendUnreachable:
			a.Stats.Unreachable.Add(1)
			a.obs.Send(bot.Telegram, "unreachable")
			return nil, fmt.Errorf("telegram: %w: %w", err, bot.ErrUnreachable)
		case sendRejected:
			a.Stats.Rejected.Add(1)
			a.obs.Send(bot.Telegram, "rejected")
			return nil, fmt.Errorf("telegram: send refused: %w: %w", err, bot.ErrRejected)
		default: // sendRetry: 5xx, network, timeout, an answer that is not the Bot API's
			// Telegram answered an error, or the request never left: not
			// delivered. Sent and no answer: it may have been.
			maybe := sent && !isAPI
			failures++
			if failures >= a.cfg.MaxAttempts {
				a.obs.Send(bot.Telegram, "error")
				if maybe {
					return nil, fmt.Errorf("telegram: send failed after %d attempts (the last may have been delivered): %w", failures, err)
				}
				return nil, fmt.Errorf("telegram: send failed after %d attempts: %w", failures, err)
			}
			a.Stats.Retried.Add(1)
			a.obs.Send(bot.Telegram, "retry")
			if maybe {
				a.Stats.MaybeDoubled.Add(1)
				a.obs.Event("telegram_send_maybe_doubled")
			}
			a.log.Debug("send failed, retrying", "attempt", failures, "maybe_delivered", maybe, "err", err)
			if !bot.Sleep(ctx, backoff(a.cfg.Backoff, failures-1)) {
				return nil, fmt.Errorf("telegram: send: %w", ctx.Err())
			}
		}
	}
}

// attempt makes one request. sent reports whether the request was written
// to the connection in full: an error after that (a timeout, a cut
// connection) leaves unknown whether Telegram delivered the message, one
// before it (connection refused, DNS, TLS) means it did not.
func (a *Adapter) attempt(ctx context.Context, c tgbotapi.Chattable) (resp *tgbotapi.APIResponse, sent bool, err error) {
	m, plain := c.(tgbotapi.MessageConfig)
	plain = plain && plainMessage(m)
	if plain && a.post != nil {
		sent, err = a.postMessage(ctx, m) // bounded by RequestTimeout itself
		return nil, sent, a.redact(err)
	}
	rctx, cancel := context.WithTimeout(ctx, a.cfg.RequestTimeout)
	defer cancel()
	var wrote atomic.Bool
	rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
		},
	})
	if plain {
		err = a.sendMessage(rctx, m)
		return nil, wrote.Load(), a.redact(err)
	}
	if _, photo := c.(tgbotapi.PhotoConfig); photo {
		// The answer names the photo's file_id, kept for the next recipients.
		resp, err = a.call(rctx).Request(c)
		return resp, wrote.Load(), a.redact(err)
	}
	b := *a.api
	b.Client = okClient{ctx: rctx, c: a.http}
	resp, err = b.Request(c)
	return resp, wrote.Load(), a.redact(err)
}

// plainMessage reports whether m uses only what Render sets (chat id,
// text, no link previews, a keyboard), so sendMessage can encode it.
func plainMessage(m tgbotapi.MessageConfig) bool {
	return m.ChannelUsername == "" && m.ReplyToMessageID == 0 && !m.DisableNotification &&
		!m.AllowSendingWithoutReply && m.ParseMode == "" && len(m.Entities) == 0
}

// sendMessage posts a text message through net/http, encoding the form
// itself and reading only the answer's status: the same request the
// library makes for m, without its parameter map, sorted url.Values,
// fmt'd endpoint and decoded answer (together about a third of a send's
// CPU in this process). An answer other than {"ok":true,... is decoded as
// the library does, into a *tgbotapi.Error when the Bot API refused.
func (a *Adapter) sendMessage(ctx context.Context, m tgbotapi.MessageConfig) error {
	b, err := appendForm(nil, m)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.sendURL, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header["Content-Type"] = formType
	res, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var head [len(`{"ok":true,`)]byte
	n, rerr := io.ReadFull(res.Body, head[:])
	if res.StatusCode == http.StatusOK && rerr == nil && bytes.Equal(head[:], okPrefix) {
		_, err := io.Copy(io.Discard, res.Body)
		return err // cut off mid-answer: as if unreadable
	}
	return answerError(io.MultiReader(bytes.NewReader(head[:n]), res.Body))
}

// postMessage is sendMessage on the adapter's own connections (poster,
// httpconn.go), for sends without a configured HTTP client or a proxy.
// sent: the request was written in full. The call ends by ctx or after
// RequestTimeout, whichever comes first.
func (a *Adapter) postMessage(ctx context.Context, m tgbotapi.MessageConfig) (sent bool, err error) {
	form := forms.Get().(*[]byte)
	defer forms.Put(form)
	if *form, err = appendForm((*form)[:0], m); err != nil {
		return false, err
	}
	dl, _ := ctx.Deadline()
	if t := a.cfg.RequestTimeout; t > 0 {
		if own := time.Now().Add(t); dl.IsZero() || own.Before(dl) {
			dl = own
		}
	}
	sent, doubled, err := a.post.post(ctx, dl, *form, postAnswer)
	if doubled {
		a.Stats.MaybeDoubled.Add(1)
		a.obs.Event("telegram_send_maybe_doubled")
	}
	return sent, err
}

// forms keeps the buffers postMessage encodes forms in.
var forms = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// postAnswer reads an answer as sendMessage does.
func postAnswer(status int, body []byte) error {
	if status == http.StatusOK && bytes.HasPrefix(body, okPrefix) {
		return nil
	}
	return answerError(bytes.NewReader(body))
}

// answerError decodes an answer that is not {"ok":true,... as the library
// does: nil if it says ok after all, a *tgbotapi.Error when the Bot API
// refused, the decoding error when it is not the Bot API's.
func answerError(body io.Reader) error {
	var api tgbotapi.APIResponse
	if err := json.NewDecoder(body).Decode(&api); err != nil {
		return err
	}
	return refusal(api)
}

// refusal is the library's error for a decoded answer: nil when it says
// ok, else a *tgbotapi.Error with its code, description and parameters.
func refusal(api tgbotapi.APIResponse) error {
	if api.Ok {
		return nil
	}
	var params tgbotapi.ResponseParameters
	if api.Parameters != nil {
		params = *api.Parameters
	}
	return &tgbotapi.Error{Code: api.ErrorCode, Message: api.Description, ResponseParameters: params}
}

// removeKeyboard is the markup of a reply without options (markup), and
// removeKeyboardJSON its JSON, made once.
var (
	removeKeyboard        any = tgbotapi.NewRemoveKeyboard(false)
	removeKeyboardJSON, _     = json.Marshal(removeKeyboard)
)

// appendForm appends m's form, as the library encodes it, to b.
func appendForm(b []byte, m tgbotapi.MessageConfig) ([]byte, error) {
	var mk, escaped []byte
	if em, ok := m.ReplyMarkup.(*encodedMarkup); ok {
		mk, escaped = em.json, em.form // a keyboard sent before
	} else if m.ReplyMarkup == removeKeyboard {
		mk = removeKeyboardJSON // a reply without options: most of them
	} else if m.ReplyMarkup != nil {
		var err error
		if mk, err = json.Marshal(m.ReplyMarkup); err != nil {
			return b, err
		}
	}
	// The library's order (url.Values.Encode sorts the keys).
	b = slices.Grow(b, 64+len(m.Text)*3/2+len(mk)*3/2)
	b = append(b, "chat_id="...)
	b = strconv.AppendInt(b, m.ChatID, 10)
	if m.DisableWebPagePreview {
		b = append(b, "&disable_web_page_preview=true"...)
	}
	b = append(b, "&entities=null"...) // as the library sends no entities
	if escaped != nil {
		b = append(append(b, "&reply_markup="...), escaped...)
	} else if mk != nil {
		b = append(b, "&reply_markup="...)
		b = appendQueryEscape(b, mk)
	}
	if m.Text != "" {
		b = append(b, "&text="...)
		b = appendQueryEscape(b, m.Text)
	}
	return b, nil
}

var formType = []string{"application/x-www-form-urlencoded"}

// appendQueryEscape appends url.QueryEscape(s) to b without the string
// QueryEscape builds.
func appendQueryEscape[S ~string | ~[]byte](b []byte, s S) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

// okClient is ctxClient for sends, whose results nobody reads: a 200
// answer that starts with {"ok":true is drained and handed to the library
// as a two-field body, which spares decoding the sent message back (a
// sixth of the adapter's CPU). Anything else goes through untouched.
type okClient struct {
	ctx context.Context
	c   *http.Client
}

var okPrefix = []byte(`{"ok":true,`)

const okBody = `{"ok":true,"result":true}`

func (c okClient) Do(req *http.Request) (*http.Response, error) {
	res, err := c.c.Do(req.WithContext(c.ctx))
	if err != nil || res.StatusCode != http.StatusOK {
		return res, err
	}
	var head [len(`{"ok":true,`)]byte
	n, rerr := io.ReadFull(res.Body, head[:])
	if rerr == nil && bytes.Equal(head[:], okPrefix) {
		_, rerr = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if rerr != nil { // cut off mid-answer: as if unreadable
			return nil, rerr
		}
		res.Body = io.NopCloser(strings.NewReader(okBody))
		res.ContentLength = int64(len(okBody))
		return res, nil
	}
	res.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head[:n]), res.Body), res.Body}
	return res, nil
}

// sendKind is what to do about a failed send.
type sendKind int

const (
	sendRetry       sendKind = iota // worth trying again
	sendWait                        // Telegram asks to wait retry_after
	sendUnreachable                 // the person blocked the bot, the chat is gone
	sendRejected                    // a request Telegram will never accept
)

// goneChat are the 400 descriptions that mean the chat cannot be reached
// any more (lower case).
var goneChat = []string{"chat not found", "user not found", "peer_id_invalid", "user is deactivated",
	"bot was kicked", "bot was blocked", "group chat was upgraded", "chat_write_forbidden", "have no rights to send"}

// classify sorts a failed request by the Bot API's answer (pe, when isAPI).
func classify(pe *tgbotapi.Error, isAPI bool) sendKind {
	switch {
	case !isAPI:
		return sendRetry // network, timeout, an answer that is not JSON
	case pe.Code == http.StatusTooManyRequests || pe.RetryAfter > 0:
		return sendWait
	case pe.Code == http.StatusForbidden:
		return sendUnreachable
	case pe.Code == http.StatusBadRequest && containsAny(strings.ToLower(pe.Message), goneChat):
		return sendUnreachable
	case pe.Code == http.StatusUnauthorized || pe.Code == http.StatusNotFound:
		// The token was revoked or mistyped: no message is at fault, and
		// they go out once an operator fixes it.
		return sendRetry
	case pe.Code >= 400 && pe.Code < 500:
		return sendRejected
	}
	return sendRetry
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// wait blocks until chat may get a message: this process's limits, then
// the limit of all processes (when shared). If the shared limiter fails
// (Redis down), this process's limit alone holds.
func (a *Adapter) wait(ctx context.Context, chat int64) error {
	if err := a.limit.wait(ctx, chat); err != nil {
		return err
	}
	if a.cfg.Shared == nil || a.cfg.RatePerSecond < 0 {
		return nil
	}
	for {
		d, err := a.cfg.Shared.Reserve(ctx, a.limitKey)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			a.obs.Event("telegram_shared_limit_error")
			a.log.Warn("shared send limit unavailable, keeping this process's", "err", err)
			return nil
		}
		if d <= 0 {
			return nil
		}
		if !bot.Sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

// slowDown tells every process to wait d (Telegram's retry_after).
func (a *Adapter) slowDown(ctx context.Context, d time.Duration) {
	if a.cfg.Shared == nil {
		return
	}
	if err := a.cfg.Shared.SlowDown(ctx, a.limitKey, d); err != nil {
		a.log.Warn("tell the shared send limit to slow down", "err", err)
	}
}
