package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
)

// This file is the OpenAI chat completions API and the vendors that copy
// it (dialects.go lists them and their differences).

// usagePlacement says where an OpenAI-compatible stream puts its usage.
type usagePlacement int

const (
	// usageOptIn: only with stream_options.include_usage=true, in an extra
	// final chunk with empty choices; every other chunk has "usage": null.
	usageOptIn usagePlacement = iota
	// usageFinishChunk: always, in the chunk carrying finish_reason.
	usageFinishChunk
	// usageInChoice: always, as choices[0].usage of the finish chunk (Kimi).
	usageInChoice
)

// dialect is one vendor's variant of the OpenAI chat completions API.
type dialect struct {
	name        string
	base        string
	paths       []string // chat completions paths under base
	id          func() string
	usage       func(Usage) any
	placement   usagePlacement
	fingerprint string // system_fingerprint; "" leaves it out
	serviceTier string // service_tier; "" leaves it out
	requestID   bool   // a request_id field in bodies (Zhipu)
	azure       bool   // model from the deployment path, content filter results
	failure     func(k errKind) any
	idHeader    string
}

type chatRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Messages json.RawMessage `json:"messages"`
}

type chatCompletion struct {
	ID                  string       `json:"id"`
	RequestID           string       `json:"request_id,omitempty"`
	Object              string       `json:"object"`
	Created             int64        `json:"created"`
	Model               string       `json:"model"`
	PromptFilterResults any          `json:"prompt_filter_results,omitempty"`
	Choices             []chatChoice `json:"choices"`
	Usage               any          `json:"usage,omitempty"`
	ServiceTier         string       `json:"service_tier,omitempty"`
	SystemFingerprint   string       `json:"system_fingerprint,omitempty"`
}

type chatChoice struct {
	Index                int          `json:"index"`
	Message              *chatMessage `json:"message,omitempty"`
	Delta                *chatMessage `json:"delta,omitempty"`
	Logprobs             any          `json:"logprobs"`
	FinishReason         *string      `json:"finish_reason"`
	Usage                any          `json:"usage,omitempty"`
	ContentFilterResults any          `json:"content_filter_results,omitempty"`
}

type chatMessage struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

// jsonNull is an explicit null in a field that is otherwise left out.
var jsonNull = json.RawMessage("null")

func compatible(d dialect) *vendor {
	v := &vendor{
		name:     d.name,
		base:     d.base,
		idHeader: d.idHeader,
		endpoint: func(base, model string, _ bool) string { return base + "/chat/completions" },
		decode:   d.decode,
		reply:    d.reply,
		stream:   d.stream,
		failure:  d.failure,
		streamFailure: func(s *stream, body any) {
			s.start("text/event-stream; charset=utf-8")
			s.data(body)
		},
	}
	for _, p := range d.paths {
		v.routes = append(v.routes, "POST "+d.base+p)
	}
	if d.azure {
		v.endpoint = func(base, model string, _ bool) string {
			return base + "/openai/deployments/" + model + "/chat/completions?api-version=" + azureAPIVersion
		}
	}
	return v
}

func (d dialect) decode(r *http.Request, body []byte) (*call, error) {
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	if d.azure {
		req.Model = r.PathValue("deployment")
	}
	if req.Model == "" {
		return nil, errors.New("model is required")
	}
	return &call{
		model:        req.Model,
		stream:       req.Stream,
		includeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage,
		inputBytes:   len(req.Messages),
	}, nil
}

// head is a body or chunk without choices and usage.
func (d dialect) head(c *call, id, object string) chatCompletion {
	out := chatCompletion{
		ID: id, Object: object, Created: c.created.Unix(), Model: c.model,
		ServiceTier: d.serviceTier, SystemFingerprint: d.fingerprint,
	}
	if d.requestID {
		out.RequestID = id
	}
	return out
}

func (d dialect) reply(c *call) any {
	out := d.head(c, d.id(), "chat.completion")
	text, stop := c.text(), "stop"
	out.Choices = []chatChoice{{Message: &chatMessage{Role: "assistant", Content: &text}, FinishReason: &stop}}
	if d.azure {
		out.PromptFilterResults = azurePromptFilter()
		out.Choices[0].ContentFilterResults = azureFilterResults()
	}
	if !c.omitUsage {
		out.Usage = d.usage(c.usage)
	}
	return out
}

func (d dialect) stream(s *stream, c *call) {
	s.start("text/event-stream; charset=utf-8")
	id := d.id()
	optIn := d.placement == usageOptIn && c.includeUsage && !c.omitUsage
	chunk := func(delta *chatMessage, finish *string) chatCompletion {
		out := d.head(c, id, "chat.completion.chunk")
		out.Choices = []chatChoice{{Delta: delta, FinishReason: finish}}
		if d.azure && finish == nil {
			out.Choices[0].ContentFilterResults = azureFilterResults()
		}
		if optIn {
			out.Usage = jsonNull
		}
		return out
	}
	if d.azure {
		s.data(chatCompletion{Choices: []chatChoice{}, PromptFilterResults: azurePromptFilter()})
	}
	empty := ""
	s.data(chunk(&chatMessage{Role: "assistant", Content: &empty}, nil))
	for i, p := range c.pieces {
		if !s.step(i) {
			return
		}
		s.data(chunk(&chatMessage{Content: &p}, nil))
	}
	if !s.step(len(c.pieces)) {
		return
	}
	stop := "stop"
	last := chunk(&chatMessage{}, &stop)
	if !c.omitUsage {
		switch d.placement {
		case usageFinishChunk:
			last.Usage = d.usage(c.usage)
		case usageInChoice:
			last.Choices[0].Usage = d.usage(c.usage)
		}
	}
	s.data(last)
	if optIn {
		final := chunk(nil, nil)
		final.Choices = []chatChoice{}
		final.Usage = d.usage(c.usage)
		s.data(final)
	}
	s.write("data: [DONE]\n\n")
	s.flush()
}

// openAIError is the error body of OpenAI and the vendors that copy it.
func openAIError(message, typ string, code any) map[string]any {
	return map[string]any{"error": map[string]any{"message": message, "type": typ, "param": nil, "code": code}}
}
