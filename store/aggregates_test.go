package store_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/jobs"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/ops"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
	"github.com/umkmbot/umkmbot/web"
)

// Each aggregate alone satisfies what its consumers declare: the domain's
// interfaces (guarded again in each aggregate's file), the jobs', the
// metrics' and the console's. cmd/umkmbot may hand out the aggregate
// instead of the whole Store wherever one is listed here.
var (
	_ bot.Inbox                = (*store.ConversationStore)(nil)
	_ bot.Outbound             = (*store.ConversationStore)(nil)
	_ bot.StateStore           = (*store.ConversationStore)(nil)
	_ bot.ProfileStore         = (*store.ConversationStore)(nil)
	_ bot.TurnLoader           = (*store.ConversationStore)(nil)
	_ umkm.RegistrationStore   = (*store.RegistrationStore)(nil)
	_ umkm.RegistrationFinder  = (*store.RegistrationStore)(nil)
	_ umkm.AudienceCounter     = (*store.RegistrationStore)(nil)
	_ web.Registrations        = (*store.RegistrationStore)(nil)
	_ umkm.TrainingStore       = (*store.TrainingStore)(nil)
	_ umkm.EnrolmentLister     = (*store.TrainingStore)(nil)
	_ jobs.ReminderDeps        = (*store.TrainingStore)(nil)
	_ web.Trainings            = (*store.TrainingStore)(nil)
	_ web.Participants         = (*store.TrainingStore)(nil)
	_ umkm.BroadcastStore      = (*store.BroadcastStore)(nil)
	_ umkm.BroadcastQueue      = (*store.BroadcastStore)(nil)
	_ ops.Broadcasts           = (*store.BroadcastStore)(nil)
	_ web.Broadcasts           = (*store.BroadcastStore)(nil)
	_ umkm.CurationStore       = (*store.CurationStore)(nil)
	_ jobs.CurationNoticeQueue = (*store.CurationStore)(nil)
	_ web.Applications         = (*store.CurationStore)(nil)
	_ umkm.OutletStore         = (*store.OutletStore)(nil)
	_ umkm.ProductStore        = (*store.ProductStore)(nil)
	_ web.Products             = (*store.ProductStore)(nil)
	_ umkm.TicketStore         = (*store.TicketStore)(nil)
	_ web.TicketDesk           = (*store.TicketStore)(nil)
	_ web.Officers             = (*store.OfficerStore)(nil)
	_ web.Accounts             = (*store.OfficerStore)(nil)
	_ web.SessionEnder         = (*store.OfficerStore)(nil)
	_ web.Sessions             = (*store.OfficerStore)(nil)
	_ web.LoginCounter         = (*store.OfficerStore)(nil)
	_ web.Images               = (*store.ImageStore)(nil)
	_ umkm.Auditor             = (*store.AuditLog)(nil)

	// The bundle still has every method: call sites that take the whole
	// Store keep compiling.
	_ umkm.RegistrationStore = (*store.Store)(nil)
	_ umkm.TrainingStore     = (*store.Store)(nil)
	_ jobs.ReminderDeps      = (*store.Store)(nil)
	_ umkm.BroadcastQueue    = (*store.Store)(nil)
	_ umkm.CurationStore     = (*store.Store)(nil)
	_ umkm.TicketStore       = (*store.Store)(nil)
	_ umkm.PersonEraser      = (*store.Store)(nil)
	_ web.Accounts           = (*store.Store)(nil)
	_ bot.Inbox              = (*store.Store)(nil)
	_ bot.Outbound           = (*store.Store)(nil)
	_ bot.StateStore         = (*store.Store)(nil)
	_ bot.ProfileStore       = (*store.Store)(nil)
)

// TestAggregatesShareOneRedis: New builds every aggregate over the one
// *Redis it was given, so they share one client and one connection pool;
// an aggregate left out of New, or given a Redis of its own, fails here.
func TestAggregatesShareOneRedis(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, store.Options{Prefix: prefix})
	v := reflect.ValueOf(st).Elem()
	shared := reflect.TypeOf((*store.Redis)(nil))
	n := 0
	for i := 0; i < v.NumField(); i++ {
		f, ft := v.Field(i), v.Type().Field(i)
		if !ft.Anonymous || f.Type() == shared {
			continue
		}
		if f.IsNil() {
			t.Fatalf("Store.%s is nil: New does not build it", ft.Name)
		}
		r := f.Elem().FieldByName("Redis")
		if !r.IsValid() || r.Type() != shared {
			t.Fatalf("Store.%s does not embed *store.Redis", ft.Name)
		}
		if r.Pointer() != reflect.ValueOf(st.Redis).Pointer() {
			t.Fatalf("Store.%s has a Redis of its own", ft.Name)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("found %d aggregates in Store, want at least 10", n)
	}
	if st.TicketStore.Client() != rdb || st.ProductStore.Client() != rdb {
		t.Fatal("an aggregate's Client is not the one given to New")
	}
}

// TestTwoAggregatesOnePool uses two aggregates at once, each through a
// client of one connection: both work (neither holds the connection) and
// every command of both goes through that one client.
func TestTwoAggregatesOnePool(t *testing.T) {
	ctx := context.Background()
	_, prefix := redistest.Client(t)
	opt, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.PoolSize, opt.MinIdleConns = 1, 0
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	var seen countHook
	rdb.AddHook(&seen)
	st := store.New(rdb, store.Options{Prefix: prefix})
	products, tickets := st.ProductStore, st.TicketStore

	c := bot.Conversation{Channel: bot.Telegram, User: "7"}
	var wg sync.WaitGroup
	errs := make(chan error, 2*20)
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); _, err := products.Products(ctx, c); errs <- err }()
		go func() { defer wg.Done(); _, err := tickets.OpenTicketOf(ctx, c); errs <- err }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := rdb.PoolStats().TotalConns; got != 1 {
		t.Fatalf("connections = %d, want the one of the shared pool", got)
	}
	if n := seen.n.Load(); n < 40 {
		t.Fatalf("the shared client saw %d commands, want at least the 40 of both aggregates", n)
	}
}
