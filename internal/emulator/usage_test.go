package emulator

import "testing"

func TestParseUsage(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Usage
		wantErr bool
	}{
		{"all", "prompt=10,completion=5,cached=2,reasoning=1,cache_write=3", Usage{10, 5, 2, 1, 3}, false},
		{"spaces_and_order", " completion = 5 , prompt=10 ", Usage{Prompt: 10, Completion: 5}, false},
		{"empty_parts", "prompt=1,,", Usage{Prompt: 1}, false},
		{"above_2^53", "prompt=9007199254740993,completion=1", Usage{Prompt: 9007199254740993, Completion: 1}, false},
		{"unknown_key", "input=3", Usage{}, true},
		{"no_value", "prompt", Usage{}, true},
		{"not_a_number", "prompt=ten", Usage{}, true},
		{"negative", "prompt=-1", Usage{}, true},
		{"cache_above_prompt", "prompt=3,cached=2,cache_write=2", Usage{}, true},
		{"reasoning_above_completion", "completion=1,reasoning=2", Usage{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseUsage(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseUsage(%q) error = %v, want error %t", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("parseUsage(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestUsageStringRoundTrips(t *testing.T) {
	u := Usage{Prompt: 100, Completion: 40, Cached: 30, Reasoning: 10, CacheWrite: 20}
	got, err := parseUsage(u.String())
	if err != nil || got != u {
		t.Errorf("parseUsage(%q) = %+v, %v; want %+v", u.String(), got, err, u)
	}
	if u.Total() != 140 {
		t.Errorf("Total() = %d, want 140", u.Total())
	}
}

func TestProgress(t *testing.T) {
	tests := []struct {
		n        int64
		k, total int
		want     int64
	}{
		{40, 1, 4, 10}, {40, 4, 4, 40}, {7, 1, 3, 2}, {7, 3, 3, 7}, {7, 0, 0, 7},
	}
	for _, tt := range tests {
		if got := progress(tt.n, tt.k, tt.total); got != tt.want {
			t.Errorf("progress(%d, %d, %d) = %d, want %d", tt.n, tt.k, tt.total, got, tt.want)
		}
	}
}
