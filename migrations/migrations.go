// Package migrations holds the PostgreSQL schema as ordered SQL files,
// embedded in the binaries. File names are VERSION_NAME.sql (0001_calls.sql);
// pkg/pg applies them in version order, each in its own transaction, and
// records them with their checksum in schema_migrations. A file already
// applied is never edited: a change is a new file.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
