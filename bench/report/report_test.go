package report

import (
	"testing"
	"time"
)

func TestSplice(t *testing.T) {
	tests := []struct {
		name, doc, content, want string
		wantErr                  bool
	}{
		{
			name:    "replaces between markers, keeps prose",
			doc:     "intro\n<!-- bench:x:begin -->\nold\n<!-- bench:x:end -->\nreading\n",
			content: "new table",
			want:    "intro\n<!-- bench:x:begin -->\nnew table\n<!-- bench:x:end -->\nreading\n",
		},
		{
			name:    "empty section",
			doc:     "<!-- bench:x:begin --><!-- bench:x:end -->",
			content: "t\n",
			want:    "<!-- bench:x:begin -->\nt\n<!-- bench:x:end -->",
		},
		{name: "missing end", doc: "<!-- bench:x:begin -->", wantErr: true},
		{name: "other section only", doc: "<!-- bench:y:begin --><!-- bench:y:end -->", wantErr: true},
		{name: "reversed", doc: "<!-- bench:x:end --><!-- bench:x:begin -->", wantErr: true},
		{name: "twice", doc: "<!-- bench:x:begin --><!-- bench:x:end --><!-- bench:x:begin --><!-- bench:x:end -->", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Splice([]byte(tt.doc), "x", tt.content)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Splice() error = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && string(got) != tt.want {
				t.Errorf("Splice() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	tests := []struct {
		name string
		p    float64
		want float64
	}{
		{"p0 is the minimum", 0, 1},
		{"p50", 50, 5},
		{"p90", 90, 9},
		{"p99", 99, 10},
		{"p100", 100, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(xs, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", xs, tt.p, got, tt.want)
			}
		})
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil, 50) = %v, want 0", got)
	}
	d := Summarize([]time.Duration{3, 1, 2})
	if d.N != 3 || d.P50 != 2 || d.Max != 3 {
		t.Errorf("Summarize() = %+v, want n 3, p50 2, max 3", d)
	}
}

func TestNum(t *testing.T) {
	tests := []struct {
		v      float64
		digits int
		want   string
	}{
		{1234567.891, 1, "1,234,567.9"},
		{999, 0, "999"},
		{-12345, 0, "-12,345"},
		{0.25, 2, "0.25"},
	}
	for _, tt := range tests {
		if got := Num(tt.v, tt.digits); got != tt.want {
			t.Errorf("Num(%v, %d) = %q, want %q", tt.v, tt.digits, got, tt.want)
		}
	}
}
