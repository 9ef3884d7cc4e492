package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingestor"
)

// Ingestor is bin/ingestor running as a child process, as operators run
// it: its CPU and memory are its own (the embedded NATS server included),
// apart from the publisher's, which runs in the benchmark process.
type Ingestor struct {
	PID      int
	DataDir  string
	NATSURL  string
	HTTPAddr string

	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's, once done is closed
	logs *tail
	stop sync.Once
}

// StartIngestor runs the ingestor binary bin with the HARBORAI_* settings
// in env over a fresh data directory (embedded NATS and metrics on free
// ports), waits until it consumes, and stops it at cleanup.
func StartIngestor(tb testing.TB, bin string, env map[string]string) *Ingestor {
	tb.Helper()
	in, err := LaunchIngestor(bin, tb.TempDir(), env)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = in.Stop() })
	if err := in.WaitRuntime(90 * time.Second); err != nil {
		tb.Fatal(err)
	}
	return in
}

// LaunchIngestor starts the binary without waiting for it. env overrides
// the defaults: data dir dataDir, NATS and metrics on free loopback ports,
// log level warn. HARBORAI_* variables of this process are not inherited.
func LaunchIngestor(bin, dataDir string, env map[string]string) (*Ingestor, error) {
	vars := map[string]string{
		"HARBORAI_DATA_DIR":     dataDir,
		"HARBORAI_NATS_LISTEN":  "127.0.0.1:0",
		"HARBORAI_METRICS_ADDR": "127.0.0.1:0",
		"HARBORAI_LOG_LEVEL":    "warn",
	}
	maps.Copy(vars, env)
	cmd := exec.Command(bin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HARBORAI_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		cmd.Env = append(cmd.Env, k+"="+vars[k])
	}
	logs := &tail{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w (run make build first)", bin, err)
	}
	in := &Ingestor{PID: cmd.Process.Pid, DataDir: dataDir, cmd: cmd, done: make(chan struct{}), logs: logs}
	go func() {
		in.err = cmd.Wait()
		close(in.done)
	}()
	return in, nil
}

// WaitRuntime waits until the ingestor consumes (it writes its runtime
// file then) and reads its addresses from the file.
func (in *Ingestor) WaitRuntime(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(ingestor.RuntimeFile(in.DataDir))
		if err == nil {
			var info ingestor.RuntimeInfo
			if err := json.Unmarshal(b, &info); err == nil && info.NATSURL != "" {
				in.NATSURL, in.HTTPAddr = info.NATSURL, info.HTTPAddr
				return nil
			}
		}
		select {
		case <-in.done:
			return fmt.Errorf("ingestor exited before it was ready: %w\n%s", in.err, in.logs)
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ingestor not ready within %s\n%s", timeout, in.logs)
		}
	}
}

// Stop sends SIGTERM and waits up to 30 s (then kills). It returns the
// process's error, if it failed. It is idempotent.
func (in *Ingestor) Stop() error {
	in.stop.Do(func() {
		_ = in.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-in.done:
		case <-time.After(30 * time.Second):
			_ = in.cmd.Process.Kill()
			<-in.done
		}
	})
	if in.err != nil {
		return fmt.Errorf("ingestor: %w\n%s", in.err, in.logs)
	}
	return nil
}

// Logs returns the end of the ingestor's output.
func (in *Ingestor) Logs() string { return in.logs.String() }

// Metrics scrapes the ingestor's /metrics.
func (in *Ingestor) Metrics(ctx context.Context) (Metrics, error) {
	return Scrape(ctx, in.HTTPAddr)
}

// BinDir returns the absolute path of the repository's bin directory,
// where make build puts the commands (the benchmarks run in bench/).
func BinDir() string {
	p, _ := filepath.Abs(filepath.Join("..", "bin"))
	return p
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
