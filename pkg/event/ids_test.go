package event_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/harborai/ingest/pkg/event"
)

func TestNewID(t *testing.T) {
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = event.NewID()
	}
	for _, id := range ids[:3] {
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 {
			t.Errorf("NewID() = %q (%v), want a UUIDv7", id, err)
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("NewID() ids do not sort in creation order")
	}
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("NewID() repeated an id")
	}
}

// TestNewIDConcurrent: ids made on many goroutines at once are UUIDv7s,
// all different, each goroutine's in increasing order, and carry the time
// they were made at.
func TestNewIDConcurrent(t *testing.T) {
	const goroutines, each = 8, 2000
	before := time.Now()
	ids := make([][]string, goroutines)
	var wg sync.WaitGroup
	for g := range ids {
		wg.Go(func() {
			for range each {
				ids[g] = append(ids[g], event.NewID())
			}
		})
	}
	wg.Wait()
	after := time.Now()
	seen := make(map[string]bool, goroutines*each)
	for g := range ids {
		if !slices.IsSorted(ids[g]) {
			t.Errorf("NewID() on goroutine %d: ids out of creation order", g)
		}
		for _, id := range ids[g] {
			if seen[id] {
				t.Fatalf("NewID() repeated %s", id)
			}
			seen[id] = true
		}
	}
	for _, id := range []string{ids[0][0], ids[goroutines-1][each-1]} {
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("NewID() = %q (%v), want a UUIDv7 of the RFC 9562 variant", id, err)
		}
		sec, nsec := u.Time().UnixTime()
		if ms := time.Unix(sec, nsec).UnixMilli(); ms < before.UnixMilli() || ms > after.UnixMilli()+1 {
			t.Errorf("NewID() = %q carries %d ms, want between %d and %d", id, ms, before.UnixMilli(), after.UnixMilli())
		}
	}
}

func TestNewCallIDs(t *testing.T) {
	start := time.Now()
	a, b := event.NewCallIDs(start), event.NewCallIDs(start)
	for _, ids := range []event.CallIDs{a, b} {
		if u, err := uuid.Parse(ids.CallID); err != nil || u.Version() != 7 {
			t.Errorf("NewCallIDs().CallID = %q (%v), want a UUIDv7", ids.CallID, err)
		}
		if want := fmt.Sprintf("hb_%013d_", start.UnixMilli()); !strings.HasPrefix(ids.HBTraceID, want) || !event.ValidHBTraceID(ids.HBTraceID) {
			t.Errorf("NewCallIDs().HBTraceID = %q, want %s + 8 hex", ids.HBTraceID, want)
		}
		if !event.ValidTraceID(ids.TraceID) || !event.ValidSpanID(ids.SpanID) {
			t.Errorf("NewCallIDs() trace, span = %q, %q, want valid ids", ids.TraceID, ids.SpanID)
		}
	}
	if a.CallID >= b.CallID || a.HBTraceID == b.HBTraceID || a.TraceID == b.TraceID || a.SpanID == b.SpanID {
		t.Errorf("NewCallIDs() twice = %+v, %+v, want new ids, call ids in order", a, b)
	}
	// Outside hb_trace_id's range: as NewHBTraceID, which Validate refuses.
	if ids := event.NewCallIDs(time.UnixMilli(-1)); !strings.HasPrefix(ids.HBTraceID, "hb_-000000000001_") || !event.ValidTraceID(ids.TraceID) {
		t.Errorf("NewCallIDs(before 1970) = %+v, want NewHBTraceID's form", ids)
	}
}

func TestNewTraceAndSpanID(t *testing.T) {
	traces, spans := map[string]bool{}, map[string]bool{}
	for range 1000 {
		tr, sp := event.NewTraceID(), event.NewSpanID()
		if !event.ValidTraceID(tr) || !event.ValidSpanID(sp) {
			t.Fatalf("NewTraceID(), NewSpanID() = %q, %q, want valid ids", tr, sp)
		}
		if traces[tr] || spans[sp] {
			t.Fatalf("NewTraceID(), NewSpanID() repeated %q or %q", tr, sp)
		}
		traces[tr], spans[sp] = true, true
	}
}

