// Package cli holds what the commands share: logging set-up and small
// helpers for flags and output.
package cli

import (
	"io"
	"log/slog"
)

// NewLogger returns a slog logger at level ("debug", "info", "warn",
// "error") in format ("text" or "json").
func NewLogger(w io.Writer, level, format string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
