package parse

// gemini reads Google Gemini (Gemini API and Vertex AI): generateContent, its
// streams, and the OpenAI-compatible endpoint's Chat Completions, read as
// reported.
//
// Counters (https://ai.google.dev/api/generate-content#UsageMetadata):
//   - usageMetadata is proto3 JSON: a zero-valued field is omitted, so within
//     a usageMetadata an absent count is 0.
//   - promptTokenCount includes cachedContentTokenCount (cache reads); tool-use
//     prompt tokens (toolUsePromptTokenCount) are input billed on top, so
//     prompt_tokens = promptTokenCount + toolUsePromptTokenCount.
//   - candidatesTokenCount EXCLUDES thoughtsTokenCount, so completion_tokens =
//     candidatesTokenCount + thoughtsTokenCount, reasoning = thoughtsTokenCount.
//   - totalTokenCount is the sum of all four. No cache writes are reported.
//
// Streams: streamGenerateContent?alt=sse sends "data:" events, without alt a
// JSON array of chunks; every chunk carries usageMetadata as running totals
// (early ones with the prompt count only), complete in the last.
type gemini struct{}

func (gemini) name() string { return "gemini" }
func (gemini) aliases() []string {
	return []string{"google", "google_ai", "googleai", "google_gemini", "vertex", "vertex_ai", "vertexai", "palm"}
}

func (gemini) read(d doc) (reading, bool) {
	if r, ok := readGenerateContent(d); ok {
		return r, true
	}
	return readChat(d, chatSpec{format: "chat", count: chatCounts})
}

// readGenerateContent recognises a GenerateContentResponse.
func readGenerateContent(d doc) (reading, bool) {
	o := d.obj
	if !o.hasAny("usageMetadata", "candidates", "promptFeedback", "modelVersion") {
		return reading{}, false
	}
	r := reading{format: "generate_content", model: o.str("modelVersion"), count: geminiCounts}
	return r.withUsage(o.object("usageMetadata")), true
}

func geminiCounts(u object) counts {
	thoughts := u.countOrZero("thoughtsTokenCount")
	return counts{
		prompt:     sum(u.countOrZero("promptTokenCount"), u.countOrZero("toolUsePromptTokenCount")),
		completion: sum(u.countOrZero("candidatesTokenCount"), thoughts),
		total:      u.count("totalTokenCount"),
		cached:     u.countOrZero("cachedContentTokenCount"),
		reasoning:  thoughts,
	}
}
