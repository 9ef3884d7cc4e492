package harborai

import (
	"context"
	"net/http"
)

// DefaultMaxBodyBytes is how much of a request or response body a recorded
// event keeps by default; the rest is cut and the event says "truncated".
const DefaultMaxBodyBytes = 4 << 20

type transportOptions struct {
	bases        []baseURL
	maxBody      int
	includeUsage bool
	onCall       func(*http.Request, *Call)
}

type baseURL struct{ provider, url string }

func defaultTransportOptions() transportOptions {
	return transportOptions{maxBody: DefaultMaxBodyBytes, includeUsage: true}
}

// TransportOption configures a Transport.
type TransportOption func(*transportOptions)

// WithBaseURL records calls under base (a gateway, a proxy, a
// self-hosted or OpenAI-compatible server, the emulator) as calls to
// provider, a name or alias pkg/parse knows ("openai", "kimi", "qianfan")
// or any other name (its usage is then read as OpenAI-compatible). The
// vendors' own hosts are recognised without it. An invalid URL is logged
// and ignored.
func WithBaseURL(provider, base string) TransportOption {
	return func(o *transportOptions) { o.bases = append(o.bases, baseURL{provider, base}) }
}

// WithMaxBodyBytes bounds the bytes of a request or response body kept in
// its event (default DefaultMaxBodyBytes). A longer body is cut: the event
// keeps its first n bytes and says BodyOmitted "truncated"; the application
// still sends and receives every byte. math.MaxInt keeps bodies whole.
func WithMaxBodyBytes(n int) TransportOption {
	return func(o *transportOptions) { o.maxBody = max(n, 0) }
}

// WithIncludeUsage chooses whether streamed chat completions of the
// OpenAI-compatible vendors get stream_options.include_usage = true added
// when the request does not say (default true). Without it those vendors
// report no usage in streams. The extra usage-only chunk it brings is
// recorded but hidden from the application, which did not ask for it.
// Requests it cannot be added to safely are left alone: a body that does
// not say "stream": true itself, a caller that set Accept-Encoding (the
// chunk could not be hidden in compressed bytes), and Azure OpenAI before
// api-version 2024-09-01-preview, which refuses it.
func WithIncludeUsage(on bool) TransportOption {
	return func(o *transportOptions) { o.includeUsage = on }
}

// WithOnCall calls fn on the caller's goroutine each time the transport
// starts recording a call, once its ids are assigned and before the request
// is sent: a place to log the call's ids next to the application's own
// logs. fn must not block nor keep req.
func WithOnCall(fn func(req *http.Request, c *Call)) TransportOption {
	return func(o *transportOptions) { o.onCall = fn }
}

type callInfoKey struct{}

// ContextWithCallInfo returns ctx carrying info for the calls the Transport
// records with it: Tags and CustomPricing are used as given; Provider and
// Model, when set, replace what the transport detects. StartedAt, Endpoint
// and Stream are ignored.
func ContextWithCallInfo(ctx context.Context, info CallInfo) context.Context {
	return context.WithValue(ctx, callInfoKey{}, info)
}

func callInfoFrom(ctx context.Context) (CallInfo, bool) {
	info, ok := ctx.Value(callInfoKey{}).(CallInfo)
	return info, ok
}
