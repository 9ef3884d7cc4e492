package parse

import (
	"bytes"
	"encoding/json"
)

// object is one decoded JSON object whose members are left undecoded, with
// the exact bytes it was decoded from.
type object struct {
	raw    json.RawMessage
	fields map[string]json.RawMessage
}

// decodeObject decodes raw as a JSON object; ok is false for anything else.
func decodeObject(raw []byte) (object, bool) {
	var m map[string]json.RawMessage
	if unmarshal(raw, &m) != nil || m == nil {
		return object{}, false
	}
	return object{raw: raw, fields: m}, true
}

// has reports whether key is present and not null.
func (o object) has(key string) bool {
	v, ok := o.fields[key]
	return ok && !isNull(v)
}

// object returns the member key when it is a JSON object.
func (o object) object(key string) (object, bool) {
	v, ok := o.fields[key]
	if !ok {
		return object{}, false
	}
	return decodeObject(v)
}

// str returns the member key when it is a JSON string, else "".
func (o object) str(key string) string {
	v, ok := o.fields[key]
	if !ok || len(v) == 0 || v[0] != '"' {
		return ""
	}
	var s string
	if unmarshal(v, &s) != nil {
		return ""
	}
	return s
}

// array returns the member key when it is a JSON array, else nil.
func (o object) array(key string) []json.RawMessage {
	v, ok := o.fields[key]
	if !ok {
		return nil
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
	v, ok := o.fields[key]
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
// "cached_tokens").
func (o object) path(keys ...string) *int64 {
	cur := o
	for i, k := range keys {
		if i == len(keys)-1 {
			return cur.count(k)
		}
		next, ok := cur.object(k)
		if !ok {
			return nil
		}
		cur = next
	}
	return nil
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

func isNull(v json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}
