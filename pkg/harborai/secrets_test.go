package harborai_test

// Secrets and redaction: what the application's calls carry that may be a
// secret never leaves the process (SPEC §12).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

const secretValue = "SECRETKEY123456"

// publishedEvents waits for n published events and decodes them.
func publishedEvents(t *testing.T, seen func() [][]byte, n int) []*event.Event {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d events published", n), func() (bool, string) {
		return len(seen()) >= n, fmt.Sprintf("%d", len(seen()))
	})
	var out []*event.Event
	for _, raw := range seen() {
		ev, err := event.Decode(raw, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// TestRedactHookPanics: a redaction hook that panics must not crash the
// application, nor let the body it was given out: the call is published
// with that body left out ("redaction_failed"), and the other body
// redacted as usual.
func TestRedactHookPanics(t *testing.T) {
	srv := startBroker(t)
	seen := subscribe(t, srv.ClientURL())
	var logs testutil.SyncBuffer
	pub := connect(t, srv.ClientURL(), harborai.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		harborai.WithRedactBodies(func(_ *event.Event, part harborai.BodyPart, body string) string {
			if part == harborai.ResponseBody {
				panic("bug in the application's redaction hook")
			}
			return strings.ReplaceAll(body, secretValue, "[redacted]")
		}))
	err := pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"},
		event.Request{Body: `{"model":"gpt-4o-mini","user":"` + secretValue + `"}`},
		event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: `{"echo":"` + secretValue + `"}`})
	if err != nil {
		t.Fatal(err)
	}
	ev := publishedEvents(t, seen, 1)[0]
	if got := ev.Request.Body; got != `{"model":"gpt-4o-mini","user":"[redacted]"}` {
		t.Errorf("request body = %q, want it redacted", got)
	}
	if ev.Response.Body != "" || ev.Response.BodyOmitted != "redaction_failed" {
		t.Errorf("response body = %q (omitted %q), want none, omitted as redaction_failed", ev.Response.Body, ev.Response.BodyOmitted)
	}
	if !strings.Contains(logs.String(), "redaction hook panicked") {
		t.Errorf("no warning logged:\n%s", logs.String())
	}
}

// TestErrorMessageHasNoURLSecrets: the error message recorded for a failed
// call carries neither the URL's ?key= nor its password, in whatever form
// the base transport prints the URL: here a base that wraps another
// http.Client (as retry middlewares do), whose url.Error masks the password
// as "***", so the URL is not written as u.String() writes it.
func TestErrorMessageHasNoURLSecrets(t *testing.T) {
	srv := startBroker(t)
	seen := subscribe(t, srv.ClientURL())
	pub := connect(t, srv.ClientURL())
	// A base that wraps another client (as a retry middleware does): its
	// errors are net/http.Client's url.Error.
	inner := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("dial tcp 10.0.0.1:443: connect: connection refused")
	})}
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		r, _ := http.NewRequestWithContext(req.Context(), req.Method, req.URL.String(), nil)
		resp, err := inner.Do(r)
		return resp, err
	})
	client := pub.HTTPClient(&http.Client{Transport: base}, harborai.WithBaseURL("gemini", "https://gw.example.com"))
	u := "https://proxyuser:proxypass@gw.example.com/v1beta/models/gemini-2.0-flash:generateContent?key=" + secretValue
	if resp, err := client.Post(u, "application/json", strings.NewReader(`{"contents":[]}`)); err == nil {
		resp.Body.Close()
		t.Fatal("want the call to fail")
	}
	var resp *event.Event
	for _, ev := range publishedEvents(t, seen, 2) {
		if ev.Response != nil {
			resp = ev
		}
	}
	if resp == nil {
		t.Fatal("no response event")
	}
	if strings.Contains(resp.Response.ErrorMessage, secretValue) {
		t.Errorf("published error_message carries the API key: %q", resp.Response.ErrorMessage)
	}
}

