package cli

import "testing"

func TestCheckNATSURL(t *testing.T) {
	cases := []struct {
		in string
		ok bool
	}{
		{"nats://127.0.0.1:4222", true},
		{"nats://host", true},
		{"tls://user:pw@host:4443", true},
		{"ws://host:8080,ws://other:8080", true},
		{"nats://a:4222, nats://b:4222", true},
		{"wss://host", true},
		{"garbage", false},
		{"", false},
		{"127.0.0.1:4222", false},
		{"http://host:4222", false},
		{"nats://", false},
		{"nats://host:port", false},
		{"nats://host:99999", false},
		{"nats://a:4222,garbage", false},
		{"nats://a:4222,", true}, // nats.go skips empty entries
		{",", false},
	}
	for _, tc := range cases {
		if err := CheckNATSURL(tc.in); (err == nil) != tc.ok {
			t.Errorf("CheckNATSURL(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}
