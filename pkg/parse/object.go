package parse

import (
	"bytes"
	"encoding/json"
	"iter"
	"maps"
)

// object is one JSON object whose members are left undecoded, with the exact
// bytes it was read from. It is held one of two ways:
//
//   - members: where the scanner (scan.go) found each member in raw, in order
//     and duplicates included (a lookup takes the last, as a decoder does).
//     This is how nearly every object is read: one pass, no copy of a value.
//   - fields: the members as the decoder (unmarshal) decoded them, for the
//     objects the scanner leaves to it (see decodeObject), and for objects
//     built from a map (ollama's usage, the merged usage of a stream).
//
// Values handed out alias raw; nothing may write to them.
type object struct {
	raw     json.RawMessage
	members []member
	fields  map[string]json.RawMessage
}

// decodeObject reads raw as a JSON object; ok is false for anything else.
// The scanner reads it when it can vouch for it; any other text goes to the
// decoder, as it always did, so that odd inputs keep their old reading.
func decodeObject(raw []byte) (object, bool) {
	if members, ok := scanObject(raw); ok {
		return object{raw: raw, members: members}, true
	}
	if scanValid(raw) && firstByte(raw) != '{' {
		return object{}, false // valid JSON but not an object, e.g. "usage": null
	}
	var m map[string]json.RawMessage
	if unmarshal(raw, &m) != nil || m == nil {
		return object{}, false
	}
	return object{raw: raw, fields: m}, true
}

// firstByte returns the first byte of b after JSON white space, 0 if none.
func firstByte(b []byte) byte {
	s := scanner{b: b}
	s.skipSpace()
	return s.peek()
}

// lookup returns the member key's value, the last one when the key is
// repeated (as decoding into a map keeps).
func (o object) lookup(key string) (json.RawMessage, bool) {
	if o.fields != nil {
		v, ok := o.fields[key]
		return v, ok
	}
	return findMember(o.raw, o.members, key)
}

// keys yields the object's keys; a repeated key may come more than once.
func (o object) keys() iter.Seq[string] {
	return func(yield func(string) bool) {
		if o.fields != nil {
			for k := range o.fields {
				if !yield(k) {
					return
				}
			}
			return
		}
		for _, m := range o.members {
			if !yield(string(o.raw[m.keyStart:m.keyEnd])) {
				return
			}
		}
	}
}

// empty reports whether the object has no members.
func (o object) empty() bool {
	return len(o.fields) == 0 && len(o.members) == 0
}

// onlyKey returns the object's key when it has exactly one (however often
// repeated).
func (o object) onlyKey() (string, bool) {
	if o.fields != nil {
		if len(o.fields) != 1 {
			return "", false
		}
		for k := range o.fields {
			return k, true
		}
	}
	if len(o.members) == 0 {
		return "", false
	}
	first := o.members[0]
	key := o.raw[first.keyStart:first.keyEnd]
	for _, m := range o.members[1:] {
		if !bytes.Equal(o.raw[m.keyStart:m.keyEnd], key) {
			return "", false
		}
	}
	return string(key), true
}

// fieldMap returns the members as a map, the last value of a repeated key
// winning. The map must not be modified: it may be the object's own.
func (o object) fieldMap() map[string]json.RawMessage {
	if o.fields != nil {
		return o.fields
	}
	m := make(map[string]json.RawMessage, len(o.members))
	o.copyTo(m)
	return m
}

// copyTo writes the members into m, the last value of a repeated key
// winning.
func (o object) copyTo(m map[string]json.RawMessage) {
	if o.fields != nil {
		maps.Copy(m, o.fields)
		return
	}
	for _, mem := range o.members {
		m[string(o.raw[mem.keyStart:mem.keyEnd])] = o.raw[mem.valueStart:mem.valueEnd:mem.valueEnd]
	}
}

// merged returns o with the non-null members of each overlay written over
// it, in order: an unreported field does not erase a reported one.
func (o object) merged(overlays []object) object {
	m := make(map[string]json.RawMessage)
	o.copyTo(m)
	for _, over := range overlays {
		for k, v := range over.fieldMap() {
			if !isNull(v) {
				m[k] = v
			}
		}
	}
	return object{fields: m}
}

