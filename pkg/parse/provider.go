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
	a, ok := adapterIndex[normalise(name)]
	return a, ok
}

// adapterIndex maps every canonical name and alias to its adapter, built
// once: Parse looks a provider up per call, and walking the registry built
// its lists anew each time. It is never written after init.
var adapterIndex = indexAdapters()

// indexAdapters builds adapterIndex from the registry; a name claimed twice
// goes to the first adapter that claims it, as a walk of the list would.
func indexAdapters() map[string]adapter {
	index := make(map[string]adapter)
	for _, a := range adapters() {
		for _, n := range append([]string{a.name()}, a.aliases()...) {
			if _, taken := index[n]; !taken {
				index[n] = a
			}
		}
	}
	return index
}

// normalise lower-cases and trims a provider name and writes "-" and " " as
// "_", so "Azure OpenAI", "azure-openai" and "azure_openai" are one name. It
// allocates only when the name needs changing.
func normalise(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	return strings.ReplaceAll(strings.ReplaceAll(n, "-", "_"), " ", "_")
}
