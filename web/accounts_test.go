package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestAccounts: an admin makes an account in the browser, changes its
// role and password (which signs it out everywhere), and cannot lock
// themselves out.
func TestAccounts(t *testing.T) {
	w := newWorld(t)
	adm := w.login("admin")
	newAcc := url.Values{"name": {"Rina"}, "full_name": {"Rina <W>"}, "role": {"petugas"}, "password": {"sandi-rina-123"}, "password_again": {"sandi-rina-123"}}
	for name, change := range map[string]url.Values{
		"weak":     {"password": {"pendek"}, "password_again": {"pendek"}},
		"mismatch": {"password_again": {"sandi-rina-124"}},
		"bad name": {"name": {"r"}},
		"bad role": {"role": {"raja"}},
	} {
		f := url.Values{}
		for k, v := range newAcc {
			f[k] = v
		}
		for k, v := range change {
			f[k] = v
		}
		if res := adm.post("/accounts", f); res.StatusCode != http.StatusUnprocessableEntity || strings.Contains(res.body, "sandi-rina") {
			t.Errorf("%s: %d (or the password was put back in the page)", name, res.StatusCode)
		}
	}
	if res := adm.post("/accounts", newAcc); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, res.text)
	}
	if res := adm.post("/accounts", newAcc); res.StatusCode != http.StatusConflict {
		t.Fatalf("create twice: %d", res.StatusCode)
	}
	if list := adm.get("/accounts"); !strings.Contains(list.body, "Rina &lt;W&gt;") || !strings.Contains(list.text, "petugas") {
		t.Fatalf("the list lacks rina")
	}
	rina := w.client()
	if res := rina.post("/login", url.Values{"name": {"rina"}, "password": {"sandi-rina-123"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rina signs in: %d", res.StatusCode)
	}
	if res := rina.get("/trainings/new"); res.StatusCode != http.StatusOK {
		t.Fatalf("rina as petugas: %d", res.StatusCode)
	}
	// A new full name alone keeps her signed in.
	adm.post("/accounts/rina", url.Values{"full_name": {"Rina Wulandari"}, "role": {"petugas"}})
	if res := rina.get("/"); res.StatusCode != http.StatusOK {
		t.Fatalf("a new full name signed rina out: %d", res.StatusCode)
	}
	res := adm.post("/accounts/rina", url.Values{"full_name": {"Rina Wulandari"}, "role": {"pengamat"},
		"password": {"sandi-baru-456"}, "password_again": {"sandi-baru-456"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d %s", res.StatusCode, res.text)
	}
	if res := rina.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rina's session outlived a new role and password: %d", res.StatusCode)
	}
	if res := w.client().post("/login", url.Values{"name": {"rina"}, "password": {"sandi-rina-123"}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the old password still works: %d", res.StatusCode)
	}
	rina = w.client()
	rina.post("/login", url.Values{"name": {"rina"}, "password": {"sandi-baru-456"}})
	if res := rina.get("/trainings/new"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("rina as pengamat on a change page: %d", res.StatusCode)
	}
	for _, f := range []url.Values{{"role": {"admin"}, "disabled": {"on"}}, {"role": {"petugas"}}} {
		if res := adm.post("/accounts/admin", f); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("the admin locks themselves out with %v: %d", f, res.StatusCode)
		}
	}
	entries, _ := w.store.AuditLog(0).Recent(context.Background(), 20)
	var actions []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "account.") {
			actions = append(actions, e.Action+" "+e.Subject+" "+e.Detail)
		}
		if strings.Contains(e.Detail, "sandi") {
			t.Fatalf("a password in the audit log: %+v", e)
		}
	}
	want := []string{"account.change rina role=pengamat,password", "account.change rina full_name", "account.create rina role=petugas"}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit: %q, want %q", actions, want)
	}
}
