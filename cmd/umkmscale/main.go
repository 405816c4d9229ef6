// Command umkmscale measures umkmbot at the size of a province: it loads N
// synthetic registrations spread over the 8 kabupaten/kota of Banten into
// a real Redis through the store's own registration script, then reports
//
//   - Redis memory per registration (INFO used_memory before and after) and
//     what 800,000 take;
//   - an export of every registration (the export command's path: paging
//     through each kabupaten/kota and CSV-encoding each row) to a counting
//     writer: time, rows, bytes, and the process's peak RSS during it;
//   - counting a broadcast segment (kabupaten/kota × kecamatan × sector ×
//     size class) and everyone, as the broadcast preview does;
//   - a registration and the province-wide "is this person registered?"
//     lookup of every turn, on the empty store and again at N (p50/p99).
//
// It checks what it measures: the export must have N rows and the segment
// the number of matching registrations it generated, or it fails.
//
//	redis-server --port 6390 --save '' --appendonly no &
//	go run ./cmd/umkmscale -redis redis://127.0.0.1:6390/0 -n 800000
//
// Use a Redis of its own: the memory figure is the whole server's growth.
package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "umkmscale:", err)
		os.Exit(1)
	}
}

type options struct {
	n, workers, probes int
	redisURL, prefix   string
	seed               uint64
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("umkmscale", flag.ContinueOnError)
	fs.IntVar(&o.n, "n", 100000, "registrations to load")
	fs.IntVar(&o.workers, "workers", 16, "concurrent loaders")
	fs.IntVar(&o.probes, "probes", 300, "registrations and lookups timed on the empty store and at N")
	fs.StringVar(&o.redisURL, "redis", os.Getenv("REDIS_URL"), "Redis URL (default REDIS_URL); a server of its own")
	fs.StringVar(&o.prefix, "prefix", "umkmscale", "key prefix")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of the synthetic data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.redisURL == "" {
		return fmt.Errorf("-redis (or REDIS_URL) is required: a real redis-server of its own")
	}
	region, err := flows.LoadRegion("banten")
	if err != nil {
		return err
	}
	rdb, err := store.Connect(ctx, o.redisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	st := store.New(rdb, store.Options{Prefix: o.prefix})
	regs := umkm.ServedRegistrations(region, st)
	for _, u := range region.Units { // as umkmbot does at start: the index grows with each registration
		if err := st.EnsureAudienceIndex(ctx, u.Code); err != nil {
			return err
		}
	}
	gen := newGenerator(region, o.seed)
	fmt.Fprintf(out, "umkmscale: %d registrations over %d kabupaten/kota of %s; load average %s\n",
		o.n, len(region.Units), region.Name, loadAvg())

	emptyCreate, emptyLookup, emptyEnrol, err := probe(ctx, st, regs, region, gen, o.probes, "empty")
	if err != nil {
		return err
	}
	before, err := usedMemory(ctx, rdb)
	if err != nil {
		return err
	}

	start := time.Now()
	if err := load(ctx, st, gen, o.n, o.workers); err != nil {
		return err
	}
	took := time.Since(start)
	after, err := usedMemory(ctx, rdb)
	if err != nil {
		return err
	}
	perReg := float64(after-before) / float64(o.n)
	fmt.Fprintf(out, "load: %d registrations in %s (%.0f/s, %d workers)\n", o.n, took.Round(time.Millisecond), float64(o.n)/took.Seconds(), o.workers)
	fmt.Fprintf(out, "redis memory: %.0f bytes/registration (used_memory %s -> %s); 800,000 registrations: %s\n",
		perReg, mib(before), mib(after), mib(int64(perReg*800000)))

	total := o.n + o.probes // the probes on the empty store are registrations too
	if err := exportAll(ctx, out, regs, region, total); err != nil {
		return err
	}
	if err := countSegment(ctx, out, regs, region, gen, total); err != nil {
		return err
	}
	if err := consoleQueries(ctx, out, st, region, gen, total); err != nil {
		return err
	}
	fullCreate, fullLookup, fullEnrol, err := probe(ctx, st, regs, region, gen, o.probes, "full")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "registration (create script): empty p50 %s p99 %s; at %d p50 %s p99 %s\n",
		emptyCreate.p(50), emptyCreate.p(99), o.n, fullCreate.p(50), fullCreate.p(99))
	fmt.Fprintf(out, "registered? lookup over %d kabupaten/kota (each turn): empty p50 %s p99 %s; at %d p50 %s p99 %s\n",
		len(region.Units), emptyLookup.p(50), emptyLookup.p(99), o.n, fullLookup.p(50), fullLookup.p(99))
	fmt.Fprintf(out, "training sign-up (seat script): empty p50 %s p99 %s; at %d p50 %s p99 %s\n",
		emptyEnrol.p(50), emptyEnrol.p(99), o.n, fullEnrol.p(50), fullEnrol.p(99))
	fmt.Fprintf(out, "load average at the end: %s\n", loadAvg())
	return nil
}

