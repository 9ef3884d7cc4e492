package parse

import (
	"slices"
	"strings"
)

// adapters is the registry: every supported vendor, in one explicit list.
func adapters() []adapter {
	return []adapter{
		openAI{},
		azure{},
		deepSeek{},
		doubao{},
		wenxin{},
		anthropic{},
		gemini{},
		qwen{},
		moonshot{},
		zhipu{},
		ollama{},
		bedrock{},
		compatible{},
	}
}

// CanonicalProvider maps a provider name or alias (any case; "-", " " and
// "_" alike) to its canonical name, e.g. "ark" and "volcengine" to "doubao",
// "qianfan" to "wenxin", "kimi" to "moonshot". known is false for a name no
// adapter claims; canonical is then the name lower-cased and trimmed.
func CanonicalProvider(name string) (canonical string, known bool) {
	if a, ok := lookup(name); ok {
		return a.name(), true
	}
	return strings.ToLower(strings.TrimSpace(name)), false
}

// Providers returns the canonical names of the supported vendors, sorted.
func Providers() []string {
	var names []string
	for _, a := range adapters() {
		names = append(names, a.name())
	}
	slices.Sort(names)
	return names
}

// lookup finds the adapter for a provider name or alias.
func lookup(name string) (adapter, bool) {
	n := normalise(name)
	for _, a := range adapters() {
		if a.name() == n || slices.Contains(a.aliases(), n) {
			return a, true
		}
	}
	return nil, false
}

// normalise lower-cases and trims a provider name and writes "-" and " " as
// "_", so "Azure OpenAI", "azure-openai" and "azure_openai" are one name.
func normalise(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	return strings.NewReplacer("-", "_", " ", "_").Replace(n)
}
