package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
)

// Parse returns the usage in body, a response of provider's API.
// Minimal OpenAI-shaped version; the vendor adapters replace it.
func Parse(provider string, body []byte) Usage {
	u := Usage{Provider: strings.ToLower(provider), Confidence: 1}
	var last json.RawMessage
	consider := func(doc []byte) {
		var v struct {
			Model string          `json:"model"`
			Usage json.RawMessage `json:"usage"`
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(doc, &v) != nil {
			return
		}
		if v.Model != "" {
			u.Model = v.Model
		}
		if len(v.Error) > 0 && string(v.Error) != "null" {
			u.IsError = true
		}
		if len(v.Usage) > 0 && string(v.Usage) != "null" {
			last = v.Usage
		}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		consider(trimmed)
	} else {
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(make([]byte, 64*1024), len(body)+1)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if data, ok := bytes.CutPrefix(line, []byte("data:")); ok {
				consider(bytes.TrimSpace(data))
			}
		}
	}
	if last == nil {
		u.UsageMissing = true
		u.Confidence = 0
		u.Consistency = Unchecked
		return u
	}
	var ou struct {
		Prompt     *int64 `json:"prompt_tokens"`
		Completion *int64 `json:"completion_tokens"`
		Total      *int64 `json:"total_tokens"`
	}
	_ = json.Unmarshal(last, &ou)
	u.Raw = last
	u.Method = "openai.chat"
	u.PromptTokens, u.CompletionTokens, u.TotalTokens = ou.Prompt, ou.Completion, ou.Total
	u.Consistency = Unchecked
	if ou.Prompt != nil && ou.Completion != nil && ou.Total != nil {
		u.Consistency = Consistent
		if *ou.Total != *ou.Prompt+*ou.Completion {
			u.Consistency = TotalMismatch
			u.Confidence = 0.5
		}
	}
	return u
}
