package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Section is one benchmark's part of docs/benchmarks.md: its markdown (put
// between the section's markers) and its raw figures, kept as JSON in the
// output directory so later benchmarks and later runs can read them.
type Section struct {
	Name     string          `json:"name"` // the marker name, e.g. "ingest"
	Started  time.Time       `json:"started"`
	Finished time.Time       `json:"finished"`
	Env      Env             `json:"env"`
	Markdown string          `json:"markdown"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// Path is where the section named name is kept in dir.
func Path(dir, name string) string { return filepath.Join(dir, name+".json") }

// Write stores s in dir, replacing the previous run's.
func Write(dir string, s Section) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write section %s: %w", s.Name, err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("write section %s: %w", s.Name, err)
	}
	tmp := Path(dir, s.Name) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write section %s: %w", s.Name, err)
	}
	return os.Rename(tmp, Path(dir, s.Name))
}

// Read loads the section named name from dir.
func Read(dir, name string) (Section, error) {
	var s Section
	b, err := os.ReadFile(Path(dir, name))
	if err != nil {
		return s, fmt.Errorf("read section %s: %w", name, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("read section %s: %w", name, err)
	}
	return s, nil
}

// ReadData loads the raw figures of the section named name into v.
func ReadData(dir, name string, v any) error {
	s, err := Read(dir, name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(s.Data, v); err != nil {
		return fmt.Errorf("read section %s data: %w", name, err)
	}
	return nil
}
