package parse

import (
	"bytes"
	"encoding/json"
	"iter"
)

// doc is one JSON document of a response: the whole body, one element of a
// JSON array stream, or one event of an SSE or NDJSON stream.
type doc struct {
	// event is the SSE event name, "" when there is none.
	event string
	// obj is the decoded document; ok is false when the event's data was not
	// a JSON object (text is then the data as sent).
	obj  object
	ok   bool
	text string
}

// bom is the UTF-8 byte order mark some Windows tools put before a body.
const bom = "\xef\xbb\xbf"

// split cuts a response body into its documents. stream reports whether the
// body was a stream (SSE, NDJSON or a JSON array of chunks) rather than one
// JSON object.
func split(body []byte) (docs []doc, stream bool) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte(bom)))
	if len(b) == 0 {
		return nil, false
	}
	if docs, ok := scannedDocs(b); ok {
		return docs, b[0] == '['
	}
	if startsValue(b[0]) && valid(b) {
		return jsonDocs(nil, b, ""), b[0] == '['
	}
	if b[0] == '[' {
		return jsonDocs(nil, b, ""), true // a JSON array cut short, e.g. an interrupted Gemini stream
	}
	if isSSE(b) {
		return sseDocs(b), true
	}
	return ndjsonDocs(b), true
}

// scannedDocs returns the documents of b when the scanner vouches for b as
// one JSON object or array: what valid would say, learnt in the pass that
// reads the body. ok is false otherwise, and split asks valid.
func scannedDocs(b []byte) (docs []doc, ok bool) {
	switch b[0] {
	case '{':
		members, ok := scanObject(b)
		if !ok {
			return nil, false
		}
		return []doc{{obj: object{raw: b, members: members}, ok: true}}, true
	case '[':
		elems, ok := scanElements(b)
		if !ok {
			return nil, false
		}
		return elementDocs(nil, elems, ""), true
	}
	return nil, false
}

// startsValue reports whether c can start a JSON value; a text starting
// with anything else (a stream's "data:" or "event:") is not valid, which
// saves asking valid, whose error costs allocations.
func startsValue(c byte) bool {
	switch c {
	case '{', '[', '"', '-', 't', 'f', 'n':
		return true
	}
	return isDigit(c)
}

// jsonDocs appends to dst the documents in one JSON value: the value itself
// when it is an object, or the objects among its elements when it is an
// array (read element by element, so an array cut short still yields its
// complete elements).
func jsonDocs(dst []doc, b []byte, event string) []doc {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return dst
	}
	if b[0] != '[' {
		if o, ok := decodeObject(b); ok {
			dst = append(dst, doc{event: event, obj: o, ok: true})
		}
		return dst
	}
	if elems, ok := scanElements(b); ok {
		return elementDocs(dst, elems, event)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return dst
	}
	for dec.More() {
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			break
		}
		if o, ok := decodeObject(raw); ok {
			dst = append(dst, doc{event: event, obj: o, ok: true})
		}
	}
	return dst
}

// elementDocs appends to dst the objects among an array's elements.
func elementDocs(dst []doc, elems []json.RawMessage, event string) []doc {
	for _, e := range elems {
		if o, ok := decodeObject(e); ok {
			dst = append(dst, doc{event: event, obj: o, ok: true})
		}
	}
	return dst
}

// ndjsonDocs returns the documents of newline-delimited JSON (Ollama),
// skipping lines that are not JSON.
func ndjsonDocs(b []byte) []doc {
	var docs []doc
	for line := range lines(b) {
		docs = jsonDocs(docs, line, "")
	}
	return docs
}

// lines yields the lines of b, split at "\n", "\r\n" and "\r", without their
// ends. An iterator, so that a stream's lines are never collected.
//
// Each line ends at the first "\r" before the next "\n". The next "\n" is
// searched for once and kept while lines end at a lone "\r" before it: a
// body whose lines end in "\r" alone is not searched to its end for each of
// its lines.
func lines(b []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		pos, lf := 0, -1 // lf: the index of the next "\n", len(b) if none
		for pos < len(b) {
			if lf < pos {
				lf = nextLF(b, pos)
			}
			end := lf
			if cr := bytes.IndexByte(b[pos:lf], '\r'); cr >= 0 {
				end = pos + cr
			}
			if !yield(b[pos:end]) || end == len(b) {
				return
			}
			pos = end + 1
			if b[end] == '\r' && pos < len(b) && b[pos] == '\n' {
				pos++
			}
		}
	}
}

// nextLF returns the index of the first "\n" in b at or after from, len(b)
// if none.
func nextLF(b []byte, from int) int {
	if i := bytes.IndexByte(b[from:], '\n'); i >= 0 {
		return from + i
	}
	return len(b)
}
