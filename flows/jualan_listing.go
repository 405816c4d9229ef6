package flows

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Contacts and links that marketplaces do not allow in a listing.
var (
	linkRe  = regexp.MustCompile(`(?i)\b(https?://\S+|www\.\S+|wa\.me/\S*|bit\.ly/\S*|\S+@\S+\.\S+|[a-z0-9-]+\.(com|co\.id|id|net|org|me|ly|shop|store)(/\S*)?)`)
	phoneRe = regexp.MustCompile(`(\+?62|\b0)\s?8[\d\s.\-]{7,15}\d|\b\d{10,}\b`)
	// Marketplaces' names, for targets that forbid naming the others.
	marketNames = []string{"shopee", "tokopedia", "tokped", "lazada", "tiktok", "bukalapak", "blibli"}
)

// stripContacts removes phone numbers and links from s and reports whether
// there were any.
func stripContacts(s string) (string, bool) {
	found := phoneRe.MatchString(s) || linkRe.MatchString(s)
	out := tidy(s)
	// Removing one may join the pieces of another ("08 wa.me/x 12345678"):
	// repeat until nothing is left.
	for {
		next := tidy(phoneRe.ReplaceAllString(linkRe.ReplaceAllString(out, ""), ""))
		if next == out {
			break
		}
		out = next
	}
	return out, found
}

// stripMarkets removes the names of marketplaces other than own.
func stripMarkets(s, own string) (string, bool) {
	found := false
	words := strings.Fields(s)
	keep := words[:0]
	for _, w := range words {
		lw := strings.ToLower(strings.Trim(w, ".,!?:;()"))
		other := false
		for _, m := range marketNames {
			if lw == m && !strings.Contains(strings.ToLower(own), m) {
				other = true
			}
		}
		if other {
			found = true
			continue
		}
		keep = append(keep, w)
	}
	return strings.Join(keep, " "), found
}

// tidy collapses the spaces left by removals, line by line.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = spaced(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func allCaps(s string) bool {
	letters := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if !unicode.IsUpper(r) {
				return false
			}
		}
	}
	return letters >= 3
}

// cutWords shortens s to at most max characters at a word boundary.
func cutWords(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)[:max]
	cut := string(r)
	if i := strings.LastIndexAny(cut, " \n"); i > max/2 {
		cut = cut[:i]
	}
	return strings.TrimSpace(cut)
}

// weightLabel writes grams as a title would: "250 gr", "1,5 kg".
func weightLabel(g int) string {
	if g >= 1000 && g%100 == 0 {
		kg := strconv.Itoa(g / 1000)
		if g%1000 != 0 {
			kg += "," + strconv.Itoa(g%1000/100)
		}
		return kg + " kg"
	}
	return strconv.Itoa(g) + " gr"
}

// day renders a date for users: "Sabtu, 17 Oktober 2026".
func day(t time.Time) bot.Text {
	t = t.In(bot.Jakarta)
	return bot.T("time.date",
		"Weekday", bot.T("time.weekday."+strconv.Itoa(int(t.Weekday()))),
		"Day", t.Day(),
		"Month", bot.T("time.month."+strconv.Itoa(int(t.Month()))),
		"Year", t.Year())
}

// limitsOf combines a target's limits with the checks safe everywhere: the
// stricter of the two wins.
func (m *Market) limitsOf(tg *Target) Limits {
	l, s := tg.Limits, m.Safe
	l.PhotosMin = max(l.PhotosMin, s.PhotosMin)
	l.PhotoMinPx = max(l.PhotoMinPx, s.PhotoMinPx)
	if s.PhotoMaxBytes > 0 && (l.PhotoMaxBytes == 0 || s.PhotoMaxBytes < l.PhotoMaxBytes) {
		l.PhotoMaxBytes = s.PhotoMaxBytes
	}
	l.Square = l.Square || s.Square
	return l
}

