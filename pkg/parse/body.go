package parse

import (
	"bytes"
	"encoding/json"
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
	if valid(b) {
		return jsonDocs(b, ""), b[0] == '['
	}
	if b[0] == '[' {
		return jsonDocs(b, ""), true // a JSON array cut short, e.g. an interrupted Gemini stream
	}
	if isSSE(b) {
		return sseDocs(b), true
	}
	return ndjsonDocs(b), true
}

// jsonDocs returns the documents in one JSON value: the value itself when it
// is an object, or the objects among its elements when it is an array (read
// element by element, so an array cut short still yields its complete
// elements).
func jsonDocs(b []byte, event string) []doc {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if b[0] != '[' {
		if o, ok := decodeObject(b); ok {
			return []doc{{event: event, obj: o, ok: true}}
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var docs []doc
	for dec.More() {
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			break
		}
		if o, ok := decodeObject(raw); ok {
			docs = append(docs, doc{event: event, obj: o, ok: true})
		}
	}
	return docs
}

// ndjsonDocs returns the documents of newline-delimited JSON (Ollama),
// skipping lines that are not JSON.
func ndjsonDocs(b []byte) []doc {
	var docs []doc
	for _, line := range lines(b) {
		docs = append(docs, jsonDocs(line, "")...)
	}
	return docs
}

// lines splits b at "\n", "\r\n" and "\r".
func lines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:i])
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		b = b[i+1:]
	}
	return out
}
