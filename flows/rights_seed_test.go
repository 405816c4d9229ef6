package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
)

// seedRights handles the directives of the owner's rights transcripts:
//
//	# rights on                          wire products, curation, erasure and the audit log
//	# rights register USER [nik=…] [version=…]  a complete registration of console:USER
//	# rights product USER name="…" price=N
//	# rights application USER target=ID target_name="…"
//	# rights enrol USER TRAINING          USER signs up (or joins the waitlist)
//	# rights audit                       print the audit log ("<! " lines)
//	# rights export                      print the registration ids an export lists
func seedRights(t *testing.T, w *world, line string, out *strings.Builder) {
	t.Helper()
	ctx := context.Background()
	args := directiveArgs(t, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "#")), "rights")))
	switch args["_0"] {
	case "on":
		w.deps.Products, w.deps.Curation, w.deps.Eraser, w.deps.Audit = w.store, w.store, w.store, w.store.AuditLog(0)
		w.engine = bot.NewEngine(bot.EngineConfig{Now: w.clock}, mustFlows(w.t, w.deps), w.store, w.store, w.catalog, nil)
	case "register": // a complete registration, consented under version=V (default the current one)
		user := args["_1"]
		r := &umkm.Registration{Region: w.deps.Region.Code, Conv: bot.Conversation{Channel: bot.Console, User: user},
			OwnerName: "Siti Aminah", NIK: seedOr(args["nik"], "3214015503900001"), Phone: "+6281234567890",
			BusinessName: "Warung Siti", Sector: "kuliner", Kecamatan: "Plered", Desa: "Anjun", Address: "Jl. Anjun 5",
			MainProducts: "keripik", CapitalBracket: "modal_le1m", SalesBracket: "omzet_le2m", SizeClass: "mikro", Workers: 2,
			RegisteredAt: w.now, ConsentAt: w.now, ConsentVersion: seedOr(args["version"], flows.ConsentVersion+"/id"), ConsentReply: "ya"}
		if err := w.store.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	case "product":
		c := bot.Conversation{Channel: bot.Console, User: args["_1"]}
		p := &umkm.Product{Name: args["name"], Category: "kuliner", Price: int64(seedAtoi(t, args["price"])), CreatedAt: w.now}
		if err := w.store.SaveProduct(ctx, c, p); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	case "application":
		c := bot.Conversation{Channel: bot.Console, User: args["_1"]}
		r, err := w.store.RegistrationFor(ctx, w.deps.Region.Code, c)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		a := &umkm.Application{Region: r.Region, Conv: c, RegistrationID: r.ID, Business: r.BusinessName,
			Target: args["target"], TargetName: args["target_name"], Products: []string{"Keripik"}, CreatedAt: w.now}
		if err := w.store.SubmitApplication(ctx, a); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	case "enrol":
		c := bot.Conversation{Channel: bot.Console, User: args["_1"]}
		if _, err := w.store.Enrol(ctx, umkm.Enrolment{Training: args["_2"], Conv: c, At: w.now}, true); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	case "audit":
		err := w.store.AuditLog(0).List(ctx, time.Time{}, func(e umkm.AuditEntry) error {
			fmt.Fprintf(out, "<! %s %s %s count=%d %s\n", e.Action, e.Actor, e.Subject, e.Count, e.Detail)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	case "export":
		var ids []string
		err := w.store.EachRegistration(ctx, w.deps.Region.Code, func(r *umkm.Registration) error {
			ids = append(ids, r.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(out, "<! export: %s\n", strings.Join(ids, " "))
	default:
		t.Fatalf("unknown rights directive %q", line)
	}
}
