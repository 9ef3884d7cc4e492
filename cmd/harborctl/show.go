package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

// showCmd prints one call as a tree: harborctl logs show ID.
func showCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("logs show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the call as JSON")
	full := fs.Bool("full", false, "print whole bodies (default: the first 400 characters)")
	var sf storeFlags
	sf.register(fs)
	ids, err := cli.ParseInterspersed(fs, args) // flags before or after the id
	if err != nil {
		return cli.FlagStatus(err)
	}
	const usage = "(usage: harborctl logs show [flags] CALL_ID|HB_TRACE_ID|TRACE_ID)"
	switch {
	case len(ids) == 0:
		fmt.Fprintln(stderr, "harborctl logs show: missing the id", usage)
		return 2
	case len(ids) > 1:
		fmt.Fprintf(stderr, "harborctl logs show: unexpected argument %q after the id %q %s\n", ids[1], ids[0], usage)
		return 2
	}
	id := strings.TrimSpace(ids[0])
	if id == "" {
		fmt.Fprintln(stderr, "harborctl logs show: empty id; want a call id, hb_trace_id or trace id")
		return 2
	}
	ctx := context.Background()
	st := sf.open(ctx, stderr, "logs show")
	if st == nil {
		return 1
	}
	defer st.Close()
	c, err := st.Get(ctx, id)
	defer warnDamaged(stderr, "logs show", st) // after the call, or why it may not be found
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(stderr, "harborctl logs show: no call with id %q in %s\n", id, st.Source())
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "harborctl logs show:", pg.WithSchemaHint(err))
		return 1
	}
	if c.CallID != id {
		noteSharedID(ctx, stderr, st, id, c.CallID)
	}
	links := apmLinks(c.TraceID)
	if *asJSON {
		out := struct {
			store.View
			RequestBody  *string           `json:"request_body,omitempty"`
			ResponseBody *string           `json:"response_body,omitempty"`
			RawUsage     json.RawMessage   `json:"raw_usage,omitempty"`
			APMLinks     map[string]string `json:"apm_links,omitempty"`
		}{View: store.NewView(c), RequestBody: c.RequestBody, ResponseBody: c.ResponseBody, APMLinks: links}
		if c.Usage != nil {
			out.RawUsage = c.Usage.Raw
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(stderr, "harborctl logs show: write JSON:", err)
			return 1
		}
		return 0
	}
	printTree(stdout, c, links, *full)
	return 0
}

// noteSharedID tells, on stderr, when id (an hb_trace_id or trace id, not
// a call id) names more than the call shown, and how to list them all.
func noteSharedID(ctx context.Context, stderr io.Writer, st store.Store, id, shown string) {
	calls, err := st.List(ctx, store.Filter{TraceID: id, Limit: 2})
	if err != nil || len(calls) < 2 {
		return
	}
	fmt.Fprintf(stderr, "harborctl logs show: %q is the trace of more than one call; this is its first, %s; list them all with: harborctl logs --trace-id %s (and the same -data-dir or -postgres-url)\n",
		id, printable(shown), id)
}

