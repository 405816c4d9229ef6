package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/export"
)

func init() {
	addGroup("export", "export data for the Dinas as CSV or an Excel workbook on standard output; every export is written to the audit log",
		leaf("registrations", "", "registrations; NIK and phone masked unless asked", exportRegistrations),
		leaf("curation", "", "curation applications", exportCuration),
		leaf("broadcasts", "", "broadcasts with their audience and counts", exportBroadcasts))
}

// registrationColumns is the registrations header, in order.
var registrationColumns = []string{"registration_id", "registered_at", "channel", "owner_name", "nik_masked", "phone",
	"business_name", "sector", "kecamatan", "desa", "address", "main_products", "capital_bracket",
	"annual_sales_bracket", "size_class", "workers", "nib", "marketplaces", "consent_at",
	// added with the Kemendagri list, at the end so existing readers keep working
	"kabupaten_kota", "desa_code"}

// curationColumns is the curation applications header, in order.
var curationColumns = []string{"application_id", "submitted_at", "status", "registration_id", "business_name",
	"target", "target_name", "products", "note", "updated_at"}

// broadcastColumns is the broadcasts header, in order.
var broadcastColumns = []string{"broadcast_id", "status", "created_at", "start_at", "created_by", "audience",
	"recipients", "sent", "failed", "skipped", "unknown", "finished_at", "text"}

// exportFlags are the flags every export has.
type exportFlags struct {
	format *string
	excel  *bool
}

func addExportFlags(fs *flag.FlagSet) exportFlags {
	return exportFlags{
		format: fs.String("format", "csv", "csv, or xlsx (an Excel workbook: text cells, labels instead of codes)"),
		excel:  fs.Bool("excel", false, "CSV: start with a UTF-8 byte order mark so Excel shows accents right"),
	}
}

// parseExportArgs parses an export's flags and positional arguments (exactly
// n) and checks the format.
func parseExportArgs(fs *flag.FlagSet, ef exportFlags, args []string, n int) ([]string, error) {
	pos, err := parseArgs(fs, args, n, n)
	if err != nil {
		return nil, err
	}
	if _, err := export.ParseFormat(*ef.format); err != nil {
		return nil, usageFor(fs, "%v", err)
	}
	return pos, nil
}

// exportSpec is one export: its name in the audit log, its sheet, header
// and what it reveals.
type exportSpec struct {
	subject string   // "registrations", "training 12 participants"
	sheet   string   // XLSX sheet name
	header  []string // column names
	detail  []string // flags worth auditing: "nik=full"
	reveals []string // further audit actions: umkm.AuditRevealNIK, umkm.AuditRevealPhone
}

// writeExport writes the rows rows() produces as the format asks, records
// the export in the audit log and only then hands the file to stdout: an
// export that could not be audited does not leave.
func writeExport(ctx context.Context, app *App, env *Env, f exportFlags, spec exportSpec,
	rows func(label func(id string) string, emit func([]string) error) error) error {
	format, err := export.ParseFormat(*f.format)
	if err != nil {
		return err
	}
	// CSV keeps the codes (stable for scripts); the workbook is for people,
	// so it shows the labels the chat shows, in Indonesian.
	label := csvLabel
	if format == export.XLSX {
		label = func(id string) string { return app.Catalog.Render("id", bot.T(id)) }
	}
	var buf bytes.Buffer
	w, err := export.New(&buf, format, spec.header, export.Options{Sheet: spec.sheet, BOM: *f.excel})
	if err != nil {
		return err
	}
	n := 0
	err = rows(label, func(cells []string) error {
		n++
		return w.Row(cells)
	})
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	detail := strings.Join(append([]string{"format=" + string(format)}, spec.detail...), " ")
	actor := cliActor(env)
	audit := app.Audit()
	for _, action := range append([]string{umkm.AuditExport}, spec.reveals...) {
		e := umkm.AuditEntry{Actor: actor, Action: action, Subject: spec.subject, Count: n, Detail: detail}
		if err := app.writable(); err != nil {
			// The embedded store is held by a running chat (trying the bot
			// out): it cannot take the entry, so the log line stands in.
			app.Log.Warn("export not recorded in the audit log: the embedded store is read-only here",
				"action", e.Action, "subject", e.Subject, "count", e.Count, "actor", e.Actor)
			continue
		}
		if err := audit.Audit(ctx, e); err != nil {
			return fmt.Errorf("nothing exported: %w", err)
		}
	}
	if _, err := env.Stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	app.Log.Info("exported", "what", spec.subject, "count", n, "format", format, "detail", detail)
	return nil
}

// cliActor names who runs a command from the server: "cli:budi@host".
func cliActor(env *Env) string {
	name := env.Getenv("SUDO_USER")
	if name == "" {
		name = env.Getenv("USER")
	}
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	host, _ := os.Hostname()
	return "cli:" + or(name, "unknown") + "@" + or(host, "unknown")
}

