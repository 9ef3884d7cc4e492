package replay

import (
	"strings"

	"github.com/google/uuid"
)

// idSet is a set of stored call ids. A run remembers every call it wrote,
// which for a large backfill is millions of ids: most are UUIDs in their
// canonical text (the client's and the ingestor's call ids), which the set
// keeps as their 16 bytes: 32 bytes of heap an id, where a map of their
// texts took 95 (BenchmarkSeenIDs). Any other id (an application's own, a
// UUID in capitals) is kept as its text: ids are compared as text, as
// PostgreSQL stores them.
type idSet struct {
	uuids map[[16]byte]struct{}
	other map[string]struct{}
}

func newIDSet() *idSet {
	return &idSet{uuids: map[[16]byte]struct{}{}, other: map[string]struct{}{}}
}

// has reports whether id is in s.
func (s *idSet) has(id string) bool {
	if u, ok := canonicalUUID(id); ok {
		_, in := s.uuids[u]
		return in
	}
	_, in := s.other[id]
	return in
}

// add puts id in s.
func (s *idSet) add(id string) {
	if u, ok := canonicalUUID(id); ok {
		s.uuids[u] = struct{}{}
		return
	}
	s.other[id] = struct{}{}
}

// len is the number of ids in s.
func (s *idSet) len() int { return len(s.uuids) + len(s.other) }

// canonicalUUID returns the bytes of id when id is a UUID in canonical
// form (8-4-4-4-12 lowercase hex digits), the one text of those bytes: two
// such ids are the same text exactly when their bytes are the same.
// uuid.Parse also takes capitals, which are another text, and other forms,
// which are not 36 bytes long.
func canonicalUUID(id string) ([16]byte, bool) {
	if len(id) != 36 || strings.ToLower(id) != id {
		return [16]byte{}, false
	}
	u, err := uuid.Parse(id)
	return u, err == nil
}
