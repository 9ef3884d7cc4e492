package pricing

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// fileVersion is the format version of the price file.
const fileVersion = 1

// fileDoc is the price file: the whole history, oldest ID first.
type fileDoc struct {
	Comment string  `json:"comment,omitempty"`
	Version int     `json:"version"`
	Prices  []Entry `json:"prices"`
}

const fileComment = "HarborAI dynamic prices, written by harborctl pricing set/unset: an append-only history (docs/pricing.md)."

// fileStore keeps the entries in one JSON file, mode 0600, replaced
// atomically (a temporary file beside it, fsynced, renamed over it, the
// directory fsynced): a reader sees the old history or the new one, never a
// mix. Appends take an exclusive flock on path.lock, so concurrent
// harborctl processes never lose each other's entries.
type fileStore struct {
	path string
	now  func() time.Time
}

// NewFileStore returns a store in the file at path (created by the first
// Append, with its directory).
func NewFileStore(path string) Store { return &fileStore{path: path, now: time.Now} }

func (s *fileStore) Source() string { return "file " + s.path }

func (s *fileStore) Close() error { return nil }

func (s *fileStore) History(_ context.Context, provider, model string) ([]Entry, error) {
	doc, err := s.read()
	if err != nil {
		return nil, err
	}
	provider, model = normalizeName(provider), normalizeName(model)
	var out []Entry
	for _, e := range doc.Prices {
		if (provider == "" || e.Provider == provider) && (model == "" || e.Model == model) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model),
			a.EffectiveFrom.Compare(b.EffectiveFrom), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *fileStore) Append(_ context.Context, e Entry) (Entry, error) {
	if err := e.Validate(); err != nil {
		return Entry{}, err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return Entry{}, fmt.Errorf("price file: %w", err)
	}
	unlock, err := lockFile(s.path + ".lock")
	if err != nil {
		return Entry{}, err
	}
	defer unlock()
	doc, err := s.read()
	if err != nil {
		return Entry{}, err
	}
	var last int64
	for _, p := range doc.Prices {
		last = max(last, p.ID)
	}
	e.ID, e.SetAt = last+1, s.now().UTC()
	doc.Prices = append(doc.Prices, e)
	doc.Comment, doc.Version = fileComment, fileVersion
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return Entry{}, fmt.Errorf("price file: %w", err)
	}
	if err := writeAtomic(s.path, append(b, '\n')); err != nil {
		return Entry{}, fmt.Errorf("price file: %w", err)
	}
	return e, nil
}

// read returns the file's history; a missing file is an empty one.
func (s *fileStore) read() (fileDoc, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return fileDoc{Version: fileVersion}, nil
	}
	if err != nil {
		return fileDoc{}, fmt.Errorf("price file: %w", err)
	}
	var doc fileDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return fileDoc{}, fmt.Errorf("%w: %s: %w", ErrCorruptStore, s.path, err)
	}
	if doc.Version != fileVersion {
		return fileDoc{}, fmt.Errorf("%w: %s: version %d, want %d", ErrCorruptStore, s.path, doc.Version, fileVersion)
	}
	ids := make(map[int64]bool, len(doc.Prices))
	for i, e := range doc.Prices {
		if e.ID <= 0 || ids[e.ID] {
			return fileDoc{}, fmt.Errorf("%w: %s: prices[%d]: id %d missing or repeated", ErrCorruptStore, s.path, i, e.ID)
		}
		ids[e.ID] = true
	}
	return doc, nil
}

// writeAtomic replaces path with data, mode 0600.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// lockFile takes an exclusive flock on path (created, mode 0600), waiting
// for another holder, and returns its release.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock price file: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock price file %s: %w", path, err)
	}
	return func() { _ = f.Close() }, nil // closing releases the lock
}
