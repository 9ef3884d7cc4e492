package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// This file is the Gemini API (POST {base}/v1beta/models/{model}:generateContent
// and :streamGenerateContent). promptTokenCount includes cached content
// (cachedContentTokenCount); candidatesTokenCount excludes thoughts
// (thoughtsTokenCount); totalTokenCount is their sum; zero counts are left
// out. A stream (alt=sse) is data: lines, each with the running usageMetadata;
// without alt=sse it is one JSON array written element by element.

type geminiRequest struct {
	Contents          json.RawMessage `json:"contents"`
	SystemInstruction json.RawMessage `json:"systemInstruction"`
}

type geminiResponse struct {
	Candidates    []geminiCandidate `json:"candidates"`
	UsageMetadata *geminiUsage      `json:"usageMetadata,omitempty"`
	ModelVersion  string            `json:"modelVersion"`
	ResponseID    string            `json:"responseId"`
}

type geminiCandidate struct {
	Content      geminiContent `json:"content"`
	FinishReason string        `json:"finishReason,omitempty"`
	Index        int           `json:"index"`
}

type geminiContent struct {
	Parts []geminiPart `json:"parts"`
	Role  string       `json:"role"`
}

type geminiPart struct {
	Text string `json:"text"`
}

type geminiUsage struct {
	PromptTokenCount        int64            `json:"promptTokenCount,omitempty"`
	CandidatesTokenCount    int64            `json:"candidatesTokenCount,omitempty"`
	TotalTokenCount         int64            `json:"totalTokenCount,omitempty"`
	CachedContentTokenCount int64            `json:"cachedContentTokenCount,omitempty"`
	PromptTokensDetails     []geminiModality `json:"promptTokensDetails,omitempty"`
	ThoughtsTokenCount      int64            `json:"thoughtsTokenCount,omitempty"`
}

type geminiModality struct {
	Modality   string `json:"modality"`
	TokenCount int64  `json:"tokenCount"`
}

func gemini() *vendor {
	return &vendor{
		name:     "gemini",
		base:     "/gemini",
		routes:   []string{"POST /gemini/v1beta/models/{call}"},
		idHeader: "X-Goog-Request-Id",
		endpoint: func(base, model string, stream bool) string {
			if stream {
				return base + "/v1beta/models/" + model + ":streamGenerateContent?alt=sse"
			}
			return base + "/v1beta/models/" + model + ":generateContent"
		},
		decode:  decodeGemini,
		reply:   func(c *call) any { return geminiChunk(c, c.text(), randomID("", 22), len(c.pieces), true) },
		stream:  geminiStream,
		failure: geminiFailure,
		streamFailure: func(s *stream, body any) {
			s.start("text/event-stream")
			s.write("data: " + mustJSON(body) + "\r\n\r\n")
		},
	}
}

func decodeGemini(r *http.Request, body []byte) (*call, error) {
	model, method, ok := strings.Cut(r.PathValue("call"), ":")
	if !ok || model == "" || (method != "generateContent" && method != "streamGenerateContent") {
		return nil, errors.New("unknown method " + r.PathValue("call"))
	}
	var req geminiRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	stream := method == "streamGenerateContent"
	return &call{
		model:      model,
		stream:     stream,
		jsonArray:  stream && r.URL.Query().Get("alt") != "sse",
		inputBytes: len(req.Contents) + len(req.SystemInstruction),
	}, nil
}

// geminiChunk is one response object after step k of n; the last one has
// the finish reason and the full usage.
func geminiChunk(c *call, text, id string, k int, last bool) geminiResponse {
	cand := geminiCandidate{Content: geminiContent{Parts: []geminiPart{{Text: text}}, Role: "model"}}
	if last {
		cand.FinishReason = "STOP"
	}
	out := geminiResponse{Candidates: []geminiCandidate{cand}, ModelVersion: c.model, ResponseID: id}
	if !c.omitUsage {
		u := c.usage
		candidates := progress(u.Completion-u.Reasoning, k, len(c.pieces))
		out.UsageMetadata = &geminiUsage{
			PromptTokenCount:        u.Prompt,
			CandidatesTokenCount:    candidates,
			TotalTokenCount:         u.Prompt + candidates + u.Reasoning,
			CachedContentTokenCount: u.Cached,
			ThoughtsTokenCount:      u.Reasoning,
		}
		if u.Prompt > 0 {
			out.UsageMetadata.PromptTokensDetails = []geminiModality{{Modality: "TEXT", TokenCount: u.Prompt}}
		}
	}
	return out
}

func geminiStream(s *stream, c *call) {
	id := randomID("", 22)
	if c.jsonArray {
		s.start("application/json; charset=UTF-8")
		s.write("[")
	} else {
		s.start("text/event-stream")
	}
	for i, p := range c.pieces {
		if !s.step(i) {
			return
		}
		chunk := mustJSON(geminiChunk(c, p, id, i+1, i == len(c.pieces)-1))
		switch {
		case !c.jsonArray:
			s.write("data: " + chunk + "\r\n\r\n")
		case i == 0:
			s.write(chunk)
		default:
			s.write("\n,\r\n" + chunk)
		}
	}
	if !s.step(len(c.pieces)) {
		return
	}
	if c.jsonArray {
		s.write("]")
	}
	s.flush()
}

func geminiFailure(k errKind) any {
	code, status, msg := 500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
	switch k {
	case errRateLimit:
		code, status, msg = 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."
	case errInvalid:
		code, status, msg = 400, "INVALID_ARGUMENT", "Invalid JSON payload received."
	}
	return map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}}
}
