package store

// SetFindSmall lets tests take a search's walking path with few
// registrations; it returns the undo.
func SetFindSmall(n int) func() {
	old, chunk := findSmall, findChunk
	findSmall = n
	if n == 0 {
		findChunk = 3 // and the walk crosses many chunks, ties at their edges
	}
	return func() { findSmall, findChunk = old, chunk }
}
