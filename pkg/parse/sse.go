package parse

import (
	"bytes"
)

// isSSE reports whether b looks like a server-sent event stream: some line
// starts with a data: or event: field.
func isSSE(b []byte) bool {
	for _, line := range lines(b) {
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
		docs  []doc
		event string
		data  [][]byte
	)
	dispatch := func() {
		if len(data) > 0 {
			docs = append(docs, sseEvent(event, data)...)
		}
		event, data = "", nil
	}
	for _, line := range lines(b) {
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
			docs = append(docs, jsonDocs(trimmed, "")...)
			continue
		}
		field, value, _ := bytes.Cut(trimmed, []byte{':'})
		value = bytes.TrimPrefix(value, []byte{' '})
		switch string(field) {
		case "event":
			if len(data) > 0 { // a new event began without a blank line
				dispatch()
			}
			event = string(bytes.TrimSpace(value))
		case "data":
			data = append(data, value)
		}
	}
	dispatch()
	return docs
}

// sseEvent returns the documents of one event's data lines: the joined data
// when it is JSON, else each data line that is JSON on its own (events written
// without blank lines between them). Non-JSON data yields a text-only
// document, which matters for "event: error".
func sseEvent(event string, data [][]byte) []doc {
	joined := bytes.TrimSpace(bytes.Join(data, []byte{'\n'}))
	if string(joined) == "[DONE]" || len(joined) == 0 {
		return nil
	}
	if docs := jsonDocs(joined, event); len(docs) > 0 {
		return docs
	}
	var docs []doc
	if len(data) > 1 {
		for _, d := range data {
			docs = append(docs, jsonDocs(d, event)...)
		}
	}
	if len(docs) == 0 {
		docs = append(docs, doc{event: event, text: string(joined)})
	}
	return docs
}
