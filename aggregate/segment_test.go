package aggregate

import (
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

// TestSegmentSet checks segmentSet.contains against the plain scan on
// random sessions of 0 to 40 segments drawn from a small pool (so that
// they repeat), past the point where it switches to hashing.
func TestSegmentSet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pool := [][]byte{{}, {1}, {1, 2}, {2, 1}, {1, 2, 3}, {0}, {0, 0}, {9, 9, 9, 9}}
	for range 2000 {
		var key []byte
		var ends []int
		var s segmentSet
		for range r.IntN(40) {
			start := len(key)
			key = append(key, pool[r.IntN(len(pool))]...)
			want := containsSegment(key, ends, start)
			if got := s.contains(key, ends, start); got != want {
				t.Fatalf("contains(%v, %v, %d) = %v, want %v", key, ends, start, got, want)
			}
			if want {
				key = key[:start]
				continue
			}
			ends = append(ends, len(key))
		}
	}
}

// TestSegmentSetCollision: a hash shared by two different segments still
// gives the right answer.
func TestSegmentSetCollision(t *testing.T) {
	var key []byte
	var ends []int
	var s segmentSet
	for i := range maxScanSegments + 1 {
		start := len(key)
		key = append(key, byte(i))
		if s.contains(key, ends, start) {
			t.Fatalf("segment %d found before it was added", i)
		}
		ends = append(ends, len(key))
	}
	// Make segment {100} collide with segment 0 ({0}), then add it, then
	// look for it again.
	h := maphash.Bytes(s.seed, []byte{100})
	s.first[h] = 0
	start := len(key)
	key = append(key, 100)
	if s.contains(key, ends, start) {
		t.Fatal("a colliding new segment was taken for a repeat")
	}
	ends = append(ends, len(key))
	start = len(key)
	key = append(key, 100)
	if !s.contains(key, ends, start) {
		t.Fatal("a repeat of a colliding segment was not found")
	}
}