// TestBodyReadErrorHasNoURLSecrets: the error message of a response body
// cut by a read error that quotes the URL carries no ?key= either.
func TestBodyReadErrorHasNoURLSecrets(t *testing.T) {
	srv := startBroker(t)
	seen := subscribe(t, srv.ClientURL())
	pub := connect(t, srv.ClientURL())
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		body := io.MultiReader(strings.NewReader(`{"candidates":[`), errReader{fmt.Errorf("read body of %s: %w", req.URL, io.ErrUnexpectedEOF)})
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(body), ContentLength: -1, Request: req}, nil
	})
	client := pub.HTTPClient(&http.Client{Transport: base})
	u := "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent?key=" + secretValue
	resp, err := client.Post(u, "application/json", strings.NewReader(`{"contents":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	for _, ev := range publishedEvents(t, seen, 2) {
		if ev.Response != nil && strings.Contains(ev.Response.ErrorMessage, secretValue) {
			t.Errorf("published error_message carries the API key: %q", ev.Response.ErrorMessage)
		}
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestConnectErrorHasNoPassword: Connect's error names the NATS URL
// without its password; the application logs it (SPEC §12).
func TestConnectErrorHasNoPassword(t *testing.T) {
	url := "nats://harbor:" + secretValue + "@" + testutil.HangUpAddr(t)
	pub, err := harborai.Connect(url, harborai.WithNATSOptions(nats.RetryOnFailedConnect(false), nats.Timeout(200*time.Millisecond)))
	if err == nil {
		_ = pub.Close(context.Background())
		t.Fatal("want Connect to fail")
	}
	if strings.Contains(err.Error(), secretValue) {
		t.Errorf("Connect() error carries the password: %v", err)
	}
}

// TestIgnoredBaseURLLoggedWithoutPassword: a WithBaseURL the Transport
// ignores is logged without the credentials it holds.
func TestIgnoredBaseURLLoggedWithoutPassword(t *testing.T) {
	srv := startBroker(t)
	var logs bytes.Buffer
	pub := connect(t, srv.ClientURL(), harborai.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	// A scheme-less gateway URL with basic-auth credentials: no host, so
	// ignored and logged.
	_ = harborai.NewTransport(pub, nil, harborai.WithBaseURL("openai", "gwuser:"+secretValue+"@gateway.internal/v1"))
	if strings.Contains(logs.String(), secretValue) {
		t.Errorf("the publisher's log carries the base URL's password:\n%s", logs.String())
	}
}

// TestLogCallPublishesNoSecrets: LogCall (and Call.Request, and Publish)
// leave out the secrets the application hands them, as the Transport
// does: an Authorization header, a ?key= (SPEC §2: secrets in headers are
// never published).
func TestLogCallPublishesNoSecrets(t *testing.T) {
	srv := startBroker(t)
	seen := subscribe(t, srv.ClientURL())
	pub := connect(t, srv.ClientURL())
	req := event.Request{
		Method:  "POST",
		URL:     "https://generativelanguage.googleapis.com/v1beta/models/m:generateContent?key=" + secretValue,
		Headers: map[string]string{"Authorization": "Bearer sk-" + secretValue, "Content-Type": "application/json"},
		Body:    `{}`,
	}
	if err := pub.LogCall(context.Background(), harborai.CallInfo{Provider: "gemini", Model: "m"}, req,
		event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: `{}`}); err != nil {
		t.Fatal(err)
	}
	evs := publishedEvents(t, seen, 1)
	if r := evs[0].Request; strings.Contains(r.URL, secretValue) || r.Headers["Authorization"] != "" {
		t.Errorf("LogCall published secrets: url %q, headers %v", r.URL, r.Headers)
	}
}

// TestSpanStatusKeepsToTheRedaction: with WithRedactBodies, the span of a
// failed call does not carry the vendor's error message, read from the
// raw body: what the hook removes from the body (a key, a card number the
// vendor quotes back) must not reach the tracing backend another way.
// The status is the error's type.
func TestSpanStatusKeepsToTheRedaction(t *testing.T) {
	const card = "4111111111111111"
	srv := startBroker(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	pub := connect(t, srv.ClientURL(), harborai.WithTracerProvider(tp),
		harborai.WithRedactBodies(func(_ *event.Event, _ harborai.BodyPart, body string) string {
			return strings.ReplaceAll(strings.ReplaceAll(body, card, "[card]"), "sk-"+secretValue, "[key]")
		}))
	vendor := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		body := `{"error":{"message":"Incorrect API key provided: sk-` + secretValue + `. Content: my card ` + card + `","type":"invalid_request_error"}}`
		return &http.Response{StatusCode: 401, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
	})
	client := pub.HTTPClient(&http.Client{Transport: vendor})
	resp, err := client.Post("https://api.openai.com/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"my card `+card+`"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	waitFor(t, 5*time.Second, "the span ended", func() (bool, string) { return len(rec.Ended()) == 1, "" })
	desc := rec.Ended()[0].Status().Description
	if strings.Contains(desc, card) || strings.Contains(desc, secretValue) {
		t.Errorf("span status description carries what the redaction hook removes: %q", desc)
	}
}

// TestNoSecretsInSpansOrEvents: secrets in the user information, in
// ?key=, and in headers in odd case or repeated ("authorization",
// "X-GOOG-API-KEY", Proxy-Authorization, Cookie twice), with a url.Error
// that prints the URL as u.String(), reach neither the span nor the
// events.
func TestNoSecretsInSpansOrEvents(t *testing.T) {
	srv := startBroker(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	pub := connect(t, srv.ClientURL(), harborai.WithTracerProvider(tp))
	seen := subscribe(t, srv.ClientURL())
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return nil, &url.Error{Op: "Post", URL: req.URL.String(), Err: errors.New("tls: handshake failure")}
	})
	client := pub.HTTPClient(&http.Client{Transport: base})
	req, _ := http.NewRequest("POST", "https://u:"+secretValue+"@generativelanguage.googleapis.com/v1beta/models/m:generateContent?alt=sse&key="+secretValue, strings.NewReader(`{}`))
	req.Header["authorization"] = []string{"Bearer " + secretValue}
	req.Header["X-GOOG-API-KEY"] = []string{secretValue}
	req.Header["Proxy-Authorization"] = []string{secretValue}
	req.Header.Add("Cookie", secretValue)
	req.Header.Add("Cookie", secretValue)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("want the call to fail")
	}
	for _, s := range rec.Ended() {
		if strings.Contains(fmt.Sprint(s.Attributes(), s.Name(), s.Status()), secretValue) {
			t.Errorf("span carries the secret: %v %v", s.Attributes(), s.Status())
		}
	}
	for _, raw := range publishedEvents(t, seen, 2) {
		if b, _ := event.Encode(raw); bytes.Contains(b, []byte(secretValue)) {
			t.Errorf("event carries the secret: %s", b)
		}
	}
}

// TestURLKeepsParametersThatAreNoSecrets: SPEC §12, no false positive on
// parameter names like max_tokens: the published URL keeps ?max_tokens=
// and leaves out ?key=.
func TestURLKeepsParametersThatAreNoSecrets(t *testing.T) {
	srv := startBroker(t)
	seen := subscribe(t, srv.ClientURL())
	pub := connect(t, srv.ClientURL())
	base := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, io.ErrUnexpectedEOF })
	client := pub.HTTPClient(&http.Client{Transport: base}, harborai.WithBaseURL("openai", "https://gw.example.com"))
	if resp, err := client.Post("https://gw.example.com/v1/chat/completions?max_tokens=100&key="+secretValue, "application/json", strings.NewReader(`{}`)); err == nil {
		resp.Body.Close()
		t.Fatal("want the call to fail")
	}
	for _, ev := range publishedEvents(t, seen, 2) {
		if ev.Request == nil {
			continue
		}
		if u := ev.Request.URL; !strings.Contains(u, "max_tokens=100") || strings.Contains(u, secretValue) {
			t.Errorf("published URL %q, want max_tokens=100 kept and the key left out", u)
		}
	}
}

// TestSecretNamesAreLeftOut: names that were secrets before the
// word-end rule and still carry secrets: a session id, plural key/token
// parameters.
func TestSecretNamesAreLeftOut(t *testing.T) {
	srv := startBroker(t)
	seen := subscribe(t, srv.ClientURL())
	pub := connect(t, srv.ClientURL())
	client := pub.HTTPClient(&http.Client{Transport: memoryTransport{body: []byte(sampleEvent().Response.Body)}})
	u := "https://api.openai.com/v1/chat/completions?sessionid=" + secretValue + "1&jsessionid=" + secretValue + "2&api_keys=" + secretValue + "3&access_tokens=" + secretValue + "4"
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(plainChat))
	req.Header.Set("Sessionid", secretValue+"5")
	req.Header.Set("X-Api-Keys", secretValue+"6")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	for _, ev := range publishedEvents(t, seen, 2) {
		if ev.Request == nil {
			continue
		}
		if strings.Contains(ev.Request.URL, secretValue) {
			t.Errorf("published URL carries secrets: %s", ev.Request.URL)
		}
		for k, v := range ev.Request.Headers {
			if strings.Contains(v, secretValue) {
				t.Errorf("published header %s: %s", k, v)
			}
		}
	}
}

// TestLogCallKeepsURLWithoutSecrets: an event the application
// publishes with a URL that has no secret keeps its URL as written.
func TestLogCallKeepsURLWithoutSecrets(t *testing.T) {
	srv := startBroker(t)
	seen := subscribe(t, srv.ClientURL())
	pub := connect(t, srv.ClientURL())
	urls := []string{
		"https://host.example/v1/100%/claude@20240620:rawPredict", // does not parse: quotable
		"https://host.example/v1/模型/chat?alt=sse",
	}
	for _, u := range urls {
		if err := pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "m"},
			event.Request{Method: "POST", URL: u, Body: plainChat},
			event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: sampleEvent().Response.Body}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	for _, ev := range publishedEvents(t, seen, 2) {
		got[ev.Request.URL] = true
	}
	for _, u := range urls {
		if !got[u] {
			t.Errorf("URL %q published as something else: %v", u, got)
		}
	}
}