// TestValidIDsMatchTheirPatterns checks the validators against the
// regular expressions the formats are written as (docs/events.md), on the
// table cases below and on random near-misses.
func TestValidIDsMatchTheirPatterns(t *testing.T) {
	patterns := []struct {
		name  string
		re    *regexp.Regexp
		zero  string
		valid func(string) bool
		like  string
	}{
		{"hb_trace_id", regexp.MustCompile(`^hb_[0-9]{13}_[0-9a-f]{8}$`), "", event.ValidHBTraceID, "hb_1795680000000_3fa9c2e1"},
		{"trace_id", regexp.MustCompile(`^[0-9a-f]{32}$`), "00000000000000000000000000000000", event.ValidTraceID, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"span_id", regexp.MustCompile(`^[0-9a-f]{16}$`), "0000000000000000", event.ValidSpanID, "00f067aa0ba902b7"},
	}
	const alphabet = "0123456789abcdefABCDEF_hbx-\n Z"
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range patterns {
		for i := range 20000 {
			s := []byte(p.like)
			switch i % 4 {
			case 0: // one byte changed
				s[r.IntN(len(s))] = alphabet[r.IntN(len(alphabet))]
			case 1: // one byte more or less
				if r.IntN(2) == 0 {
					s = s[:len(s)-1]
				} else {
					s = append(s, alphabet[r.IntN(len(alphabet))])
				}
			case 2: // random over the alphabet
				for j := range s {
					s[j] = alphabet[r.IntN(len(alphabet))]
				}
			}
			want := p.re.Match(s) && string(s) != p.zero
			if got := p.valid(string(s)); got != want {
				t.Fatalf("%s: valid(%q) = %v, want %v", p.name, s, got, want)
			}
		}
	}
}

func TestNewHBTraceID(t *testing.T) {
	cases := []struct {
		t      time.Time
		prefix string
	}{
		{time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC), "hb_1795680000000_"},
		{time.Date(2026, 11, 26, 16, 0, 0, 123456789, time.FixedZone("CST", 8*3600)), "hb_1795680000123_"},
		{time.Unix(0, 0), "hb_0000000000000_"},
		{time.UnixMilli(1), "hb_0000000000001_"},
		{time.UnixMilli(9999999999999), "hb_9999999999999_"}, // 2286-11-20, the last 13-digit millisecond
	}
	for _, tc := range cases {
		got := event.NewHBTraceID(tc.t)
		if !strings.HasPrefix(got, tc.prefix) || !event.ValidHBTraceID(got) {
			t.Errorf("NewHBTraceID(%v) = %q, want %s + 8 hex", tc.t, got, tc.prefix)
		}
	}
	a, b := event.NewHBTraceID(testStart), event.NewHBTraceID(testStart)
	if a == b {
		t.Errorf("NewHBTraceID() twice = %q, want random suffixes", a)
	}
	// Outside the 13 digits the format has: written as it always was (an
	// id Validate refuses, with the start time Validate refuses too).
	for _, tc := range []struct {
		t      time.Time
		prefix string
	}{
		{time.UnixMilli(-1), "hb_-000000000001_"},
		{time.UnixMilli(10_000_000_000_000), "hb_10000000000000_"},
	} {
		if got := event.NewHBTraceID(tc.t); !strings.HasPrefix(got, tc.prefix) || len(got) != len(tc.prefix)+8 || event.ValidHBTraceID(got) {
			t.Errorf("NewHBTraceID(%v) = %q, want %s + 8 hex, not valid", tc.t, got, tc.prefix)
		}
	}
}

