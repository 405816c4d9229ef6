package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

func init() {
	addCommand("export", "export data for the Dinas: export registrations --format csv [--include-nik] [--include-phone]", runExport)
}

// registrationColumns is the CSV header, in order.
var registrationColumns = []string{"registration_id", "registered_at", "channel", "owner_name", "nik_masked", "phone",
	"business_name", "sector", "kecamatan", "desa", "address", "main_products", "capital_bracket",
	"annual_sales_bracket", "size_class", "workers", "nib", "marketplaces", "consent_at",
	// added with the Kemendagri list, at the end so existing readers keep working
	"kabupaten_kota", "desa_code"}

func runExport(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "registrations" {
		return fmt.Errorf("usage: umkmbot export registrations --format csv [--include-nik] [--include-phone]")
	}
	fs := flagSet("export registrations", env)
	format := fs.String("format", "csv", "output format (csv)")
	withNIK := fs.Bool("include-nik", false, "add the full NIK in a nik column (authorised use only)")
	withPhone := fs.Bool("include-phone", false, "write phone numbers in full instead of masked (authorised use only)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *format != "csv" {
		return fmt.Errorf("unknown format %q: only csv", *format)
	}
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, env.Stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	w := csv.NewWriter(env.Stdout)
	header := registrationColumns
	if *withNIK {
		header = append(append([]string(nil), header...), "nik")
	}
	if err := w.Write(header); err != nil {
		return err
	}
	n := 0
	// A deployment of several kabupaten/kota exports them all, one after
	// the other, streaming page by page.
	regs := bot.ServedRegistrations(app.Region, app.Store)
	err = regs.EachRegistration(ctx, app.Region.Code, func(r *bot.Registration) error {
		n++
		return w.Write(registrationRow(app.Region, r, *withNIK, *withPhone))
	})
	if err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	app.Log.Info("exported registrations", "count", n, "nik", *withNIK, "phone", *withPhone)
	return nil
}

func rfc3339WIB(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(bot.Jakarta).Format(time.RFC3339)
}

// registrationRow is one registration's CSV row. desa_code is the desa's
// Kemendagri code, "lainnya" for a place the list does not have (kept as
// the owner typed it), empty for registrations made before the list.
func registrationRow(region bot.Region, r *bot.Registration, withNIK, withPhone bool) []string {
	phone := bot.MaskPhone(r.Phone)
	if withPhone {
		phone = r.Phone
	}
	row := []string{r.ID, rfc3339WIB(r.RegisteredAt), string(r.Conv.Channel), r.OwnerName, bot.MaskNIK(r.NIK), phone,
		r.BusinessName, r.Sector, r.Kecamatan, r.Desa, r.Address, r.MainProducts, r.CapitalBracket,
		r.SalesBracket, r.SizeClass, strconv.Itoa(r.Workers), r.NIB, strings.Join(r.Marketplaces, ";"), rfc3339WIB(r.ConsentAt)}
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
