package replay

import (
	"runtime"
	"strings"
	"testing"

	"github.com/harborai/ingest/pkg/event"
)

func TestIDSetKeepsIDsAsText(t *testing.T) {
	s := newIDSet()
	lower := "0193a5c8-7d2e-7c1a-9f3b-5e6d7c8b9a01"
	upper := strings.ToUpper(lower)
	for _, id := range []string{lower, "app-call-1", ""} {
		s.add(id)
	}
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{lower, true},
		{upper, false}, // another text: PostgreSQL stores it as another call
		{"app-call-1", true},
		{"", true},
		{"0193a5c8-7d2e-7c1a-9f3b-5e6d7c8b9a02", false},
		{"0193a5c87d2e-7c1a-9f3b-5e6d7c8b9a01-", false}, // the same digits, dashes elsewhere
		{"app-call-2", false},
	} {
		if got := s.has(tc.id); got != tc.want {
			t.Errorf("has(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
	if s.len() != 3 {
		t.Errorf("len() = %d, want 3", s.len())
	}
	s.add(upper)
	if !s.has(upper) || s.len() != 4 {
		t.Errorf("after add(%q): has = %v, len = %d, want true, 4", upper, s.has(upper), s.len())
	}
}

func TestCanonicalUUID(t *testing.T) {
	for _, id := range []string{
		"0193a5c8-7d2e-7c1a-9f3b-5e6d7c8b9a0",   // short
		"0193a5c8-7d2e-7c1a-9f3b-5e6d7c8b9a011", // long
		"0193a5c8-7d2e-7c1a-9f3b-5e6d7c8b9a0g",  // not hex
		"0193A5C8-7d2e-7c1a-9f3b-5e6d7c8b9a01",  // capitals
		"0193a5c8_7d2e-7c1a-9f3b-5e6d7c8b9a01",  // not a dash
		"{193a5c8-7d2e-7c1a-9f3b-5e6d7c8b9a01}",
	} {
		if _, ok := canonicalUUID(id); ok {
			t.Errorf("canonicalUUID(%q) ok, want not a canonical UUID", id)
		}
	}
	id := event.NewID()
	u, ok := canonicalUUID(id)
	if !ok {
		t.Fatalf("canonicalUUID(%q) not ok", id)
	}
	if got := formatUUID(u); got != id {
		t.Errorf("bytes of %q format as %q", id, got)
	}
}

// FuzzIDSet checks the set against a map of the texts.
func FuzzIDSet(f *testing.F) {
	f.Add("0193a5c8-7d2e-7c1a-9f3b-5e6d7c8b9a01", "0193A5C8-7D2E-7C1A-9F3B-5E6D7C8B9A01")
	f.Add("app-call-1", "0193a5c8-7d2e-7c1a-9f3b-5e6d7c8b9a01")
	f.Add("", "-")
	f.Fuzz(func(t *testing.T, a, b string) {
		s, m := newIDSet(), map[string]bool{}
		s.add(a)
		m[a] = true
		for _, id := range []string{a, b} {
			if s.has(id) != m[id] {
				t.Fatalf("after add(%q): has(%q) = %v, want %v", a, id, s.has(id), m[id])
			}
		}
		if u, ok := canonicalUUID(b); ok && formatUUID(u) != b {
			t.Fatalf("canonicalUUID(%q) took it, but its bytes format as %q", b, formatUUID(u))
		}
	})
}

func formatUUID(u [16]byte) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b.WriteByte('-')
		}
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// BenchmarkSeenIDs reports the heap a run's set of written call ids takes
// per id, for 300,000 call ids as the client makes them, against the map of
// strings it replaced:
//
//	go test -run '^$' -bench SeenIDs -benchtime 1x ./internal/replay
func BenchmarkSeenIDs(b *testing.B) {
	const n = 300_000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = event.NewID()
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	b.Run("idSet", func(b *testing.B) {
		for b.Loop() {
			before := heap()
			s := newIDSet()
			for _, id := range ids {
				s.add(strings.Clone(id)) // as each batch's decoded ids are
			}
			b.ReportMetric(float64(int64(heap())-int64(before))/n, "heap-B/id")
			runtime.KeepAlive(s)
		}
	})
	b.Run("map-of-strings", func(b *testing.B) {
		for b.Loop() {
			before := heap()
			m := map[string]bool{}
			for _, id := range ids {
				m[strings.Clone(id)] = true
			}
			b.ReportMetric(float64(int64(heap())-int64(before))/n, "heap-B/id")
			runtime.KeepAlive(m)
		}
	})
}
