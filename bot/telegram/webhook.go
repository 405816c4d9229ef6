package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// SecretHeader carries the webhook secret on Telegram's requests.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdateBody bounds one webhook request.
const maxUpdateBody = 1 << 20

// WebhookHandler returns the handler for Telegram's webhook requests: it
// rejects a request without the right secret (401, nothing processed),
// answers 200 once sub took the update and 500 when it could not (Telegram
// retries). An update that cannot be decoded is logged (its id and the kind
// of error), counted and answered 200: Telegram would resend it forever.
// A callback query is answered in the 200 response itself.
func (a *Adapter) WebhookHandler(sub Submitter) http.Handler {
	secret := []byte(a.cfg.WebhookSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		got := []byte(r.Header.Get(SecretHeader))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxUpdateBody))
		if err != nil {
			http.Error(w, "body not read, retry", http.StatusBadRequest)
			return
		}
		u, id, err := decodeUpdate(body)
		if err != nil {
			a.skipUndecodable([]undecodable{{id: id, kind: errorKind(err)}})
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "{}")
			return
		}
		if !a.take(r.Context(), sub, u) {
			http.Error(w, "not taken, retry", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if cb := u.CallbackQuery; cb != nil {
			// Telegram runs a method given in the webhook answer.
			json.NewEncoder(w).Encode(map[string]string{"method": "answerCallbackQuery", "callback_query_id": cb.ID})
			return
		}
		io.WriteString(w, "{}")
	})
}

// runWebhook registers the webhook (setWebhook is idempotent: every
// process does it), serves it until ctx ends, then shuts the server down.
// It deletes the webhook only when DeleteWebhookOnStop says so: the other
// processes still take requests.
func (a *Adapter) runWebhook(ctx context.Context, sub Submitter) error {
	ln, err := net.Listen("tcp", a.cfg.WebhookListen)
	if err != nil {
		return fmt.Errorf("telegram: webhook listen on %s: %w", a.cfg.WebhookListen, err)
	}
	mux := http.NewServeMux()
	path := "/"
	if u, err := url.Parse(a.cfg.WebhookURL); err == nil && u.Path != "" {
		path = u.Path
	}
	mux.Handle(path, a.WebhookHandler(sub))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }() // owned: waited for below
	if err := a.SetWebhook(ctx); err != nil {
		srv.Close()
		<-errc
		return err
	}
	a.log.Info("webhook serving", "listen", ln.Addr().String())
	a.role.Store(roleWebhook)
	defer a.role.Store(roleStarting)
	select {
	case <-ctx.Done():
	case err = <-errc:
		return fmt.Errorf("telegram: webhook server: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		a.log.Warn("webhook server shutdown", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Warn("webhook server", "err", err)
	}
	if a.cfg.DeleteWebhookOnStop {
		if err := a.DeleteWebhook(sctx, false); err != nil {
			a.log.Warn("delete webhook at stop", "err", err)
		}
	}
	return nil
}

// DeleteWebhook removes the webhook, so Telegram keeps updates for
// getUpdates; dropPending also discards the updates waiting.
func (a *Adapter) DeleteWebhook(ctx context.Context, dropPending bool) error {
	if _, err := a.call(ctx).Request(tgbotapi.DeleteWebhookConfig{DropPendingUpdates: dropPending}); err != nil {
		return fmt.Errorf("telegram: delete webhook: %w", a.redact(err))
	}
	return nil
}

// WebhookStatus is Telegram's view of the webhook (getWebhookInfo).
type WebhookStatus struct {
	URL            string // "" when none: updates wait for getUpdates
	Pending        int    // updates not yet delivered
	LastError      string // the last delivery error, if any
	LastErrorAt    time.Time
	MaxConnections int
	AllowedUpdates []string
}

// WebhookInfo asks Telegram about the webhook.
func (a *Adapter) WebhookInfo(ctx context.Context) (WebhookStatus, error) {
	info, err := a.call(ctx).GetWebhookInfo()
	if err != nil {
		return WebhookStatus{}, fmt.Errorf("telegram: get webhook info: %w", a.redact(err))
	}
	st := WebhookStatus{URL: info.URL, Pending: info.PendingUpdateCount, LastError: info.LastErrorMessage,
		MaxConnections: info.MaxConnections, AllowedUpdates: info.AllowedUpdates}
	if info.LastErrorDate > 0 {
		st.LastErrorAt = time.Unix(int64(info.LastErrorDate), 0)
	}
	return st, nil
}

// SetWebhook registers the webhook URL with the secret. The library's
// WebhookConfig has no secret_token, so the request is made by hand.
func (a *Adapter) SetWebhook(ctx context.Context) error {
	allowed, _ := json.Marshal(allowedUpdates)
	params := tgbotapi.Params{
		"url":             a.cfg.WebhookURL,
		"secret_token":    a.cfg.WebhookSecret,
		"allowed_updates": string(allowed),
	}
	if _, err := a.call(ctx).MakeRequest("setWebhook", params); err != nil {
		return fmt.Errorf("telegram: set webhook: %w", a.redact(err))
	}
	return nil
}