// draft writes product p as a listing for target tg: the draft to copy and
// the readiness checklist with concrete fixes. The product's own words are
// shown as they are (bot.Raw) after removing what the marketplace forbids;
// every label comes from the locale files.
func (m *Market) draft(tg *Target, p umkm.Product, lang string, now time.Time) (bot.Out, bot.Out) {
	lim := m.limitsOf(tg)
	var fixes, notes []bot.Text
	fix := func(id string, kv ...any) { fixes = append(fixes, bot.T("jualan.check."+id, kv...)) }

	// Title: name without contacts or other marketplaces, not all caps,
	// with the weight as its model part, within the limit.
	title, contact := stripContacts(spaced(p.Name))
	desc, c2 := stripContacts(p.Description)
	contact = contact || c2
	otherMarket := false
	if tg.ForbidOtherMarketplaces {
		var o1, o2 bool
		title, o1 = stripMarkets(title, tg.Name)
		desc, o2 = stripMarkets(desc, tg.Name)
		otherMarket = o1 || o2
	}
	if allCaps(title) {
		title = titleCase(title)
		fix("title_caps")
	}
	if len(strings.Fields(title)) < 2 || utf8.RuneCountInString(title) < 10 {
		fix("title_vague")
	}
	if p.Weight > 0 && !strings.ContainsAny(title, "0123456789") {
		title += " " + weightLabel(p.Weight)
	}
	if lim.TitleMax > 0 && utf8.RuneCountInString(title) > lim.TitleMax {
		title = cutWords(title, lim.TitleMax)
		fix("title_long", "Max", lim.TitleMax)
	}
	if contact {
		fix("contact_removed")
	}
	if otherMarket {
		fix("other_market_removed", "Market", tg.Name)
	}
	if desc == "" {
		fix("desc_missing")
	} else if lim.DescriptionMax > 0 && utf8.RuneCountInString(desc) > lim.DescriptionMax {
		desc = cutWords(desc, lim.DescriptionMax)
		fix("desc_long", "Max", lim.DescriptionMax)
	}
	if p.Weight <= 0 {
		fix("weight_missing")
	}
	if p.Price <= 0 {
		fix("price_missing")
	}
	if p.Stock <= 0 {
		fix("stock_zero")
	}
	fixes = append(fixes, m.photoChecks(lim, p.Photos)...)
	if p.Food() {
		fixes = append(fixes, m.permitChecks(p, lang, now)...)
		notes = append(notes, bot.T("jualan.check.food_label"))
	}
	if tg.TitleMax == 0 || tg.DescriptionMax == 0 {
		notes = append(notes, bot.T("jualan.check.limits_unknown", "Market", tg.Name))
	}
	for _, tip := range tg.Tips.in(lang) {
		notes = append(notes, bot.T("jualan.check.tip", "Text", tip))
	}

	var permits []bot.Text
	for _, pm := range m.Permits {
		if p.HasPermit(pm.ID) {
			permits = append(permits, bot.Raw(pm.Name))
		}
	}
	draft := bot.Say(bot.T("jualan.draft",
		"Market", tg.Name, "Title", title, "Description", desc, "Price", money(p.Price),
		"Weight", p.Weight, "Stock", p.Stock, "Category", bot.T("sector."+p.Category),
		"Permits", permits, "HasPermits", len(permits) > 0, "HasDescription", desc != ""))
	head := bot.N("jualan.checklist", len(fixes), "Market", tg.Name)
	if len(fixes) == 0 {
		head = bot.T("jualan.check.ready", "Market", tg.Name)
	}
	check := bot.Say(append(append([]bot.Text{head}, fixes...), notes...)...)
	return draft, check
}

// photoChecks checks the photos against the limits.
func (m *Market) photoChecks(lim Limits, photos []bot.Media) []bot.Text {
	var out []bot.Text
	n := len(photos)
	switch {
	case n == 0:
		return []bot.Text{bot.T("jualan.check.no_photo", "Min", max(lim.PhotosMin, 1), "Px", lim.PhotoMinPx)}
	case n < lim.PhotosMin:
		out = append(out, bot.T("jualan.check.few_photos", "Min", lim.PhotosMin, "N", n))
	case lim.PhotosMax > 0 && n > lim.PhotosMax:
		out = append(out, bot.T("jualan.check.many_photos", "Max", lim.PhotosMax, "N", n))
	}
	for i, ph := range photos {
		no := i + 1
		if ph.W > 0 && ph.H > 0 {
			if lim.Square && ph.W != ph.H {
				out = append(out, bot.T("jualan.check.photo_square", "No", no, "W", ph.W, "H", ph.H))
			}
			if min(ph.W, ph.H) < lim.PhotoMinPx {
				out = append(out, bot.T("jualan.check.photo_small", "No", no, "Px", lim.PhotoMinPx))
			}
			if lim.PhotoMaxPx > 0 && max(ph.W, ph.H) > lim.PhotoMaxPx {
				out = append(out, bot.T("jualan.check.photo_big", "No", no, "Px", lim.PhotoMaxPx))
			}
		}
		if lim.PhotoMaxBytes > 0 && ph.Size > lim.PhotoMaxBytes {
			out = append(out, bot.T("jualan.check.photo_heavy", "No", no, "MB", mb(lim.PhotoMaxBytes)))
		}
		if len(lim.Formats) > 0 && ph.Mime != "" && !slices.Contains(lim.Formats, ph.Mime) {
			out = append(out, bot.T("jualan.check.photo_format", "No", no))
		}
	}
	return out
}

func mb(n int64) string {
	s := strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64)
	return strings.ReplaceAll(s, ".", ",")
}

// permitChecks lists the food permits the product lacks, each with how to
// get it; permits of one group are alternatives.
func (m *Market) permitChecks(p umkm.Product, lang string, now time.Time) []bot.Text {
	held := map[string]bool{}
	for _, pm := range m.Permits {
		if p.HasPermit(pm.ID) && pm.Group != "" {
			held[pm.Group] = true
		}
	}
	var out []bot.Text
	for _, pm := range m.Permits {
		if p.HasPermit(pm.ID) || (pm.Group != "" && held[pm.Group]) {
			continue
		}
		switch {
		case pm.ID == "halal" && !m.HalalMandatoryFrom.IsZero():
			id := "jualan.check.halal_soon"
			if !now.Before(m.HalalMandatoryFrom) {
				id = "jualan.check.halal_required"
			}
			out = append(out, bot.T(id, "Date", day(m.HalalMandatoryFrom), "How", pm.How.in(lang)))
		case pm.Group != "":
			var alts []bot.Text
			for _, o := range m.Permits {
				if o.Group == pm.Group && o.ID != pm.ID {
					alts = append(alts, bot.Raw(o.Name))
				}
			}
			out = append(out, bot.T("jualan.check.permit_alt", "Name", pm.Name, "Alt", alts, "How", pm.How.in(lang)))
		default:
			out = append(out, bot.T("jualan.check.permit", "Name", pm.Name, "How", pm.How.in(lang)))
		}
	}
	return out
}
