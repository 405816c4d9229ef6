package telegram

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestOKClient: a successful answer reaches the library as a short body;
// every other answer (an error, a 200 that is not the Bot API's, a short
// one) arrives byte for byte.
func TestOKClient(t *testing.T) {
	tests := []struct {
		code       int
		body, want string
	}{
		{200, `{"ok":true,"result":{"message_id":7,"text":"panjang sekali"}}`, okBody},
		{200, `{"ok":true,"result":true}`, okBody},
		{400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`},
		{200, `<html>proxy error</html>`, `<html>proxy error</html>`},
		{200, `{}`, `{}`},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.code)
			io.WriteString(w, tt.body)
		}))
		req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
		res, err := okClient{ctx: context.Background(), c: srv.Client()}.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		srv.Close()
		if string(got) != tt.want || res.StatusCode != tt.code {
			t.Errorf("%d %s: got %d %s, want %s", tt.code, tt.body, res.StatusCode, got, tt.want)
		}
	}
}
