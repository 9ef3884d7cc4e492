package parse

import (
	"bytes"
)

// isSSE reports whether b looks like a server-sent event stream: some line
// starts with a data: or event: field.
func isSSE(b []byte) bool {
	for line := range lines(b) {
		line = bytes.TrimLeft(line, " \t")
		if bytes.HasPrefix(line, []byte("data:")) || bytes.HasPrefix(line, []byte("event:")) {
			return true
		}
	}
	return false
}

// sseDocs returns the documents of an SSE stream, following the WHATWG
// event-stream format: "field: value" lines, ":" comments (DeepSeek's
// keep-alives, DashScope's ":HTTP_STATUS/200"), a blank line ends an event,
// several data lines join with "\n". It is lenient where real captures are
// sloppy: events not separated by blank lines, an event cut off at the end,
// a bare JSON line between events, and the "[DONE]" sentinel.
func sseDocs(b []byte) []doc {
	var (
		docs  = make([]doc, 0, docsHint(b))
		event string
		// data holds the current event's data lines; its array is reused
		// from event to event.
		data [][]byte
	)
	dispatch := func() {
		if len(data) > 0 {
			docs = sseEvent(docs, event, data)
		}
		event, data = "", data[:0]
	}
	for line := range lines(b) {
		if len(bytes.TrimSpace(line)) == 0 {
			dispatch()
			continue
		}
		if line[0] == ':' {
			continue
		}
		trimmed := bytes.TrimLeft(line, " \t")
		if trimmed[0] == '{' || trimmed[0] == '[' {
			dispatch()
			docs = jsonDocs(docs, trimmed, "")
			continue
		}
		field, value, _ := bytes.Cut(trimmed, []byte{':'})
		value = bytes.TrimPrefix(value, []byte{' '})
		switch string(field) {
		case "event":
			if len(data) > 0 { // a new event began without a blank line
				dispatch()
			}
			event = knownString(bytes.TrimSpace(value))
		case "data":
			data = append(data, value)
		}
	}
	dispatch()
	return docs
}

// maxDocsHint bounds docsHint, so that a body of blank lines does not buy a
// large slice up front; a longer stream grows it as it goes.
const maxDocsHint = 256

// docsHint guesses how many documents the stream b holds, to size the slice
// once rather than grow it event by event: an event takes two lines or more
// (a data line, a blank line), so half its line feeds. A guess, not a bound.
func docsHint(b []byte) int {
	return min(bytes.Count(b, []byte{'\n'})/2+1, maxDocsHint)
}

// sseEvent appends to dst the documents of one event's data lines: the
// joined data when it is JSON, else each data line that is JSON on its own
// (events written without blank lines between them). Non-JSON data yields a
// text-only document, which matters for "event: error".
func sseEvent(dst []doc, event string, data [][]byte) []doc {
	joined := joinData(data)
	if string(joined) == "[DONE]" || len(joined) == 0 {
		return dst
	}
	before := len(dst)
	if dst = jsonDocs(dst, joined, event); len(dst) > before {
		return dst
	}
	if len(data) > 1 {
		for _, d := range data {
			dst = jsonDocs(dst, d, event)
		}
	}
	if len(dst) == before {
		dst = append(dst, doc{event: event, text: string(joined)})
	}
	return dst
}

// joinData joins an event's data lines with "\n" and trims white space; the
// usual single line is used in place, not copied.
func joinData(data [][]byte) []byte {
	if len(data) == 1 {
		return bytes.TrimSpace(data[0])
	}
	return bytes.TrimSpace(bytes.Join(data, []byte{'\n'}))
}
