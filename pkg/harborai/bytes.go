package harborai

import "unsafe"

// bytesToString returns b as a string without copying it, for the bodies an
// event keeps, which can be megabytes: b must not be written to afterwards.
// (strings.Builder does the same.)
func bytesToString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// stringToBytes returns s's bytes without a copy; they must not be
// written to.
func stringToBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
