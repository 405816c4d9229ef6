// Package store keeps everything umkmbot remembers in Redis (go-redis v9):
// conversation state with compare-and-set, the durable inbox, profiles,
// registrations and the domain data of the other flows.
//
// The store is split by aggregate: each a small type over the one shared
// *Redis (client.go: the go-redis client, so one connection pool, the key
// scheme, the clock and the cipher), each implementing the interfaces its
// consumers declare, with a compile-time guard in its file
// (aggregates_test.go adds those of the jobs, the metrics and the console):
//
//	ConversationStore  state, profile, inbox, outbox, flood limits: bot.Inbox,
//	                   bot.Outbound, bot.StateStore, bot.ProfileStore
//	                   (conversations.go; its methods are still on *Store)
//	RegistrationStore  registrations, NIK index, audience index: umkm.RegistrationStore,
//	                   umkm.RegistrationFinder, umkm.AudienceCounter
//	TrainingStore      trainings, enrolments, reminders, notices: umkm.TrainingStore,
//	                   umkm.ReminderQueue, umkm.NoticeQueue, umkm.ParticipantLister
//	BroadcastStore     broadcasts and their delivery: umkm.BroadcastStore, umkm.BroadcastQueue
//	CurationStore      galeri applications and their notices: umkm.CurationStore
//	OutletStore        galeri outlets: umkm.OutletStore
//	ProductStore       owners' products: umkm.ProductStore
//	TicketStore        hand-over tickets: umkm.TicketStore
//	OfficerStore       console accounts, sessions, login attempts (web.Accounts, …)
//	ImageStore         pictures uploaded on the console (web.Images)
//	AuditLog           the audit log: umkm.Auditor (Redis.AuditLog)
//
// Store (store.go) embeds them all over one Redis and is what cmd/umkmbot
// builds; it hands out the whole Store or one aggregate (st.TicketStore).
// The erasure of a person (erase.go: umkm.PersonEraser) spans every
// aggregate and stays on Store.
//
// To add an aggregate: declare its interface where it is consumed
// (bot/umkm for the domain), declare the type in aggregates.go embedding
// *Redis, put its methods and their guard in a file of its own, and build
// it in New. Its keys take a hash tag of their own.
//
// The receiver is named s in every method of the package, whatever its
// type, so that a method moves between aggregates by its receiver type
// alone.
//
// Every key is "<prefix>:{<tag>}:<rest>". The hash tag groups the keys that
// one Lua script or transaction touches into one Redis Cluster slot: the
// turn keys of a conversation (state, profile, inbox, outbox) share its
// shard's "{q:<shard>}" (turn.go), its products and trainings
// "{c:<channel>:<user>}", all the registrations of a region "{r:<region>}".
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Options tunes the store.
type Options struct {
	Prefix    string        // key prefix (default "umkm"); tests use one per test
	StateTTL  time.Duration // idle lifetime of conversation state (default 7 days)
	DedupeTTL time.Duration // how long a message id is remembered (default 24h)
	// SendDeadline is how long a committed reply may stay unacknowledged
	// before any process's recovery sender resends it (default 15s).
	SendDeadline time.Duration
	Now          func() time.Time
	// Rand draws attendance codes (default crypto/rand); tests give a
	// seeded source so transcripts are stable.
	Rand io.Reader
	// Cipher encrypts NIK and phone in registrations (registrations.go);
	// nil keeps them in clear (tests of other features).
	Cipher umkm.Cipher
	// TicketTTL is how long a closed hand-over ticket is kept (default 90 days).
	TicketTTL time.Duration
}

// Store is every aggregate over one Redis client: what cmd/umkmbot
// builds once and hands out, whole or one aggregate at a time
// (st.TicketStore, st.RegistrationStore, …). The aggregates are embedded,
// so st.OpenTicket and st.Registration call through. It is safe for
// concurrent use.
//
// The turn path (turn.go, state.go, profile.go, migrate.go, ratelimit.go,
// sealturn.go) still hangs on *Store, its fields in ConversationStore,
// which it moves to; so does the erasure of a person, which spans every
// aggregate (erase.go).
type Store struct {
	*Redis
	*ConversationStore
	*RegistrationStore
	*TrainingStore
	*BroadcastStore
	*CurationStore
	*OutletStore
	*ProductStore
	*TicketStore
	*OfficerStore
	*ImageStore
}

