package event

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Ids are made on the caller's goroutine, several per call, so making one
// takes no lock and no system call: the random bits come from ChaCha8
// generators (cryptographically strong), each seeded from crypto/rand, kept
// in a sync.Pool (in effect one per P). UUIDv7 ordering needs one shared
// word, updated with compare-and-swap.

var sources = sync.Pool{New: func() any {
	var seed [32]byte
	_, _ = rand.Read(seed[:]) // crypto/rand.Read does not return errors (it crashes instead)
	return mrand.NewChaCha8(seed)
}}

// random returns 64 random bits.
func random() uint64 {
	s := sources.Get().(*mrand.ChaCha8)
	x := s.Uint64()
	sources.Put(s)
	return x
}

// lastV7 is the last UUIDv7 time stamp given out: epoch milliseconds << 12
// | the sub-millisecond fraction in units of 256 ns (RFC 9562 method 3,
// as github.com/google/uuid does).
var lastV7 atomic.Int64

// v7Stamp returns a time stamp greater than any returned before, so ids of
// one process sort in creation order even when the clock steps back.
func v7Stamp() int64 {
	nano := time.Now().UnixNano()
	ms := nano / 1e6
	now := ms<<12 | (nano-ms*1e6)>>8
	for {
		last := lastV7.Load()
		next := max(now, last+1)
		if lastV7.CompareAndSwap(last, next) {
			return next
		}
	}
}

// NewID returns a new event or call id: a UUIDv7 (48 bits of epoch
// milliseconds, 12 bits of sub-millisecond time, 62 random bits), so ids
// sort by creation time; within a process they are strictly increasing.
func NewID() string {
	var s [uuidLen]byte
	putUUIDv7(s[:], random())
	return string(s[:])
}

// NewHBTraceID returns HarborAI's own trace id for a call started at t:
// "hb_" + 13-digit epoch milliseconds + "_" + 8 random hex digits.
func NewHBTraceID(t time.Time) string {
	ms, r := t.UnixMilli(), uint32(random())
	if !hbMillis(ms) {
		return fmt.Sprintf("hb_%013d_%08x", ms, r) // not a valid id, as before
	}
	var s [hbTraceIDLen]byte
	putHBTraceID(s[:], ms, r)
	return string(s[:])
}

// NewTraceID returns a random OpenTelemetry trace id: 32 lower-case hex
// digits, never all zero.
func NewTraceID() string {
	var s [traceIDLen]byte
	a, b := random(), random()
	putTraceID(s[:], a, b)
	return string(s[:])
}

// NewSpanID returns a random OpenTelemetry span id: 16 lower-case hex
// digits, never all zero.
func NewSpanID() string {
	var s [spanIDLen]byte
	putSpanID(s[:], random())
	return string(s[:])
}

// CallIDs are a new call's ids.
type CallIDs struct {
	CallID    string // NewID
	HBTraceID string // NewHBTraceID
	TraceID   string // NewTraceID
	SpanID    string // NewSpanID
}

// NewCallIDs returns the ids of a call started at t, as NewID,
// NewHBTraceID, NewTraceID and NewSpanID would, in one allocation.
func NewCallIDs(t time.Time) CallIDs {
	ms := t.UnixMilli()
	if !hbMillis(ms) {
		return CallIDs{NewID(), NewHBTraceID(t), NewTraceID(), NewSpanID()}
	}
	src := sources.Get().(*mrand.ChaCha8)
	r := [5]uint64{src.Uint64(), src.Uint64(), src.Uint64(), src.Uint64(), src.Uint64()}
	sources.Put(src)
	const hb, tr, sp = uuidLen, uuidLen + hbTraceIDLen, uuidLen + hbTraceIDLen + traceIDLen
	var b [sp + spanIDLen]byte
	putUUIDv7(b[:hb], r[0])
	putHBTraceID(b[hb:tr], ms, uint32(r[1]))
	putTraceID(b[tr:sp], r[2], r[3])
	putSpanID(b[sp:], r[4])
	s := string(b[:])
	return CallIDs{CallID: s[:hb], HBTraceID: s[hb:tr], TraceID: s[tr:sp], SpanID: s[sp:]}
}

