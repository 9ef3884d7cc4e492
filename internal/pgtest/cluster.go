package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/flock"
	"github.com/jackc/pgx/v5"
)

// dirPrefix names the temporary directories of the clusters, so stale ones
// left by a killed test binary can be found and removed.
const dirPrefix = "harborai-pgtest-"

// cmdTimeout bounds initdb and every pg_ctl call.
const cmdTimeout = 2 * time.Minute

// Cluster is a private PostgreSQL cluster: a data directory, a server log
// and the server's socket in one temporary directory, a server on a
// loopback port, trust authentication for the user "postgres".
type Cluster struct {
	bin  binaries
	dir  string
	port int
	cred *syscall.Credential // set when running as root: run as "postgres"
	seq  atomic.Int64        // database name counter

	mu      sync.Mutex
	running bool
	frozen  []int // pids stopped by Freeze, postmaster first
}

// newCluster initialises and starts a cluster.
func newCluster(bin binaries) (*Cluster, error) {
	sweepStale()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: make cluster dir: %w", err)
	}
	c := &Cluster{bin: bin, dir: dir}
	if err := c.setup(); err != nil {
		c.destroy()
		return nil, err
	}
	return c, nil
}

// setup records the owner, initialises the data directory and starts the
// server.
func (c *Cluster) setup() error {
	if err := os.WriteFile(filepath.Join(c.dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fmt.Errorf("pgtest: write owner: %w", err)
	}
	if os.Geteuid() == 0 {
		cred, err := postgresUser()
		if err != nil {
			return err
		}
		if err := os.Chown(c.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: chown cluster dir: %w", err)
		}
		c.cred = cred
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	if out, err := c.run(ctx, c.bin.initdb, "-D", c.dataDir(), "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	// A free port can be taken between the probe and the server's bind:
	// try a few.
	var err error
	for range 3 {
		if c.port, err = freePort(); err != nil {
			return err
		}
		if err = c.Start(); err == nil {
			return nil
		}
	}
	return err
}

// postgresUser returns the credential of the "postgres" user.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs a \"postgres\" user to run the server: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgtest: postgres user ids: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil // no supplementary groups
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// run runs a server binary, as "postgres" when running as root, and
// returns its combined output.
func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	err := cmd.Run()
	return out.Bytes(), err
}

func (c *Cluster) dataDir() string { return filepath.Join(c.dir, "data") }
func (c *Cluster) logFile() string { return filepath.Join(c.dir, "server.log") }

// Port returns the server's TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// URL returns the libpq URL of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, url.PathEscape(db))
}

// Start starts the server (again, after Stop) and waits until it accepts
// connections.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return nil
	}
	opts := strings.Join([]string{
		"-p", strconv.Itoa(c.port),
		"-k", c.dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
	}, " ")
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := c.run(ctx, c.bin.pgctl, "start", "-w", "-t", "60", "-D", c.dataDir(), "-l", c.logFile(), "-o", opts)
	if err != nil {
		return fmt.Errorf("pgtest: pg_ctl start: %w\n%s\n%s", err, out, c.logTail())
	}
	c.running = true
	return nil
}

// Stop stops the server with pg_ctl's shutdown mode: "smart", "fast" or
// "immediate" (a crash: no checkpoint, recovery at the next start).
func (c *Cluster) Stop(mode string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.thawLocked()
	if !c.running {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	if out, err := c.run(ctx, c.bin.pgctl, "stop", "-w", "-t", "60", "-D", c.dataDir(), "-m", mode); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop -m %s: %w\n%s", mode, err, out)
	}
	c.running = false
	return nil
}

// PID returns the postmaster's process id, 0 when the server is not running.
func (c *Cluster) PID() int {
	b, err := os.ReadFile(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}

// NewDB creates a fresh database for t, dropped when t ends, and returns
// its URL.
func (c *Cluster) NewDB(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%s", c.seq.Add(1), sanitize(t.Name()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.admin(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		c.mu.Lock()
		running := c.running && len(c.frozen) == 0
		c.mu.Unlock()
		if !running {
			return // the cluster goes with its directory
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.admin(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return c.URL(name)
}

// admin runs one statement in the "postgres" database.
func (c *Cluster) admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// sanitize makes a test name usable in a database name (63 bytes at most).
func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}

// logTail returns the end of the server log, for error messages.
func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.logFile())
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// destroy stops the server at once and removes the cluster's directory.
func (c *Cluster) destroy() {
	c.mu.Lock()
	_ = c.thawLocked()
	running := c.running
	c.running = false
	c.mu.Unlock()
	if running || c.PID() != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
		_, _ = c.run(ctx, c.bin.pgctl, "stop", "-w", "-t", "60", "-D", c.dataDir(), "-m", "immediate")
		cancel()
	}
	_ = os.RemoveAll(c.dir)
}

// sweepStale removes the clusters of test binaries that died without
// stopping them (a test timeout, a SIGKILL).
func sweepStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner"))
		if err != nil {
			continue
		}
		owner, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || owner <= 0 || flock.Alive(owner) {
			continue
		}
		c := &Cluster{dir: dir}
		if pid := c.PID(); pid > 0 && flock.Alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGCONT)
			_ = syscall.Kill(pid, syscall.SIGQUIT) // immediate shutdown
		}
		_ = os.RemoveAll(dir)
	}
}