func TestValidHBTraceID(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"hb_1795680000000_3fa9c2e1", true},
		{"hb_0000000000000_00000000", true},
		{"", false},
		{"hb_1795680000000_3fa9c2e", false},
		{"hb_1795680000000_3fa9c2e1f", false},
		{"hb_179568000000_3fa9c2e1", false},
		{"hb_17956800000000_3fa9c2e1", false},
		{"HB_1795680000000_3fa9c2e1", false},
		{"hb_1795680000000_3FA9C2E1", false},
		{"hb_1795680000000-3fa9c2e1", false},
		{"hb_-795680000000_3fa9c2e1", false},
		{" hb_1795680000000_3fa9c2e1", false},
		{"hb_1795680000000_3fa9c2e1\n", false},
	}
	for _, tc := range cases {
		if got := event.ValidHBTraceID(tc.id); got != tc.want {
			t.Errorf("ValidHBTraceID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestValidTraceID(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"4bf92f3577b34da6a3ce929d0e0e4736", true},
		{"00000000000000000000000000000001", true},
		{"00000000000000000000000000000000", false},
		{"4bf92f3577b34da6a3ce929d0e0e473", false},
		{"4bf92f3577b34da6a3ce929d0e0e47360", false},
		{"4BF92F3577B34DA6A3CE929D0E0E4736", false},
		{"4bf92f35-77b3-4da6-a3ce-929d0e0e", false},
		{"", false},
	}
	for _, tc := range cases {
		if got := event.ValidTraceID(tc.id); got != tc.want {
			t.Errorf("ValidTraceID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestValidSpanID(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"00f067aa0ba902b7", true},
		{"0000000000000001", true},
		{"0000000000000000", false},
		{"00f067aa0ba902b", false},
		{"00F067AA0BA902B7", false},
		{"00f067aa0ba902b7a", false},
		{"", false},
	}
	for _, tc := range cases {
		if got := event.ValidSpanID(tc.id); got != tc.want {
			t.Errorf("ValidSpanID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestFillIDs(t *testing.T) {
	bare := func(callID string) *event.Event {
		e := newEvent(event.KindRequest)
		e.CallID = callID
		e.HBTraceID, e.TraceID, e.SpanID, e.ParentSpanID = "", "", "", ""
		return e
	}

	t.Run("derived ids are valid and carry the start time", func(t *testing.T) {
		e := bare("call-1")
		e.FillIDs()
		if !event.ValidTraceID(e.TraceID) || !event.ValidSpanID(e.SpanID) || !event.ValidHBTraceID(e.HBTraceID) {
			t.Errorf("FillIDs() = %q %q %q, want valid ids", e.HBTraceID, e.TraceID, e.SpanID)
		}
		if want := fmt.Sprintf("hb_%013d_", testStart.UnixMilli()); !strings.HasPrefix(e.HBTraceID, want) {
			t.Errorf("FillIDs() hb_trace_id = %q, want prefix %q", e.HBTraceID, want)
		}
		if e.ParentSpanID != "" {
			t.Errorf("FillIDs() set parent_span_id %q, want none", e.ParentSpanID)
		}
		if err := e.Validate(); err != nil {
			t.Errorf("Validate() after FillIDs() = %v", err)
		}
	})

	t.Run("every event of a call gets the same ids", func(t *testing.T) {
		req := bare("call-1")
		resp := bare("call-1")
		resp.Kind, resp.EventID, resp.Request = event.KindResponse, "another-event", nil
		resp.Response = &event.Response{Status: event.StatusSuccess, FinishedAt: testStart.Add(time.Second)}
		req.FillIDs()
		resp.FillIDs()
		if req.HBTraceID != resp.HBTraceID || req.TraceID != resp.TraceID || req.SpanID != resp.SpanID {
			t.Errorf("FillIDs() gave a call's events different ids: %q %q %q and %q %q %q",
				req.HBTraceID, req.TraceID, req.SpanID, resp.HBTraceID, resp.TraceID, resp.SpanID)
		}
	})

	t.Run("fixed for a call id", func(t *testing.T) {
		// The derivation is part of the format (docs/events.md): trace_id,
		// span_id and the hb_trace_id suffix are consecutive hex digits of
		// SHA-256("harborai/" + call_id).
		e := bare("call-1")
		e.FillIDs()
		want := [3]string{"hb_1795680000000_fdc8f2ec", "9d6486248a341dfe0fdea4834b788692", "cdd46fbc9510da51"}
		if got := [3]string{e.HBTraceID, e.TraceID, e.SpanID}; got != want {
			t.Errorf("FillIDs() for call-1 = %q, want %q", got, want)
		}
	})

	t.Run("different calls get different ids", func(t *testing.T) {
		a, b := bare("call-1"), bare("call-2")
		a.FillIDs()
		b.FillIDs()
		if a.TraceID == b.TraceID || a.SpanID == b.SpanID || a.HBTraceID == b.HBTraceID {
			t.Errorf("FillIDs() gave two calls the same ids: %+v %+v", a, b)
		}
	})

	t.Run("present ids are kept", func(t *testing.T) {
		derived := bare("call-1")
		derived.FillIDs()
		const hb, tr, sp = "hb_1111111111111_aaaaaaaa", "11111111111111111111111111111111", "2222222222222222"
		cases := []struct {
			name       string
			hb, tr, sp string
		}{
			{"all", hb, tr, sp},
			{"hb_trace_id only", hb, "", ""},
			{"trace_id only", "", tr, ""},
			{"span_id only", "", "", sp},
			{"trace and span", "", tr, sp},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := bare("call-1")
				e.HBTraceID, e.TraceID, e.SpanID = tc.hb, tc.tr, tc.sp
				e.FillIDs()
				want := [3]string{tc.hb, tc.tr, tc.sp}
				for i, d := range [3]string{derived.HBTraceID, derived.TraceID, derived.SpanID} {
					if want[i] == "" {
						want[i] = d
					}
				}
				if got := [3]string{e.HBTraceID, e.TraceID, e.SpanID}; got != want {
					t.Errorf("FillIDs() = %q, want %q", got, want)
				}
			})
		}
	})

	t.Run("idempotent", func(t *testing.T) {
		e := bare("call-1")
		e.FillIDs()
		once := *e
		e.FillIDs()
		if once.HBTraceID != e.HBTraceID || once.TraceID != e.TraceID || once.SpanID != e.SpanID {
			t.Errorf("FillIDs() twice changed the ids")
		}
	})
}

// TestFillIDsGivesValidHBTraceIDs checks that FillIDs gives every valid
// event an hb_trace_id in the format: it holds 13 digits of epoch
// milliseconds, so a start before 1970 or after 2286-11-20 would give
// "hb_-315619200000_..." (Validate refuses such starts).
func TestFillIDsGivesValidHBTraceIDs(t *testing.T) {
	for _, start := range []time.Time{
		time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		e := newEvent(event.KindRequest)
		e.HBTraceID, e.StartedAt = "", start
		if err := e.Validate(); err != nil {
			continue // rejected up front: fine
		}
		e.FillIDs()
		if !event.ValidHBTraceID(e.HBTraceID) {
			t.Errorf("FillIDs() for a valid event started %v = hb_trace_id %q, want the hb_ format", start, e.HBTraceID)
		}
	}
}
