package emulator

import (
	"net/http"
	"strings"
	"time"
)

// call is one request as the emulator understood it.
type call struct {
	model        string
	stream       bool
	includeUsage bool // stream_options.include_usage of OpenAI-compatible APIs
	inputBytes   int  // bytes of the input fields, for a derived usage
	usage        Usage
	omitUsage    bool
	pieces       []string
	created      time.Time

	// Request options only some vendors have.
	textResult  bool // DashScope native: result_format is not "message"
	incremental bool // DashScope native: incremental_output
	jsonArray   bool // Gemini streamGenerateContent without alt=sse
}

// text is the whole reply.
func (c *call) text() string { return strings.Join(c.pieces, "") }

// vendor is one API the emulator speaks. Each vendor family's file builds
// its vendors; registry lists them all.
type vendor struct {
	name   string
	base   string   // BaseURL's path under the server's URL
	routes []string // http.ServeMux patterns, method included
	// endpoint is the URL a call to model is posted to, given BaseURL.
	endpoint func(base, model string, stream bool) string
	// decode reads the request; an error answers with the vendor's
	// invalid_request error.
	decode func(r *http.Request, body []byte) (*call, error)
	// reply is the body of a successful non-streamed call.
	reply func(c *call) any
	// stream writes a successful streamed call, headers included.
	stream func(s *stream, c *call)
	// failure is the error body of kind k.
	failure func(k errKind) any
	// status is the HTTP status of an error of kind k; nil means k.status().
	status func(k errKind) int
	// streamFailure writes an http200 error inside a stream, headers
	// included; nil answers streamed calls with the plain error body.
	streamFailure func(s *stream, body any)
	// idHeader is the response header carrying the request id.
	idHeader string
}

// registry returns every vendor the emulator speaks, in Vendors' order.
func registry() []*vendor {
	var vs []*vendor
	for _, d := range dialects() {
		vs = append(vs, compatible(d))
	}
	return append(vs, openAIResponses(), anthropic(), gemini(), qianfanV1(), dashscope())
}

// Vendors lists the names of the vendors the emulator speaks, the names
// BaseURL and Endpoint accept.
func Vendors() []string {
	var names []string
	for _, v := range registry() {
		names = append(names, v.name)
	}
	return names
}
