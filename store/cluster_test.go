package store_test

import (
	"testing"

	"github.com/umkmbot/umkmbot/store/redistest"
)

// clusterAddrs, while set, makes twoStores build its stores on a Redis
// Cluster (tests in this package do not run in parallel).
var clusterAddrs []string

// TestCluster runs the store's tests (state, inbox, registrations,
// products, outlets, curation, trainings, reminders, broadcasts) against a
// three-master Redis Cluster on loopback: every script and transaction must touch one slot, which the
// {hash tags} in the keys promise. A key a script touches in another slot
// fails with CROSSSLOT here, while a single node would hide it.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	c := redistest.NewCluster(t, 3)
	clusterAddrs = c.Options().Addrs
	defer func() { clusterAddrs = nil }()
	for name, test := range map[string]func(*testing.T){
		"StateCompareAndSet":               TestStateCompareAndSet,
		"StateNoLostUpdate":                TestStateNoLostUpdate,
		"Inbox":                            TestInbox,
		"Outbox":                           TestOutbox,
		"FloodLimit":                       TestFloodLimit,
		"TurnTwoRoundTrips":                TestTurnTwoRoundTrips,
		"CommitDirect":                     TestCommitDirect,
		"ShareOffers":                      TestShareOffers,
		"BatchAfterScriptFlush":            TestBatchAfterScriptFlush,
		"MigrateTurnKeys":                  TestMigrateTurnKeys,
		"RegistrationNumbersAndNIK":        TestRegistrationNumbersAndNIK,
		"RegistrationConcurrent":           TestRegistrationConcurrent,
		"ProductsCRUD":                     TestProductsCRUD,
		"ProductsConcurrentCreate":         TestProductsConcurrentCreate,
		"NearestOutlets":                   TestNearestOutlets,
		"CurationLifecycle":                TestCurationLifecycle,
		"CurationConcurrentDecision":       TestCurationConcurrentDecision,
		"CurationConcurrentSubmit":         TestCurationConcurrentSubmit,
		"EnrolConcurrent":                  TestEnrolConcurrent,
		"EnrolFullWithoutWaitlist":         TestEnrolFullWithoutWaitlistStoresNothing,
		"EnrolClosed":                      TestEnrolClosed,
		"CancelPromotes":                   TestCancelPromotes,
		"CancelRace":                       TestCancelRace,
		"CapacityEdit":                     TestCapacityEdit,
		"CheckIn":                          TestCheckIn,
		"EnrolmentsOfAndTrainings":         TestEnrolmentsOfAndTrainings,
		"SeatInvariant":                    TestSeatInvariant,
		"RemindersOncePerParticipant":      TestRemindersOncePerParticipant,
		"RemindersAfterRestart":            TestRemindersAfterRestart,
		"RemindersTooLate":                 TestRemindersTooLate,
		"RemindersRun":                     TestRemindersRun,
		"NoticesQueue":                     TestNoticesQueue,
		"BroadcastTwoProcessesTenThousand": TestBroadcastTwoProcessesTenThousand,
		"BroadcastWorkerCrash":             TestBroadcastWorkerCrash,
		"BroadcastSegments":                TestBroadcastSegments,
		"BroadcastControl":                 TestBroadcastControl,
		"BroadcastCancelStops":             TestBroadcastCancelStops,
		"RateLimiterSlowDown":              TestRateLimiterSlowDown,
		"DeliveryRecords":                  TestDeliveryRecords,
		"BroadcastSendOutcomes":            TestBroadcastSendOutcomes,
		"BroadcastTrainingAudience":        TestBroadcastTrainingAudience,
		"BroadcastWaitsOutWhatsAppBan":     TestBroadcastWaitsOutWhatsAppBan,
		"Officers":                         TestOfficers,
		"OfficerSessions":                  TestOfficerSessions,
		"LoginAttempts":                    TestLoginAttempts,
		"AuditRecent":                      TestAuditRecent,
	} {
		t.Run(name, test)
	}
}
