package store_test

import (
	"testing"

	"github.com/umkmbot/umkmbot/store/redistest"
)

// TestTrainingsCluster runs the training and reminder tests on a
// three-master Redis Cluster: each seat, cancel, capacity, check-in, claim
// and notice script must stay inside its {t:<id>} or {rem} slot.
func TestTrainingsCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	c := redistest.NewCluster(t, 3)
	clusterAddrs = c.Options().Addrs
	defer func() { clusterAddrs = nil }()
	for name, test := range map[string]func(*testing.T){
		"EnrolConcurrent":             TestEnrolConcurrent,
		"EnrolFullWithoutWaitlist":    TestEnrolFullWithoutWaitlistStoresNothing,
		"EnrolClosed":                 TestEnrolClosed,
		"CancelPromotes":              TestCancelPromotes,
		"CancelRace":                  TestCancelRace,
		"CapacityEdit":                TestCapacityEdit,
		"CheckIn":                     TestCheckIn,
		"EnrolmentsOfAndTrainings":    TestEnrolmentsOfAndTrainings,
		"SeatInvariant":               TestSeatInvariant,
		"RemindersOncePerParticipant": TestRemindersOncePerParticipant,
		"RemindersAfterRestart":       TestRemindersAfterRestart,
		"RemindersTooLate":            TestRemindersTooLate,
		"RemindersRun":                TestRemindersRun,
		"NoticesQueue":                TestNoticesQueue,
	} {
		t.Run(name, test)
	}
}
