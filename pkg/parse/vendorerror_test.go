package parse

import "testing"

func TestVendorError(t *testing.T) {
	tests := []struct {
		name    string
		event   string
		body    string
		wantErr bool
		wantMsg string
	}{
		{"openai error object", "", `{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}`, true, "bad key"},
		{"ollama error string", "", `{"error":"model not found"}`, true, "model not found"},
		{"anthropic error", "", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, true, "Overloaded"},
		{"responses error event", "", `{"type":"error","code":"server_error","message":"boom","sequence_number":3}`, true, "boom"},
		{"responses failed", "", `{"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"failed"}}}`, true, "failed"},
		{"qianfan v1", "", `{"error_code":18,"error_msg":"Open api qps request limit reached"}`, true, "Open api qps request limit reached"},
		{"dashscope bare", "", `{"code":"Throttling","message":"Requests rate limit exceeded","request_id":"r"}`, true, "Requests rate limit exceeded"},
		{"bedrock bare", "", `{"message":"Too many requests"}`, true, "Too many requests"},
		{"sse error event", "error", `{"code":"InternalError","message":"x","request_id":"r"}`, true, "x"},
		{"null error", "", `{"id":"resp_1","object":"response","error":null,"usage":null}`, false, ""},
		{"empty error object", "", `{"error":{},"choices":[]}`, false, ""},
		{"empty error string", "", `{"error":""}`, false, ""},
		{"success placeholder", "", `{"error":{"code":0,"message":"success"},"choices":[]}`, false, ""},
		{"qianfan zero error code", "", `{"error_code":0,"result":"hi"}`, false, ""},
		{"success envelope", "", `{"code":0,"msg":"success"}`, false, ""},
		{"envelope with data", "", `{"code":"500","message":"x","data":{}}`, false, ""},
		{"chat chunk", "", `{"id":"c","object":"chat.completion.chunk","choices":[]}`, false, ""},
		{"anthropic ping", "ping", `{"type":"ping"}`, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, ok := decodeObject([]byte(tt.body))
			if !ok {
				t.Fatalf("bad test body %s", tt.body)
			}
			msg, isErr := vendorError(doc{event: tt.event, obj: o, ok: true})
			if isErr != tt.wantErr || msg != tt.wantMsg {
				t.Errorf("vendorError(%s) = %q, %v, want %q, %v", tt.body, msg, isErr, tt.wantMsg, tt.wantErr)
			}
		})
	}
}

func TestClip(t *testing.T) {
	long := ""
	for len(long) <= maxErrorMessage {
		long += "错"
	}
	got := clip(long)
	if len(got) > maxErrorMessage || got != long[:len(got)] || len(got)%len("错") != 0 {
		t.Errorf("clip(%d bytes) = %d bytes, want a rune-aligned prefix of at most %d", len(long), len(got), maxErrorMessage)
	}
}