const uuidLen, hbTraceIDLen, traceIDLen, spanIDLen = 36, 25, 32, 16

// putUUIDv7 writes a new UUIDv7 with random bits r into dst[:36].
func putUUIDv7(dst []byte, r uint64) {
	var u [16]byte
	t := v7Stamp()
	ms, seq := uint64(t>>12), uint64(t&0xfff)
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	u[6], u[7] = 0x70|byte(seq>>8), byte(seq)
	for i := range 8 {
		u[8+i] = byte(r >> (56 - 8*i))
	}
	u[8] = u[8]&0x3f | 0x80 // the RFC 9562 variant
	hex.Encode(dst[0:8], u[0:4])
	dst[8] = '-'
	hex.Encode(dst[9:13], u[4:6])
	dst[13] = '-'
	hex.Encode(dst[14:18], u[6:8])
	dst[18] = '-'
	hex.Encode(dst[19:23], u[8:10])
	dst[23] = '-'
	hex.Encode(dst[24:36], u[10:16])
}

// hbMillis reports whether ms fits hb_trace_id's 13 digits.
func hbMillis(ms int64) bool { return ms >= 0 && ms <= 9_999_999_999_999 }

// putHBTraceID writes hb_ + ms as 13 digits + _ + r as 8 hex into dst[:25].
func putHBTraceID(dst []byte, ms int64, r uint32) {
	copy(dst, "hb_")
	for i := 15; i >= 3; i-- {
		dst[i] = '0' + byte(ms%10)
		ms /= 10
	}
	dst[16] = '_'
	hexUint(dst[17:25], uint64(r))
}

// putTraceID writes a and b as 32 hex digits into dst[:32], never all
// zero.
func putTraceID(dst []byte, a, b uint64) {
	if a|b == 0 {
		b = 1 // one chance in 2^128
	}
	hexUint(dst[:16], a)
	hexUint(dst[16:32], b)
}

// putSpanID writes x as 16 hex digits into dst[:16], never all zero.
func putSpanID(dst []byte, x uint64) {
	if x == 0 {
		x = 1 // one chance in 2^64
	}
	hexUint(dst[:16], x)
}

// hexUint writes the low 4*len(dst) bits of x into dst as lower-case hex.
func hexUint(dst []byte, x uint64) {
	const digits = "0123456789abcdef"
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = digits[x&0xf]
		x >>= 4
	}
}

// ValidHBTraceID reports whether s has the hb_trace_id format:
// hb_ + 13 digits + _ + 8 lower-case hex digits.
func ValidHBTraceID(s string) bool {
	if len(s) != 25 || s[:3] != "hb_" || s[16] != '_' {
		return false
	}
	for i := 3; i < 16; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return lowerHex(s[17:])
}

// ValidTraceID reports whether s is a valid, non-zero OpenTelemetry trace id.
func ValidTraceID(s string) bool {
	return len(s) == 32 && lowerHex(s) && s != "00000000000000000000000000000000"
}

// ValidSpanID reports whether s is a valid, non-zero OpenTelemetry span id.
func ValidSpanID(s string) bool {
	return len(s) == 16 && lowerHex(s) && s != "0000000000000000"
}

// lowerHex reports whether s is lower-case hex digits only.
func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// FillIDs gives an event whose publisher did not assign trace ids the ids
// derived from its call id, so every event of the call gets the same ones.
// Ids already present are kept.
func (e *Event) FillIDs() {
	if e.HBTraceID != "" && e.TraceID != "" && e.SpanID != "" {
		return
	}
	sum := sha256.Sum256([]byte("harborai/" + e.CallID))
	h := hex.EncodeToString(sum[:])
	if e.TraceID == "" {
		e.TraceID = h[:32]
	}
	if e.SpanID == "" {
		e.SpanID = h[32:48]
	}
	if e.HBTraceID == "" {
		e.HBTraceID = fmt.Sprintf("hb_%013d_%s", e.StartedAt.UnixMilli(), h[48:56])
	}
}