func exportRegistrations(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("export registrations", env)
	ef := addExportFlags(fs)
	withNIK := fs.Bool("include-nik", false, "add the full NIK in a nik column (authorised use only; audited)")
	withPhone := fs.Bool("include-phone", false, "write phone numbers in full instead of masked (authorised use only; audited)")
	if _, err := parseExportArgs(fs, ef, args, 0); err != nil {
		return err
	}
	return withApp(ctx, env, false, func(app *App) error {
		spec := exportSpec{subject: "registrations", sheet: "Registrasi", header: registrationColumns}
		if *withNIK {
			spec.header = append(append([]string(nil), spec.header...), "nik")
			spec.detail = append(spec.detail, "nik=full")
			spec.reveals = append(spec.reveals, umkm.AuditRevealNIK)
		}
		if *withPhone {
			spec.detail = append(spec.detail, "phone=full")
			spec.reveals = append(spec.reveals, umkm.AuditRevealPhone)
		}
		return writeExport(ctx, app, env, ef, spec, func(label func(string) string, emit func([]string) error) error {
			// A deployment of several kabupaten/kota exports them all, one
			// after the other, streaming page by page.
			regs := umkm.ServedRegistrations(app.Region, app.Store)
			return regs.EachRegistration(ctx, app.Region.Code, func(r *umkm.Registration) error {
				return emit(registrationRow(app.Region, r, *withNIK, *withPhone, label))
			})
		})
	})
}

func rfc3339WIB(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(bot.Jakarta).Format(time.RFC3339)
}

// csvLabel is a field's code from its catalog id ("sector.kuliner" →
// "kuliner"): CSV keeps the codes, stable for scripts.
func csvLabel(id string) string { _, code, _ := strings.Cut(id, "."); return code }

// codeLabel is the catalog id of a registration field's code.
func codeLabel(label func(string) string, prefix, code string) string {
	if code == "" {
		return ""
	}
	return label(prefix + code)
}

// registrationRow is one registration's row. desa_code is the desa's
// Kemendagri code, "lainnya" for a place the list does not have (kept as
// the owner typed it), empty for registrations made before the list.
func registrationRow(region umkm.Region, r *umkm.Registration, withNIK, withPhone bool, label func(string) string) []string {
	phone := phone.Mask(r.Phone)
	if withPhone {
		phone = r.Phone
	}
	markets := make([]string, len(r.Marketplaces))
	for i, m := range r.Marketplaces {
		markets[i] = codeLabel(label, "marketplace.", m)
	}
	row := []string{r.ID, rfc3339WIB(r.RegisteredAt), string(r.Conv.Channel), r.OwnerName, umkm.MaskNIK(r.NIK), phone,
		r.BusinessName, codeLabel(label, "sector.", r.Sector), r.Kecamatan, r.Desa, r.Address, r.MainProducts,
		codeLabel(label, "bracket.", r.CapitalBracket), codeLabel(label, "bracket.", r.SalesBracket),
		codeLabel(label, "class.", r.SizeClass), strconv.Itoa(r.Workers), r.NIB, strings.Join(markets, ";"), rfc3339WIB(r.ConsentAt)}
	unit, _ := region.Unit(r.Region)
	desaCode := r.DesaCode
	if r.DesaUnlisted {
		desaCode = "lainnya"
	}
	row = append(row, unit.Name, desaCode)
	if withNIK {
		row = append(row, r.NIK)
	}
	return row
}

func exportCuration(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("export curation", env)
	ef := addExportFlags(fs)
	if _, err := parseExportArgs(fs, ef, args, 0); err != nil {
		return err
	}
	return withApp(ctx, env, false, func(app *App) error {
		apps, err := app.Store.Applications(ctx, app.Region.Code, "")
		if err != nil {
			return err
		}
		spec := exportSpec{subject: "curation applications", sheet: "Kurasi", header: curationColumns}
		return writeExport(ctx, app, env, ef, spec, func(_ func(string) string, emit func([]string) error) error {
			for _, a := range apps {
				row := []string{a.ID, rfc3339WIB(a.CreatedAt), string(a.Status), a.RegistrationID, a.Business, a.Target,
					a.TargetName, strings.Join(a.Products, ";"), a.Note, rfc3339WIB(a.UpdatedAt)}
				if err := emit(row); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func exportBroadcasts(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("export broadcasts", env)
	ef := addExportFlags(fs)
	if _, err := parseExportArgs(fs, ef, args, 0); err != nil {
		return err
	}
	return withApp(ctx, env, false, func(app *App) error {
		bs, err := app.Store.Broadcasts(ctx)
		if err != nil {
			return err
		}
		spec := exportSpec{subject: "broadcasts", sheet: "Siaran", header: broadcastColumns}
		return writeExport(ctx, app, env, ef, spec, func(label func(string) string, emit func([]string) error) error {
			for _, b := range bs {
				by := "cli"
				if b.CreatedBy.Channel != "" {
					by = string(b.CreatedBy.Channel)
				}
				c := b.Counts
				row := []string{b.ID, string(b.Status), rfc3339WIB(b.CreatedAt), rfc3339WIB(b.At), by, audienceText(b.Audience, label),
					strconv.FormatInt(c.Audience, 10), strconv.FormatInt(c.Sent, 10), strconv.FormatInt(c.Failed, 10),
					strconv.FormatInt(c.Skipped, 10), strconv.FormatInt(c.Unknown, 10), rfc3339WIB(c.Finished), b.Text}
				if err := emit(row); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// audienceText describes an audience in one cell: "kecamatan=Plered sector=kuliner".
func audienceText(a umkm.Audience, label func(string) string) string {
	var parts []string
	add := func(name string, vals []string) {
		if len(vals) > 0 {
			parts = append(parts, name+"="+strings.Join(vals, ","))
		}
	}
	sectors := make([]string, len(a.Sectors))
	for i, s := range a.Sectors {
		sectors[i] = codeLabel(label, "sector.", s)
	}
	channels := make([]string, len(a.Channels))
	for i, c := range a.Channels {
		channels[i] = string(c)
	}
	add("kecamatan", a.Kecamatan)
	add("sector", sectors)
	add("size", a.Sizes)
	add("training", a.Trainings)
	add("channel", channels)
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, " ")
}
