package flows

import (
	"strconv"
	"testing"
)

func TestTrainingID(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"12", "12", true},
		{" #12 ", "12", true},
		{"no 12", "12", true},
		{"No. 12", "", false},
		{"012", "12", true},
		{"0", "", false},
		{"12a", "", false},
		{"", "", false},
		{"1234567890", "", false},
		{"-3", "", false},
	} {
		got, ok := trainingID(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("trainingID(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzTrainingID: an accepted number is a positive integer in canonical form.
func FuzzTrainingID(f *testing.F) {
	for _, s := range []string{"12", "#7", "no 3", "", "0", "9999999999", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := trainingID(s)
		if !ok {
			return
		}
		n, err := strconv.Atoi(id)
		if err != nil || n < 1 || strconv.Itoa(n) != id {
			t.Fatalf("%q → %q is not a canonical positive number", s, id)
		}
	})
}
