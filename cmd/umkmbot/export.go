package main

import (
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

func init() {
	addGroup("export", "export data for the Dinas",
		leaf("registrations", "", "registrations as CSV on standard output; NIK and phone masked unless asked", runExport))
}

// registrationColumns is the CSV header, in order.
var registrationColumns = []string{"registration_id", "registered_at", "channel", "owner_name", "nik_masked", "phone",
	"business_name", "sector", "kecamatan", "desa", "address", "main_products", "capital_bracket",
	"annual_sales_bracket", "size_class", "workers", "nib", "marketplaces", "consent_at"}

func runExport(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("export registrations", env)
	format := fs.String("format", "csv", "output format (csv)")
	withNIK := fs.Bool("include-nik", false, "add the full NIK in a nik column (authorised use only)")
	withPhone := fs.Bool("include-phone", false, "write phone numbers in full instead of masked (authorised use only)")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if *format != "csv" {
		return usageFor(fs, "unknown format %q: only csv", *format)
	}
	return withApp(ctx, env, false, func(app *App) error { return exportRegistrations(ctx, env, app, *withNIK, *withPhone) })
}

func exportRegistrations(ctx context.Context, env *Env, app *App, withNIK, withPhone bool) error {
	w := csv.NewWriter(env.Stdout)
	header := registrationColumns
	if withNIK {
		header = append(append([]string(nil), header...), "nik")
	}
	if err := w.Write(header); err != nil {
		return err
	}
	n := 0
	err := app.Store.EachRegistration(ctx, app.Region.Code, func(r *bot.Registration) error {
		n++
		return w.Write(registrationRow(r, withNIK, withPhone))
	})
	if err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	app.Log.Info("exported registrations", "count", n, "nik", withNIK, "phone", withPhone)
	return nil
}

func rfc3339WIB(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(bot.Jakarta).Format(time.RFC3339)
}

func registrationRow(r *bot.Registration, withNIK, withPhone bool) []string {
	phone := bot.MaskPhone(r.Phone)
	if withPhone {
		phone = r.Phone
	}
	row := []string{r.ID, rfc3339WIB(r.RegisteredAt), string(r.Conv.Channel), r.OwnerName, bot.MaskNIK(r.NIK), phone,
		r.BusinessName, r.Sector, r.Kecamatan, r.Desa, r.Address, r.MainProducts, r.CapitalBracket,
		r.SalesBracket, r.SizeClass, strconv.Itoa(r.Workers), r.NIB, strings.Join(r.Marketplaces, ";"), rfc3339WIB(r.ConsentAt)}
	if withNIK {
		row = append(row, r.NIK)
	}
	return row
}
