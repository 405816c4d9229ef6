package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// TestGetUpdatesAsLibrary: getUpdates sends the library's request for the
// poll's configurations and reads every kind of answer as the library
// does: the same list, the same *tgbotapi.Error (code, retry_after) for a
// refusal, an error that is not the Bot API's for an answer that is not
// JSON.
func TestGetUpdatesAsLibrary(t *testing.T) {
	const update = `{"update_id":7,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"text":"halo"}}`
	answers := []struct {
		name   string
		status int
		body   string
		fast   bool // read without json.Unmarshal
	}{
		{"ok", 200, `{"ok":true,"result":[` + update + `,` + update + `]}`, true},
		{"ok, newline", 200, `{"ok":true,"result":[` + update + "]}\n", true},
		{"ok, empty", 200, `{"ok":true,"result":[]}`, true},
		{"ok, spaced", 200, `{ "ok": true, "result": [` + update + `] }`, false},
		{"ok, result last but one", 200, `{"ok":true,"result":[],"description":"x"}`, false},
		{"conflict", 409, `{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request"}`, false},
		{"flood", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`, false},
		{"token", 401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, false},
		{"gateway", 502, `<html>bad gateway</html>`, false},
		{"cut", 200, `{"ok":true,"result":[` + update, false},
	}
	configs := []tgbotapi.UpdateConfig{
		{Offset: 12, Limit: 100, Timeout: 30, AllowedUpdates: allowedUpdates},
		{Offset: 0, Limit: 1, AllowedUpdates: allowedUpdates},
		{Offset: 3},
	}
	for _, ans := range answers {
		for _, cfg := range configs {
			lib := &capture{status: 200, body: `{"ok":true,"result":{"id":1,"is_bot":true,"username":"b"}}`}
			api, err := tgbotapi.NewBotAPIWithClient("T0K", "http://api.test/bot%s/%s", &http.Client{Transport: lib})
			if err != nil {
				t.Fatal(err)
			}
			lib.bodies, lib.urls, lib.status, lib.body = nil, nil, ans.status, ans.body
			want, wantErr := api.Request(cfg)
			own := &capture{status: ans.status, body: ans.body}
			a := &Adapter{http: &http.Client{Transport: own}, updatesURL: "http://api.test/botT0K/getUpdates"}
			got, err := a.getUpdates(context.Background(), cfg)
			if own.bodies[0] != lib.bodies[0] || own.urls[0] != lib.urls[0] {
				t.Errorf("%s, %+v: request\nown %s %s\nlib %s %s", ans.name, cfg, own.urls[0], own.bodies[0], lib.urls[0], lib.bodies[0])
			}
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("%s: err %v, library's %v", ans.name, err, wantErr)
			}
			if err != nil {
				pe, isAPI := apiError(err)
				wpe, wantAPI := apiError(wantErr)
				if isAPI != wantAPI || isAPI && (pe.Code != wpe.Code || pe.Message != wpe.Message || pe.RetryAfter != wpe.RetryAfter) {
					t.Errorf("%s: err %#v, library's %#v", ans.name, err, wantErr)
				}
				continue
			}
			var a1, a2 bytes.Buffer
			if json.Compact(&a1, got) != nil || json.Compact(&a2, want.Result) != nil || a1.String() != a2.String() {
				t.Errorf("%s: result %s, library's %s", ans.name, got, want.Result)
			}
			if _, fast := okResult([]byte(ans.body)); fast != ans.fast {
				t.Errorf("%s: read without decoding = %v, want %v", ans.name, fast, ans.fast)
			}
		}
	}
}

// FuzzOKResult: what okResult takes out of an answer is the list
// json.Unmarshal finds in it, whenever that list is valid JSON.
func FuzzOKResult(f *testing.F) {
	f.Add([]byte(`{"ok":true,"result":[]}`))
	f.Add([]byte(`{"ok":true,"result":[{"update_id":1}]}` + "\n"))
	f.Add([]byte(`{"ok":true,"result":[1],"x":[2]}`))
	f.Add([]byte(`{"ok":true,"result":[]]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		list, ok := okResult(body)
		if !ok || !json.Valid(list) {
			return
		}
		var api tgbotapi.APIResponse
		if err := json.Unmarshal(body, &api); err != nil {
			t.Fatalf("okResult took %q out of %q, which json.Unmarshal refuses: %v", list, body, err)
		}
		if !api.Ok || !bytes.Equal(list, api.Result) {
			t.Fatalf("okResult took %q out of %q; json.Unmarshal: ok %v, result %q", list, body, api.Ok, api.Result)
		}
	})
}