// New returns a store on rdb: one Redis shared by every aggregate.
func New(rdb redis.UniversalClient, o Options) *Store {
	if o.Prefix == "" {
		o.Prefix = "umkm"
	}
	if o.StateTTL == 0 {
		o.StateTTL = 7 * 24 * time.Hour
	}
	if o.DedupeTTL == 0 {
		o.DedupeTTL = 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SendDeadline == 0 {
		o.SendDeadline = 15 * time.Second
	}
	if o.TicketTTL == 0 {
		o.TicketTTL = 90 * 24 * time.Hour
	}
	r := &Redis{rdb: rdb, prefix: o.Prefix, now: o.Now, cipher: o.Cipher}
	batch := &batcher{rdb: rdb}
	return &Store{
		Redis: r,
		ConversationStore: &ConversationStore{Redis: r, stateTTL: o.StateTTL, dedupeTTL: o.DedupeTTL,
			sendDeadline: o.SendDeadline, batch: batch},
		RegistrationStore: &RegistrationStore{Redis: r, batch: batch},
		TrainingStore:     &TrainingStore{Redis: r, codes: codeSource{r: o.Rand}},
		BroadcastStore:    &BroadcastStore{Redis: r},
		CurationStore:     &CurationStore{Redis: r},
		OutletStore:       &OutletStore{Redis: r},
		ProductStore:      &ProductStore{Redis: r, batch: batch},
		TicketStore:       &TicketStore{Redis: r, ticketTTL: o.TicketTTL},
		OfficerStore:      &OfficerStore{Redis: r},
		ImageStore:        &ImageStore{Redis: r},
	}
}

// protocol is the RESP version the clients speak: 2. umkmbot uses none of
// RESP3's additions (push notifications, client-side caching), and
// go-redis looks for pending push notifications before every reply it
// reads on a RESP3 connection: 3 % of serve's CPU under the bench harness.
const protocol = 2

// Connect opens a Redis client from a URL (redis://[user:pass@]host:port/db,
// rediss:// for TLS) and checks that it answers.
func Connect(ctx context.Context, url string) (redis.UniversalClient, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	if opt.Protocol == 0 { // not chosen in the URL (?protocol=3)
		opt.Protocol = protocol
	}
	rdb := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connect to redis at %s: %w", opt.Addr, err)
	}
	return rdb, nil
}

// Endpoint says where Redis is: a single node (URL), a Cluster (its seed
// addresses) or a Sentinel-managed primary (its sentinels and name).
type Endpoint struct {
	URL            string   // redis://[user:pass@]host:port/db or rediss://
	ClusterAddrs   []string // host:port of some Cluster nodes
	SentinelAddrs  []string // host:port of the sentinels
	SentinelMaster string   // the primary's name in Sentinel
	Username       string   // for Cluster and Sentinel (a URL carries its own)
	Password       string
}

// Open connects to the Redis the endpoint names and checks it answers.
func Open(ctx context.Context, e Endpoint) (redis.UniversalClient, error) {
	var rdb redis.UniversalClient
	var where string
	switch {
	case len(e.ClusterAddrs) > 0:
		rdb = redis.NewClusterClient(&redis.ClusterOptions{Addrs: e.ClusterAddrs, Username: e.Username, Password: e.Password, Protocol: protocol})
		where = "cluster " + strings.Join(e.ClusterAddrs, ",")
	case e.SentinelMaster != "":
		rdb = redis.NewFailoverClient(&redis.FailoverOptions{MasterName: e.SentinelMaster, SentinelAddrs: e.SentinelAddrs,
			Username: e.Username, Password: e.Password, Protocol: protocol})
		where = "sentinel " + e.SentinelMaster
	default:
		return Connect(ctx, e.URL)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connect to redis %s: %w", where, err)
	}
	return rdb, nil
}

// isNil reports a go-redis "no such key".
func isNil(err error) bool { return errors.Is(err, redis.Nil) }