// has reports whether key is present and not null.
func (o object) has(key string) bool {
	v, ok := o.lookup(key)
	return ok && !isNull(v)
}

// object returns the member key when it is a JSON object.
func (o object) object(key string) (object, bool) {
	v, ok := o.lookup(key)
	if !ok {
		return object{}, false
	}
	return decodeObject(v)
}

// str returns the member key when it is a JSON string, else "".
func (o object) str(key string) string {
	v, ok := o.lookup(key)
	if !ok || len(v) == 0 || v[0] != '"' {
		return ""
	}
	s, _ := stringValue(v)
	return knownString(s)
}

// knownStrings are the type, object and status values that stream chunks
// repeat and readers only compare (see knownString), keyed by themselves.
var knownStrings = func() map[string]string {
	m := make(map[string]string)
	for _, s := range []string{
		// Chat Completions
		"chat.completion", "chat.completion.chunk",
		// Anthropic Messages
		"message", "message_start", "message_delta", "message_stop", "ping", "error",
		"content_block_start", "content_block_delta", "content_block_stop",
		// Responses API
		"response", "response.created", "response.in_progress", "response.completed",
		"response.incomplete", "response.failed", "response.output_item.added",
		"response.output_item.done", "response.content_part.added", "response.content_part.done",
		"response.output_text.delta", "response.output_text.done",
		"completed", "in_progress", "incomplete", "failed",
	} {
		m[s] = s
	}
	return m
}()

// knownString returns b as a string: one of knownStrings without
// allocating (a stream would otherwise copy the same type or object value
// out of every chunk only to compare it), else a copy.
func knownString(b []byte) string {
	if s, ok := knownStrings[string(b)]; ok {
		return s
	}
	return string(b)
}

// stringValue decodes v as a JSON string; ok is false when it is not one. A
// plain string (see plainString) is its own bytes, not copied; others go to
// the decoder.
func stringValue(v []byte) (s []byte, ok bool) {
	if p, ok := plainString(v); ok {
		return p, true
	}
	var decoded string
	if unmarshal(v, &decoded) != nil {
		return nil, false
	}
	return []byte(decoded), true
}

// array returns the member key when it is a JSON array, else nil.
func (o object) array(key string) []json.RawMessage {
	v, ok := o.lookup(key)
	if !ok {
		return nil
	}
	if elems, ok := scanElements(v); ok {
		return elems
	}
	var a []json.RawMessage
	if unmarshal(v, &a) != nil {
		return nil
	}
	return a
}

// count returns the member key as a token count (see countOf); nil when it
// is absent, null or not a count.
func (o object) count(key string) *int64 {
	v, ok := o.lookup(key)
	if !ok {
		return nil
	}
	return countOf(v)
}

// countOrZero is count for vendors that omit zero-valued fields (proto3
// JSON): absent or null is 0, a present value that is not a count is nil.
func (o object) countOrZero(key string) *int64 {
	if !o.has(key) {
		return ptr(0)
	}
	return o.count(key)
}

// path returns the count at a nested path, e.g. path("prompt_tokens_details",
// "cached_tokens"): nil unless each key but the last names an object.
func (o object) path(keys ...string) *int64 {
	if len(keys) == 0 {
		return nil
	}
	v, ok := o.lookup(keys[0])
	for _, k := range keys[1:] {
		if !ok {
			return nil
		}
		v, ok = memberOf(v, k)
	}
	if !ok {
		return nil
	}
	return countOf(v)
}

// memberOf returns the member key of raw when raw is a JSON object: what
// decodeObject then lookup would give, without building the object when the
// scanner vouches for raw.
func memberOf(raw []byte, key string) (json.RawMessage, bool) {
	if v, found, ok := scanMember(raw, key); ok {
		return v, found
	}
	o, ok := decodeObject(raw)
	if !ok {
		return nil, false
	}
	return o.lookup(key)
}

// hasAny reports whether any of keys is present and not null.
func (o object) hasAny(keys ...string) bool {
	for _, k := range keys {
		if o.has(k) {
			return true
		}
	}
	return false
}

// isNull reports whether v is JSON null, which vendors send for a member
// they do not report.
func isNull(v json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}
