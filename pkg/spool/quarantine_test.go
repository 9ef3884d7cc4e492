package spool

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

func TestQuarantine(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		raw    []byte
		key    string
		want   string // the value of key in the line
	}{
		{"valid JSON is kept as JSON", "unknown_schema", []byte(`{ "schema_version": 9 }`), "data", `{"schema_version":9}`},
		{"invalid JSON as base64", "invalid_json", []byte("{\"a\":\x00\xff"), "raw", `"` + base64.StdEncoding.EncodeToString([]byte("{\"a\":\x00\xff")) + `"`},
		{"empty", "empty", nil, "raw", `""`},
		{"reason needing escapes", "bad \"line\"\n<torn>", []byte(`1`), "data", `1`},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		if err := Quarantine(dir, tt.reason, tt.raw); err != nil {
			t.Fatalf("Quarantine(%s) = %v", tt.name, err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, quarantineDir, "quarantine-*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("quarantine files %v, want one", files)
	}
	f, _ := os.Open(files[0])
	defer f.Close()
	sc := bufio.NewScanner(f)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !sc.Scan() {
				t.Fatal("missing line")
			}
			var l map[string]json.RawMessage
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("line %s: %v", sc.Bytes(), err)
			}
			var reason, crc string
			json.Unmarshal(l["reason"], &reason)
			json.Unmarshal(l["crc"], &crc)
			value := l[tt.key]
			if string(l["v"]) != "1" || reason != tt.reason || string(value) != tt.want {
				t.Errorf("line %s: want v 1, reason %q, %s %s", sc.Bytes(), tt.reason, tt.key, tt.want)
			}
			if want := string(appendHex32(nil, crc32.Checksum(value, castagnoli))); crc != want {
				t.Errorf("crc %s, want %s", crc, want)
			}
			if !bytes.Contains(sc.Bytes(), value) {
				t.Errorf("line %s does not hold the checksummed bytes %s as they are", sc.Bytes(), value)
			}
		})
	}
}

// TestQuarantineAfterTornLine: a crash during Quarantine leaves a torn last
// line; the next quarantined record still gets a line of its own rather
// than being glued to the fragment and lost with it.
func TestQuarantineAfterTornLine(t *testing.T) {
	dir := t.TempDir()
	if err := Quarantine(dir, "before", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, quarantineDir, "quarantine-*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("quarantine files %v, want one", files)
	}
	f, err := os.OpenFile(files[0], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"v":1,"crc":"0000`); err != nil { // a write cut short
		t.Fatal(err)
	}
	f.Close()
	if err := Quarantine(dir, "after", []byte(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	files, _ = filepath.Glob(filepath.Join(dir, quarantineDir, "quarantine-*.jsonl")) // two after midnight
	var reasons []string
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			var l struct{ Reason string }
			if json.Unmarshal(line, &l) == nil {
				reasons = append(reasons, l.Reason)
			}
		}
	}
	if len(reasons) != 2 || reasons[0] != "before" || reasons[1] != "after" {
		t.Errorf("readable quarantine lines have reasons %q, want [before after]", reasons)
	}
}