// generator makes plausible registrations, spread over the kabupaten/kota
// by their number of desa (a rough stand-in for population), and counts
// those of the segment it will ask for.
type generator struct {
	mu      sync.Mutex
	rng     *rand.Rand
	region  umkm.Region
	weights []int // cumulative desa count per unit
	next    atomic.Int64
	segment umkm.Audience
	matches atomic.Int64
}

func newGenerator(region umkm.Region, seed uint64) *generator {
	g := &generator{rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), region: region}
	sum := 0
	for _, u := range region.Units {
		for _, k := range u.Kecamatan {
			sum += len(k.Desa)
		}
		g.weights = append(g.weights, sum)
	}
	serang, _ := region.Unit("36.73")
	g.segment = umkm.Audience{KabKota: []string{"36.73"}, Kecamatan: []string{serang.Kecamatan[0].Name},
		Sectors: []string{"kuliner"}, Sizes: []string{"mikro"}}
	return g
}

var (
	sectors = []string{"kuliner", "kuliner", "kuliner", "fesyen", "kriya", "pertanian", "jasa", "perdagangan", "lainnya"}
	first   = []string{"Siti", "Budi", "Rina", "Agus", "Dewi", "Ahmad", "Nur", "Yanti", "Hendra", "Sri", "Asep", "Euis"}
	last    = []string{"Aminah", "Santoso", "Marlina", "Hidayat", "Lestari", "Fauzi", "Rahayu", "Saputra", "Wulandari", "Permana"}
	goods   = []string{"keripik singkong", "emping melinjo", "sate bandeng", "batik", "anyaman bambu", "kopi bubuk", "sambal", "jahit pakaian"}
)

