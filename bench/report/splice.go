package report

import (
	"bytes"
	"fmt"
)

// Markers returns the comments that delimit the generated part of section
// name in docs/benchmarks.md. Everything outside them is prose and is kept.
func Markers(name string) (begin, end string) {
	return "<!-- bench:" + name + ":begin -->", "<!-- bench:" + name + ":end -->"
}

// Splice returns doc with the text between the markers of section name
// replaced by content. Both markers must be present, once each, in order.
func Splice(doc []byte, name, content string) ([]byte, error) {
	begin, end := Markers(name)
	i := bytes.Index(doc, []byte(begin))
	j := bytes.Index(doc, []byte(end))
	switch {
	case i < 0 || j < 0:
		return nil, fmt.Errorf("splice %s: markers %s ... %s not found", name, begin, end)
	case j < i:
		return nil, fmt.Errorf("splice %s: end marker before begin marker", name)
	case bytes.Count(doc, []byte(begin)) > 1 || bytes.Count(doc, []byte(end)) > 1:
		return nil, fmt.Errorf("splice %s: markers appear more than once", name)
	}
	var out bytes.Buffer
	out.Write(doc[:i+len(begin)])
	out.WriteString("\n")
	out.WriteString(content)
	if len(content) > 0 && content[len(content)-1] != '\n' {
		out.WriteString("\n")
	}
	out.Write(doc[j:])
	return out.Bytes(), nil
}
