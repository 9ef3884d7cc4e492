package demo

import (
	"encoding/json"
	"strings"
)

// target is how the demo calls one vendor through the emulator.
type target struct {
	vendor   string // emulator vendor name
	provider string // provider name recorded on the call
	model    string
	body     func(model, prompt string, stream bool) []byte
}

// targets are the vendors the demo calls, in rotation.
func targets() []target {
	return []target{
		{"openai", "openai", "gpt-4o-mini", openAIBody},
		{"deepseek", "deepseek", "deepseek-chat", openAIBody},
		{"anthropic", "anthropic", "claude-haiku-4-5-20251001", anthropicBody},
		{"gemini", "gemini", "gemini-2.0-flash", geminiBody},
		{"qwen", "qwen", "qwen-plus", openAIBody},
		{"moonshot", "moonshot", "kimi-k2-0905-preview", openAIBody},
		{"doubao", "doubao", "doubao-1-5-pro-32k-250115", openAIBody},
		{"zhipu", "zhipu", "glm-4-plus", openAIBody},
		{"wenxin", "wenxin", "ernie-4.5-turbo-32k", openAIBody},
	}
}

func openAIBody(model, prompt string, stream bool) []byte {
	req := map[string]any{
		"model":    model,
		"messages": []map[string]string{{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": prompt}},
		"stream":   stream,
	}
	if stream {
		req["stream_options"] = map[string]bool{"include_usage": true}
	}
	b, _ := json.Marshal(req)
	return b
}

func anthropicBody(model, prompt string, stream bool) []byte {
	b, _ := json.Marshal(map[string]any{
		"model":      model,
		"max_tokens": 1024,
		"messages":   []map[string]string{{"role": "user", "content": prompt}},
		"stream":     stream,
	})
	return b
}

func geminiBody(_, prompt string, _ bool) []byte {
	b, _ := json.Marshal(map[string]any{
		"contents": []map[string]any{{"role": "user", "parts": []map[string]string{{"text": prompt}}}},
	})
	return b
}

var prompts = []string{
	"Summarise the quarterly report in three bullet points.",
	"把这段话翻译成英文：今天的会议改到下午三点。",
	"Write a SQL query that lists the ten newest orders.",
	"解释一下什么是向量数据库，以及它适合什么场景。",
	"Draft a polite reply declining the meeting invitation.",
	"Give me five names for a coffee shop by the harbour.",
}

func promptFor(i int) string {
	return prompts[i%len(prompts)] + strings.Repeat(" Please be concise.", i%3)
}
