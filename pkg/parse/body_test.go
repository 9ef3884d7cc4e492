package parse

import (
	"strings"
	"testing"
)

// TestSplit covers stream shapes that a text fixture cannot hold byte for
// byte (CRLF, CR, BOM) and the leniencies of the SSE reader.
func TestSplit(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantDocs   int
		wantStream bool
		wantEvents []string
	}{
		{"json object", `{"a":1}`, 1, false, []string{""}},
		{"json object with bom", "\xef\xbb\xbf{\"a\":1}", 1, false, []string{""}},
		{"json array", `[{"a":1},{"b":2},3]`, 2, true, []string{"", ""}},
		{"truncated json array", `[{"a":1},{"b":`, 1, true, []string{""}},
		{"not json", `hello`, 0, true, nil},
		{"empty", "  \n", 0, false, nil},
		{"sse with crlf", "event: a\r\ndata: {\"x\":1}\r\n\r\ndata: {\"y\":2}\r\n\r\n", 2, true, []string{"a", ""}},
		{"sse with cr only", "data: {\"x\":1}\r\rdata: {\"y\":2}\r\r", 2, true, []string{"", ""}},
		{"sse without space after colon", "event:result\ndata:{\"x\":1}\n\n", 1, true, []string{"result"}},
		{"sse comments and done", ": ping\ndata: {\"x\":1}\n\ndata: [DONE]\n\n", 1, true, []string{""}},
		{"sse events without blank lines", "data: {\"x\":1}\ndata: {\"y\":2}\n", 2, true, []string{"", ""}},
		{"sse multi-line data", "data: {\"x\":\ndata: 1}\n\n", 1, true, []string{""}},
		{"sse event cut off at the end", "data: {\"x\":1}\n\ndata: {\"y\":", 2, true, []string{"", ""}},
		{"sse event line starts a new event", "event: a\ndata: {\"x\":1}\nevent: b\ndata: {\"y\":2}\n", 2, true, []string{"a", "b"}},
		{"sse text error", "event: error\ndata: boom\n\n", 1, true, []string{"error"}},
		{"sse bare json line", "data: {\"x\":1}\n\n{\"error\":\"late\"}\n", 2, true, []string{"", ""}},
		{"sse data array", "data: [{\"x\":1},{\"y\":2}]\n\n", 2, true, []string{"", ""}},
		{"ndjson", "{\"a\":1}\n{\"b\":2}\nnot json\n{\"c\":", 2, true, []string{"", ""}},
		{"ndjson with crlf", "{\"a\":1}\r\n{\"b\":2}\r\n", 2, true, []string{"", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, stream := split([]byte(tt.body))
			if len(docs) != tt.wantDocs || stream != tt.wantStream {
				t.Fatalf("split(%q) = %d docs, stream %v, want %d docs, stream %v", tt.body, len(docs), stream, tt.wantDocs, tt.wantStream)
			}
			var events []string
			for _, d := range docs {
				events = append(events, d.event)
			}
			if strings.Join(events, ",") != strings.Join(tt.wantEvents, ",") {
				t.Errorf("split(%q) events = %q, want %q", tt.body, events, tt.wantEvents)
			}
		})
	}
}

func TestParseLineEndings(t *testing.T) {
	const chunk = `{"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`
	tests := []struct {
		name string
		body string
	}{
		{"lf", "data: " + chunk + "\n\ndata: [DONE]\n\n"},
		{"crlf", "data: " + chunk + "\r\n\r\ndata: [DONE]\r\n\r\n"},
		{"cr", "data: " + chunk + "\r\rdata: [DONE]\r\r"},
		{"bom", "\xef\xbb\xbfdata: " + chunk + "\n\n"},
		{"no trailing newline", "data: " + chunk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := Parse("openai", []byte(tt.body))
			if show(u.PromptTokens) != "3" || show(u.CompletionTokens) != "4" || show(u.TotalTokens) != "7" {
				t.Errorf("Parse(%q) = prompt %s completion %s total %s, want 3 4 7",
					tt.body, show(u.PromptTokens), show(u.CompletionTokens), show(u.TotalTokens))
			}
			if u.Method != "openai.chat.stream" {
				t.Errorf("Parse(%q) method = %q, want %q", tt.body, u.Method, "openai.chat.stream")
			}
		})
	}
}
