package ingestor

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// RuntimeInfo is written to <data dir>/ingestor.json while the ingestor
// runs, so scripts and harborctl find its addresses (useful with port 0).
type RuntimeInfo struct {
	PID       int       `json:"pid"`
	NATSURL   string    `json:"nats_url"`
	HTTPAddr  string    `json:"http_addr,omitempty"`
	Sink      string    `json:"sink"`
	StartedAt time.Time `json:"started_at"`
}

// RuntimeFile is the path of the runtime file under dataDir.
func RuntimeFile(dataDir string) string { return filepath.Join(dataDir, "ingestor.json") }

func writeRuntime(dataDir string, info RuntimeInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp := RuntimeFile(dataDir) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, RuntimeFile(dataDir))
}
