package parse

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// maxErrorMessage bounds ErrorMessage; vendors' messages are short, but a
// proxy's text error event can be a whole HTML page.
const maxErrorMessage = 1024

// vendorError reports whether d is a vendor error object, and its message.
// The shapes, all sent by some vendor with HTTP 200 or inside a stream:
//
//   - an SSE event named "error" (OpenAI, Anthropic, DashScope), whatever its data;
//   - {"error": {...}} or {"error": "text"}: OpenAI and every OpenAI-compatible
//     vendor, Gemini, Qianfan v2, Ollama; {"type": "error", ...}: Anthropic,
//     the Responses API's error event;
//   - a Responses API object or event whose response failed;
//   - {"error_code": 110, "error_msg": "..."}: Qianfan v1, with HTTP 200;
//   - a bare {"code": "...", "message": "...", "request_id": "..."}: DashScope
//     native; {"message": "..."}: Bedrock;
//   - an AWS event-stream exception, {"throttlingException": {...}}: Bedrock.
func vendorError(d doc) (string, bool) {
	if !d.ok {
		if d.event == "error" {
			return clip(d.text), true
		}
		return "", false
	}
	o := d.obj
	if msg, ok := errorMember(o); ok {
		return msg, true
	}
	if d.event == "error" || o.str("type") == "error" {
		return clip(firstString(o, "message", "msg")), true
	}
	if r, ok := o.object("response"); ok {
		if msg, ok := errorMember(r); ok {
			return msg, true
		}
	}
	if o.str("type") == "response.failed" || o.str("status") == "failed" && o.str("object") == "response" {
		return "", true
	}
	if code, ok := o.lookup("error_code"); ok && !successCode(code) {
		return clip(firstString(o, "error_msg", "message")), true
	}
	if msg, ok := bareError(o); ok {
		return msg, true
	}
	if msg, ok := streamException(o); ok {
		return msg, true
	}
	return "", false
}

// streamException recognises an AWS event-stream exception event (Bedrock),
// {"throttlingException": {"message": "..."}}: one member named *Exception.
func streamException(o object) (string, bool) {
	k, ok := o.onlyKey()
	if !ok {
		return "", false
	}
	e, ok := o.object(k)
	if !ok || !strings.HasSuffix(k, "Exception") {
		return "", false
	}
	return clip(firstString(e, "message", "Message")), true
}

// errorMember reads an "error" member that is an error: a non-empty object
// or string, or true. "error": null, {}, "" and a success placeholder are not
// errors.
func errorMember(o object) (string, bool) {
	v, ok := o.lookup("error")
	if !ok || len(v) == 0 {
		return "", false
	}
	switch v[0] {
	case '{':
		e, ok := decodeObject(v)
		if !ok || e.empty() {
			return "", false
		}
		msg := firstString(e, "message", "msg", "error_msg", "Message")
		if code, ok := e.lookup("code"); ok && successCode(code) && successWord(msg) {
			return "", false // a gateway's {"code": 0, "message": "success"} placeholder
		}
		return clip(msg), true
	case '"':
		s := o.str("error")
		return clip(s), s != ""
	case 't':
		return "", string(v) == "true"
	}
	return "", false
}

// bareErrorKey reports whether k is a member a bare error object may have.
func bareErrorKey(k string) bool {
	switch k {
	case "code", "message", "msg", "Message", "__type", "type", "request_id", "requestId",
		"status", "status_code", "statusCode", "param", "details":
		return true
	}
	return false
}

// bareError recognises an error object that is only a code and a message
// (DashScope native, Bedrock), whose code, if any, is not a success code.
func bareError(o object) (string, bool) {
	msg := firstString(o, "message", "msg", "Message")
	if msg == "" {
		return "", false
	}
	for k := range o.keys() {
		if !bareErrorKey(k) {
			return "", false
		}
	}
	if code, ok := o.lookup("code"); ok && successCode(code) {
		return "", false
	}
	return clip(msg), true
}

// successCode reports whether a code member means success (or nothing).
func successCode(code json.RawMessage) bool {
	s, ok := stringValue(code)
	if !ok {
		s = code
	}
	return successWord(string(s))
}

// successWord reports whether a code or message says success (or nothing).
func successWord(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "200", "null", "ok", "success", "false":
		return true
	}
	return false
}

func firstString(o object, keys ...string) string {
	for _, k := range keys {
		if s := o.str(k); s != "" {
			return s
		}
	}
	return ""
}

// clip bounds a message to maxErrorMessage bytes on a rune boundary.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= maxErrorMessage {
		return s
	}
	cut := maxErrorMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