func printTree(w io.Writer, c *record.Call, links map[string]string, full bool) {
	fmt.Fprintf(w, "call %s  [%s]\n", printable(c.CallID), printable(c.DisplayStatus()))
	fmt.Fprintf(w, "├─ trace     hb_trace_id %s\n│            trace_id %s  span_id %s\n", printable(c.HBTraceID), printable(c.TraceID), printable(c.SpanID))
	fmt.Fprintf(w, "├─ request   %s  %s / %s  stream=%v\n", c.StartedAt.UTC().Format("2006-01-02 15:04:05.000Z"), printable(c.Provider), printable(c.Model), c.Stream)
	if c.Endpoint != "" {
		fmt.Fprintf(w, "│            %s\n", printable(c.Endpoint))
	}
	if c.RequestBody != nil {
		fmt.Fprintf(w, "│            body: %s\n", clip(*c.RequestBody, full))
	}
	if !c.HasResponse() {
		fmt.Fprintln(w, "└─ response  (not seen yet)")
		return
	}
	resp := "├─ response  "
	if c.HTTPStatus != nil {
		resp += fmt.Sprintf("HTTP %d  ", *c.HTTPStatus)
	}
	if c.LatencyMS != nil {
		resp += fmt.Sprintf("latency %.1f ms  ", *c.LatencyMS)
	}
	if c.TTFTMS != nil {
		resp += fmt.Sprintf("first byte %.1f ms  ", *c.TTFTMS)
	}
	if c.TokensPerSecond != nil {
		resp += fmt.Sprintf("%.1f tok/s  ", *c.TokensPerSecond)
	}
	if c.ServedModel != "" {
		resp += "served by " + printable(c.ServedModel)
	}
	fmt.Fprintln(w, strings.TrimRight(resp, " "))
	if c.ErrorType != "" || c.ErrorMessage != "" {
		fmt.Fprintf(w, "│            error: %s %s\n", printable(c.ErrorType), printable(c.ErrorMessage))
	}
	if c.ResponseBody != nil {
		fmt.Fprintf(w, "│            body: %s\n", clip(*c.ResponseBody, full))
	}
	if u := c.Usage; u != nil {
		if u.UsageMissing {
			fmt.Fprintln(w, "├─ tokens    ** usage not reported **")
		} else {
			fmt.Fprintf(w, "├─ tokens    ** prompt %s ** (cached %s, cache write %s)  ** completion %s ** (reasoning %s)  ** total %s **\n",
				count(u.PromptTokens), count(u.CachedTokens), count(u.CacheWriteTokens), count(u.CompletionTokens), count(u.ReasoningTokens), count(u.TotalTokens))
			fmt.Fprintf(w, "│            %s, confidence %.2f, method %s\n", printable(u.Consistency), u.Confidence, printable(u.Method))
			if len(u.Raw) > 0 {
				fmt.Fprintf(w, "│            raw usage: %s\n", clip(string(u.Raw), full))
			}
		}
	}
	if ci := c.Cost; ci != nil {
		if ci.TotalCost == nil {
			fmt.Fprintf(w, "├─ cost      none (pricing_source %s%s)\n", printable(ci.PricingSource), printable(suffix(ci.PricingError)))
		} else {
			fmt.Fprintf(w, "├─ cost      input %s + output %s = %s %s  (pricing_source %s)\n", ci.InputCost, ci.OutputCost, ci.TotalCost, printable(ci.Currency), printable(ci.PricingSource))
			if ci.InputPrice != nil && ci.OutputPrice != nil {
				fmt.Fprintf(w, "│            prices per %d tokens: input %s, output %s", ci.Unit, ci.InputPrice, ci.OutputPrice)
				if ci.CachedInputPrice != nil {
					fmt.Fprintf(w, ", cached input %s", ci.CachedInputPrice)
				}
				if ci.CacheWritePrice != nil {
					fmt.Fprintf(w, ", cache write %s", ci.CacheWritePrice)
				}
				fmt.Fprintln(w)
			}
		}
	}
	if c.SpoolReason != "" {
		fmt.Fprintf(w, "├─ spooled   %s\n", printable(c.SpoolReason))
	}
	if len(links) == 0 {
		fmt.Fprintln(w, "└─ links     (set HARBORAI_APM_JAEGER_URL, HARBORAI_APM_ZIPKIN_URL or HARBORAI_APM_GRAFANA_URL)")
		return
	}
	fmt.Fprintln(w, "└─ links")
	for _, k := range []string{"jaeger", "zipkin", "grafana"} {
		if v, ok := links[k]; ok {
			fmt.Fprintf(w, "             %-8s %s\n", k, printable(v))
		}
	}
}

// apmLinks builds trace links from the configured base URLs.
func apmLinks(traceID string) map[string]string {
	links := map[string]string{}
	if b := cli.Env("HARBORAI_APM_JAEGER_URL", ""); b != "" {
		links["jaeger"] = strings.TrimRight(b, "/") + "/trace/" + traceID
	}
	if b := cli.Env("HARBORAI_APM_ZIPKIN_URL", ""); b != "" {
		links["zipkin"] = strings.TrimRight(b, "/") + "/zipkin/traces/" + traceID
	}
	if b := cli.Env("HARBORAI_APM_GRAFANA_URL", ""); b != "" {
		links["grafana"] = strings.TrimRight(b, "/") + "/explore?trace=" + traceID
	}
	return links
}

// clip returns a body on one line, its newlines shown as ⏎ and any other
// control character escaped (printable), cut after 400 characters unless full.
func clip(s string, full bool) string {
	n := len(s)
	s = strings.ReplaceAll(s, "\n", "⏎")
	if !full && utf8.RuneCountInString(s) > 400 {
		return printable(string([]rune(s)[:400])) + fmt.Sprintf("… (%d bytes)", n)
	}
	return printable(s)
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}