// make returns the next synthetic registration.
func (g *generator) make() *umkm.Registration {
	g.mu.Lock()
	x := g.rng.IntN(g.weights[len(g.weights)-1])
	ui, _ := slices.BinarySearch(g.weights, x+1)
	u := g.region.Units[ui]
	k := u.Kecamatan[g.rng.IntN(len(u.Kecamatan))]
	ds := k.Desa[g.rng.IntN(len(k.Desa))]
	name := first[g.rng.IntN(len(first))] + " " + last[g.rng.IntN(len(last))]
	good := goods[g.rng.IntN(len(goods))]
	sector := sectors[g.rng.IntN(len(sectors))]
	size := "mikro"
	if g.rng.IntN(20) == 0 {
		size = "kecil"
	}
	whatsapp := g.rng.IntN(3) > 0
	mps := []string{"shopee", "tokopedia", "daerah"}[:g.rng.IntN(4)]
	g.mu.Unlock()

	i := g.next.Add(1)
	// a NIK unique for every i (birth date and serial from i), valid in form
	serial, rest := 1+i%9999, i/9999
	nik := fmt.Sprintf("%s%s%02d%02d%02d%04d", strings.ReplaceAll(u.Code, ".", ""), k.Code[6:8], 1+rest%28, 1+(rest/28)%12, 60+(rest/336)%40, serial)
	conv := bot.Conversation{Channel: bot.Telegram, User: strconv.FormatInt(5000000000+i, 10)}
	if whatsapp {
		conv = bot.Conversation{Channel: bot.WhatsApp, User: fmt.Sprintf("628%010d", i)}
	}
	now := time.Now()
	at := now.Add(-time.Duration(i%(2*365*24*60)) * time.Minute) // spread over two years, as a programme's registrations are
	r := &umkm.Registration{Region: u.Code, Conv: conv, RegisteredAt: at, UpdatedAt: at, ConsentAt: at,
		OwnerName: name, NIK: nik, Phone: fmt.Sprintf("+628%010d", i), BusinessName: strings.ToUpper(good[:1]) + good[1:] + " " + name,
		Sector: sector, Kecamatan: k.Name, Desa: ds.Name, DesaCode: ds.Code, Address: fmt.Sprintf("Jl. %s No. %d RT 0%d/RW 0%d", ds.Name, i%200, i%9+1, i%7+1),
		MainProducts: good, CapitalBracket: "modal_le1m", SalesBracket: "omzet_le2m", SizeClass: size, Workers: 1 + int(i%5),
		Marketplaces: mps, ConsentVersion: flows.ConsentVersion + "/id", ConsentReply: "ya"}
	if i%50 == 0 {
		r.DesaUnlisted = true // "lainnya": typed, not on the list
	}
	if i%7 == 0 {
		r.NIB = fmt.Sprintf("9120%09d", i)
	}
	if g.segment.Match(r) {
		g.matches.Add(1)
	}
	return r
}

