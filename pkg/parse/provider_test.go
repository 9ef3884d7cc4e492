package parse

import (
	"slices"
	"testing"
)

func TestCanonicalProvider(t *testing.T) {
	tests := []struct {
		name      string
		wantName  string
		wantKnown bool
	}{
		{"openai", "openai", true},
		{"OpenAI", "openai", true},
		{"azure_openai", "azure", true},
		{"Azure-OpenAI", "azure", true},
		{"deepseek", "deepseek", true},
		{"ark", "doubao", true},
		{"volcengine", "doubao", true},
		{"qianfan", "wenxin", true},
		{"ernie", "wenxin", true},
		{"baidu", "wenxin", true},
		{"anthropic", "anthropic", true},
		{"google", "gemini", true},
		{"dashscope", "qwen", true},
		{"tongyi", "qwen", true},
		{"kimi", "moonshot", true},
		{"glm", "zhipu", true},
		{"zhipuai", "zhipu", true},
		{"openai_compatible", "openai_compatible", true},
		{"openai-compatible", "openai_compatible", true},
		{"ollama", "ollama", true},
		{"bedrock", "bedrock", true},
		{" Mistral ", "mistral", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := CanonicalProvider(tt.name)
			if got != tt.wantName || known != tt.wantKnown {
				t.Errorf("CanonicalProvider(%q) = %q, %v, want %q, %v", tt.name, got, known, tt.wantName, tt.wantKnown)
			}
		})
	}
}

func TestProviders(t *testing.T) {
	got := Providers()
	want := []string{"anthropic", "azure", "bedrock", "deepseek", "doubao", "gemini", "moonshot",
		"ollama", "openai", "openai_compatible", "qwen", "wenxin", "zhipu"}
	if !slices.Equal(got, want) {
		t.Errorf("Providers() = %q, want %q", got, want)
	}
}

// TestAdapterNamesAreUnique guards the registry: a name or alias claimed by
// two adapters would make lookup depend on list order.
func TestAdapterNamesAreUnique(t *testing.T) {
	owner := map[string]string{}
	for _, a := range adapters() {
		for _, n := range append([]string{a.name()}, a.aliases()...) {
			if n != normalise(n) {
				t.Errorf("adapter %s: name %q is not normalised", a.name(), n)
			}
			if prev, ok := owner[n]; ok {
				t.Errorf("name %q claimed by %s and %s", n, prev, a.name())
			}
			owner[n] = a.name()
		}
	}
}
