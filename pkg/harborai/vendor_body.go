package harborai

import (
	"encoding/json"
	"strings"
)

// This file reads the few top-level fields of a request body the transport
// needs (model, stream, stream_options) and adds
// stream_options.include_usage, without decoding the body: a request may
// carry megabytes of messages, and this runs on the caller's goroutine.

// member is one member of a JSON object: its key as written (escapes not
// decoded) and the offsets of its value.
type member struct {
	key        string
	start, end int // the value is s[start:end]
}

// scanObject returns the members of s and true when s is one JSON object
// (surrounded by whitespace at most); otherwise the members read before the
// first problem (a body cut at the size limit keeps its first members) and
// false. It checks the structure (strings, nesting, separators) but not the
// scalars, which the vendor validates.
func scanObject(s string) ([]member, bool) { return appendMembers(nil, s) }

// appendMembers is scanObject appending to ms.
func appendMembers(ms []member, s string) ([]member, bool) {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return ms, false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return ms, skipSpace(s, i+1) == len(s)
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return ms, false
		}
		kEnd, ok := skipString(s, i)
		if !ok {
			return ms, false
		}
		key := s[i+1 : kEnd-1]
		i = skipSpace(s, kEnd)
		if i >= len(s) || s[i] != ':' {
			return ms, false
		}
		i = skipSpace(s, i+1)
		vEnd, ok := skipValue(s, i)
		if !ok {
			return ms, false
		}
		ms = append(ms, member{key: key, start: i, end: vEnd})
		i = skipSpace(s, vEnd)
		switch {
		case i < len(s) && s[i] == ',':
			i = skipSpace(s, i+1)
		case i < len(s) && s[i] == '}':
			return ms, skipSpace(s, i+1) == len(s)
		default:
			return ms, false
		}
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the offset after the string starting at s[i] == '"':
// at the first quote not escaped, one after an even number of backslashes.
func skipString(s string, i int) (int, bool) {
	for j := i + 1; ; j++ {
		k := strings.IndexByte(s[j:], '"')
		if k < 0 {
			return 0, false
		}
		j += k
		n := 0
		for b := j - 1; b > i && s[b] == '\\'; b-- {
			n++
		}
		if n%2 == 0 {
			return j + 1, true
		}
	}
}

// skipValue returns the offset after the value starting at s[i].
func skipValue(s string, i int) (int, bool) {
	if i >= len(s) {
		return 0, false
	}
	switch s[i] {
	case '"':
		return skipString(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				end, ok := skipString(s, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	default:
		j := i
	scalar:
		for ; j < len(s); j++ {
			switch s[j] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				break scalar
			}
		}
		return j, j > i
	}
}

// requestFields are what the transport reads from a request body.
type requestFields struct {
	object bool // the body is one JSON object
	model  string
	stream bool
}

// inspectBody reads a request body's fields, and returns its top-level
// members too, for withIncludeUsage.
func inspectBody(body string) (requestFields, []member) { return inspectInto(nil, body) }

// inspectInto is inspectBody appending the members to ms, whose array the
// caller can keep on its stack (the members are returned apart from the
// fields for that: the fields' strings outlive the call).
func inspectInto(ms []member, body string) (requestFields, []member) {
	ms, ok := appendMembers(ms, body)
	f := requestFields{object: ok}
	for _, m := range ms {
		v := body[m.start:m.end]
		switch m.key {
		case "model":
			f.model = jsonString(v)
		case "stream":
			f.stream = v == "true"
		}
	}
	return f, ms
}

// modelInBody is the model a request body names, as inspectBody reads it.
func modelInBody(body string) string {
	var array [8]member
	f, _ := inspectInto(array[:0], body)
	return f.model
}

// mayStream reports whether body may ask for a stream: whether it holds
// "stream" followed by a colon and true, as a member saying so would be.
// When it does not, inspectBody finds stream false; finding that out takes
// a search for the key, where inspectBody scans every member.
func mayStream(body string) bool {
	const key = `"stream"`
	for s := body; ; {
		i := strings.Index(s, key)
		if i < 0 {
			return false
		}
		s = s[i+len(key):]
		if j := skipSpace(s, 0); j < len(s) && s[j] == ':' && strings.HasPrefix(s[skipSpace(s, j+1):], "true") {
			return true
		}
	}
}

// jsonString decodes a JSON string value, or returns "" when v is not one.
func jsonString(v string) string {
	if len(v) < 2 || v[0] != '"' {
		return ""
	}
	if !strings.ContainsRune(v, '\\') {
		return v[1 : len(v)-1]
	}
	var s string
	if json.Unmarshal([]byte(v), &s) != nil {
		return ""
	}
	return s
}

// withIncludeUsage returns body with stream_options.include_usage set to
// true, and true, when the body does not say include_usage already; every
// other byte of the body is kept as it was. It returns false when the caller
// chose (include_usage present, true or false), when the body is not an
// object, and when it cannot tell without decoding the body as a vendor
// would: stream_options twice (a decoder takes the last), or a key with an
// escape (which may spell stream_options or include_usage). Such a body is
// sent as the caller wrote it, and no usage chunk is hidden from it.
func withIncludeUsage(body string, f requestFields, members []member) (string, bool) {
	if !f.object {
		return "", false
	}
	options := 0
	for _, m := range members {
		if strings.IndexByte(m.key, '\\') >= 0 {
			return "", false
		}
		if m.key == "stream_options" {
			options++
		}
	}
	if options > 1 {
		return "", false
	}
	const opt = `"include_usage":true`
	for _, m := range members {
		if m.key != "stream_options" {
			continue
		}
		v := body[m.start:m.end]
		if v == "null" {
			return body[:m.start] + "{" + opt + "}" + body[m.end:], true
		}
		inner, ok := scanObject(v)
		if !ok {
			return "", false
		}
		for _, im := range inner {
			if im.key == "include_usage" || strings.IndexByte(im.key, '\\') >= 0 {
				return "", false
			}
		}
		open := m.start + strings.IndexByte(v, '{') + 1
		sep := ","
		if len(inner) == 0 {
			sep = ""
		}
		return body[:open] + opt + sep + body[open:], true
	}
	const member = `"stream_options":{` + opt + `}`
	if len(members) == 0 {
		open := strings.IndexByte(body, '{') + 1
		return body[:open] + member + body[open:], true
	}
	last := members[len(members)-1].end
	return body[:last] + "," + member + body[last:], true
}