// load creates n registrations with workers goroutines.
func load(ctx context.Context, st *store.Store, g *generator, n, workers int) error {
	var done atomic.Int64
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done.Add(1) <= int64(n) {
				if err := st.CreateRegistration(ctx, g.make(), 1); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// exportAll streams every registration to CSV as the export does and
// reports time and peak RSS (VmHWM, reset just before).
func exportAll(ctx context.Context, out io.Writer, regs umkm.RegistrationStore, region umkm.Region, want int) error {
	runtime.GC()
	debug.FreeOSMemory()
	reset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	var sink countingWriter
	w := csv.NewWriter(&sink)
	rows := 0
	start := time.Now()
	err := regs.EachRegistration(ctx, region.Code, func(r *umkm.Registration) error {
		rows++
		unit, _ := region.Unit(r.Region)
		return w.Write([]string{r.ID, r.RegisteredAt.In(bot.Jakarta).Format(time.RFC3339), string(r.Conv.Channel), r.OwnerName,
			umkm.MaskNIK(r.NIK), phone.Mask(r.Phone), r.BusinessName, r.Sector, r.Kecamatan, r.Desa, r.Address, r.MainProducts,
			r.CapitalBracket, r.SalesBracket, r.SizeClass, strconv.Itoa(r.Workers), r.NIB, strings.Join(r.Marketplaces, ";"),
			r.ConsentAt.In(bot.Jakarta).Format(time.RFC3339), unit.Name, r.DesaCode})
	})
	w.Flush()
	took := time.Since(start)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if rows != want {
		return fmt.Errorf("export wrote %d rows, want %d", rows, want)
	}
	peak := "n/a (cannot reset /proc/self/clear_refs)"
	if reset {
		peak = peakRSS()
	}
	fmt.Fprintf(out, "export: %d rows, %s of CSV in %s (%.0f rows/s); peak RSS during the export %s\n",
		rows, mib(sink.n), took.Round(time.Millisecond), float64(rows)/took.Seconds(), peak)
	return nil
}

// scanOnly hides the store's audience index: Count then reads every
// registration, as it does for an audience by training.
type scanOnly struct{ umkm.RegistrationStore }

// countSegment counts a segment and everyone as the broadcast preview
// does, from the index and by reading every registration.
func countSegment(ctx context.Context, out io.Writer, regs umkm.RegistrationStore, region umkm.Region, g *generator, total int) error {
	for _, src := range []struct {
		how  string
		regs umkm.RegistrationStore
	}{{"index", regs}, {"reading every registration", scanOnly{regs}}} {
		as := umkm.AudienceSource{Region: region.Code, Registrations: src.regs}
		start := time.Now()
		onBoth := []bot.ChannelID{bot.Telegram, bot.WhatsApp} // the channels generated registrations are on
		seg, err := as.CountOn(ctx, g.segment, onBoth)
		if err != nil {
			return err
		}
		segTook := time.Since(start)
		start = time.Now()
		all, err := as.CountOn(ctx, umkm.Audience{}, onBoth)
		if err != nil {
			return err
		}
		allTook := time.Since(start)
		got := seg[bot.Telegram] + seg[bot.WhatsApp]
		if got != int(g.matches.Load()) || all[bot.Telegram]+all[bot.WhatsApp] != total {
			return fmt.Errorf("%s: segment counted %d (generated %d), everyone %d (want %d)", src.how, got, g.matches.Load(), all[bot.Telegram]+all[bot.WhatsApp], total)
		}
		fmt.Fprintf(out, "broadcast segment (Kota Serang × Kecamatan %s × kuliner × mikro), %s: %d recipients counted in %s; everyone (%d) in %s\n",
			g.segment.Kecamatan[0], src.how, got, segTook.Round(time.Microsecond), total, allTook.Round(time.Microsecond))
	}
	return nil
}

// consoleQueries times the web console's searches and dashboard counts
// from the index (store.FindRegistrations, RegistrationStats), each the
// median of several runs, and checks the segment's count.
func consoleQueries(ctx context.Context, out io.Writer, st *store.Store, region umkm.Region, g *generator, total int) error {
	var units []string
	for _, u := range region.Units {
		units = append(units, u.Code)
	}
	serang := g.segment.Kecamatan[0]
	queries := []struct {
		what string
		q    umkm.RegistrationQuery
		want int // -1: not checked
	}{
		{"first page, everyone", umkm.RegistrationQuery{Regions: units}, total},
		{"Kota Serang × " + serang + " × kuliner × mikro", umkm.RegistrationQuery{Regions: []string{"36.73"}, Kecamatan: serang, Sector: "kuliner", Size: "mikro"}, int(g.matches.Load())},
		{"sector kuliner (a third)", umkm.RegistrationQuery{Regions: units, Sector: "kuliner"}, -1},
		{"size kecil", umkm.RegistrationQuery{Regions: units, Size: "kecil"}, -1},
		{"status desa lainnya", umkm.RegistrationQuery{Regions: units, Status: umkm.RegStatusDesaUnlisted}, -1},
		{`name "siti"`, umkm.RegistrationQuery{Regions: units, Words: []string{"siti"}}, -1},
		{`beginning "ami"`, umkm.RegistrationQuery{Regions: units, Words: []string{"ami"}}, -1},
		{`"siti aminah" in Kota Serang, kuliner`, umkm.RegistrationQuery{Regions: []string{"36.73"}, Words: []string{"siti", "aminah"}, Sector: "kuliner"}, -1},
		{"phone ending 1234", umkm.RegistrationQuery{Regions: units, PhoneTail: "1234"}, -1},
	}
	for _, x := range queries {
		x.q.Limit = 25
		var first, next timings
		var p umkm.RegistrationPage
		for range 11 {
			start := time.Now()
			var err error
			if p, err = st.FindRegistrations(ctx, x.q); err != nil {
				return fmt.Errorf("console search %s: %w", x.what, err)
			}
			first = append(first, time.Since(start))
			if p.Next != "" {
				q := x.q
				q.After = p.Next
				start = time.Now()
				if _, err := st.FindRegistrations(ctx, q); err != nil {
					return fmt.Errorf("console search %s, page 2: %w", x.what, err)
				}
				next = append(next, time.Since(start))
			}
		}
		if x.want >= 0 && p.Total != x.want {
			return fmt.Errorf("console search %s: %d found, want %d", x.what, p.Total, x.want)
		}
		fmt.Fprintf(out, "console search %s: %d found, first page %s, next page %s (medians)\n", x.what, p.Total, first.p(50), next.p(50))
	}
	var dash timings
	for range 11 {
		start := time.Now()
		n := 0
		for _, u := range region.Units {
			names := make([]string, len(u.Kecamatan))
			for i, k := range u.Kecamatan {
				names[i] = k.Name
			}
			weeks := make([]time.Time, 12)
			for i := range weeks {
				weeks[i] = time.Now().AddDate(0, 0, -7*(12-i))
			}
			s, err := st.RegistrationStats(ctx, u.Code, names, flows.SectorCodes(), umkm.SizeClasses, umkm.RegStatuses, weeks)
			if err != nil {
				return err
			}
			n += s.Total
		}
		if n != total {
			return fmt.Errorf("dashboard counts %d registrations, want %d", n, total)
		}
		dash = append(dash, time.Since(start))
	}
	fmt.Fprintf(out, "console dashboard counts (8 kabupaten/kota: totals, 12 weeks, kecamatan, sectors, sizes, statuses): %s (median)\n", dash.p(50))
	return nil
}

// probe times creating a registration, the province-wide lookup of a
// conversation (what every turn asks: is this person registered?) and a
// training sign-up (the seat script, in a training of its own).
func probe(ctx context.Context, st *store.Store, regs umkm.RegistrationStore, region umkm.Region, g *generator, n int, tag string) (create, lookup, enrol timings, err error) {
	now := time.Now()
	tr := &umkm.Training{Title: "Probe " + tag, Topic: "ecommerce", Organiser: "Dinas", Start: now.Add(48 * time.Hour),
		End: now.Add(50 * time.Hour), Place: "Aula", Capacity: n + 1, Deadline: now.Add(24 * time.Hour), CreatedAt: now}
	if err := st.CreateTraining(ctx, tr); err != nil {
		return nil, nil, nil, fmt.Errorf("probe %s: training: %w", tag, err)
	}
	for i := 0; i < n; i++ {
		r := g.make()
		start := time.Now()
		if err := st.CreateRegistration(ctx, r, 1); err != nil {
			return nil, nil, nil, fmt.Errorf("probe %s: %w", tag, err)
		}
		create = append(create, time.Since(start))
		start = time.Now()
		if _, err := st.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: r.Conv, Registration: r.ID, At: time.Now()}, true); err != nil {
			return nil, nil, nil, fmt.Errorf("probe %s: sign-up: %w", tag, err)
		}
		enrol = append(enrol, time.Since(start))
		start = time.Now()
		// a person not registered: the worst case, every kabupaten/kota is asked
		_, err := regs.RegistrationFor(ctx, region.Code, bot.Conversation{Channel: bot.Telegram, User: "nobody-" + tag})
		if err != bot.ErrNotFound {
			return nil, nil, nil, fmt.Errorf("probe lookup: %v", err)
		}
		lookup = append(lookup, time.Since(start))
	}
	return create, lookup, enrol, nil
}

type timings []time.Duration

func (t timings) p(q int) time.Duration {
	if len(t) == 0 {
		return 0
	}
	s := slices.Clone(t)
	slices.Sort(s)
	return s[(len(s)-1)*q/100].Round(time.Microsecond)
}

func usedMemory(ctx context.Context, rdb redis.UniversalClient) (int64, error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("INFO memory: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("INFO memory has no used_memory (not a real redis-server?)")
}

func peakRSS() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
