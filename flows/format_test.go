package flows

import (
	"strings"
	"testing"
)

// TestSpaced: spaced gives what joining the fields gives, and builds
// nothing for an answer that is one-spaced already.
func TestSpaced(t *testing.T) {
	for _, s := range []string{"", " ", "Warung Budi", "Warung  Budi", " Warung Budi", "Warung Budi ", "Jl. Raya Anjun No. 5",
		"a\tb", "a\nb", "a\u00a0b", "a \u3000b", "Siti\u2003Aminah", "keripik", "é è", "  ", "x y z"} {
		want := strings.Join(strings.Fields(s), " ")
		got := spaced(s)
		if got != want {
			t.Errorf("spaced(%q) = %q, want %q", s, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { spaced("Jl. Raya Anjun No. 5") }); n != 0 {
		t.Errorf("spaced of a one-spaced answer allocates %v times", n)
	}
}
