// Package spool is a durable, append-only store of opaque JSON payloads in
// JSONL segment files: the ingestor's fallback while PostgreSQL is away, and
// the store itself when PostgreSQL is not configured (SPEC §7.4, §8). The
// caller marshals its own records; the spool only checks that they are JSON.
//
// # Writing
//
// One [Writer] per directory: [Open] takes an flock on Dir/.lock and fails
// with [ErrLocked] while another Writer, in any process, holds it. The lock
// dies with its process, so a crashed writer never blocks the next one.
//
// [Writer.Append] writes each payload, compacted, as one line of the active
// segment and returns once the batch is durable: with [SyncEveryWrite] (the
// default) the segment is fsynced before Append returns, and the directory
// whenever a file is created, renamed or removed, so an appended record
// survives a power loss; with [SyncNone] it survives a process crash only.
// A batch is all or nothing for readers: a failed write is truncated away
// and its error returned, wrapping [ErrDiskFull] for ENOSPC, EFBIG and
// EDQUOT so the caller stops acknowledging; the Writer stays usable and
// succeeds again once space returns. An invalid payload fails the whole
// call, with [ErrInvalidPayload], before anything is written.
//
// # Format
//
// Each line is one record:
//
//	{"v":1,"crc":"<crc32c>","ts":"<RFC 3339, UTC, ns>","data":<payload>}
//
// crc is the CRC-32C (Castagnoli) of the data bytes exactly as they appear
// in the line, 8 lowercase hex digits. It does not cover the framing or ts:
// damage to the framing makes the line unparseable, but a changed digit of
// ts goes unnoticed.
//
// # Segments
//
// A segment is named seg-<UTC yyyymmddTHHMMSS.nnnnnnnnnZ>-<sequence>.jsonl
// while the Writer owns it. The sequence (at least 6 digits) continues from
// the highest one in the directory and its done/ subdirectory, so names
// never collide and order segments even when the wall clock jumps. The
// active segment is rotated before an Append would take it past
// MaxSegmentBytes, and MaxSegmentAge after its creation on the monotonic
// clock (checked at each Append and by a timer for an idle Writer).
//
// A rotated segment is sealed in the background: gzipped (gzip.BestSpeed,
// or stored uncompressed in gzip with DisableCompression) into a temporary
// file that is fsynced and renamed to seg-…jsonl.gz, after which the .jsonl
// is removed. A .jsonl.gz is complete and never written again: it is the
// only kind of segment a loader may claim. [Writer.Rotate] seals
// synchronously; [Writer.Close] seals everything.
//
// # Crashes
//
// A process crash during Append can leave a prefix of that batch, which the
// caller never acknowledged, and at most one torn line at the end of the
// active segment; a power loss with SyncNone can lose or garble whatever was
// not yet written back. The next Open seals that segment as it is, never appending to
// it, and starts a new one; readers report the torn line. To load a
// directory whose writer is gone, Open and Close a Writer on it first.
//
// # Reading
//
// [Segments] lists a directory oldest first; [ReadSegment] reads one
// segment, .jsonl or .jsonl.gz. Corrupt lines (torn, invalid JSON, bad
// checksum, unknown version, too long) are reported in [ReadStats.Corrupt]
// and reading goes on; damage to a gzip stream ends the segment after the
// lines before it. The active segment of a live writer holds whole lines
// whenever no Append is running.
//
// # Loading
//
// A loader (the ingestor's drain, the replayer; possibly both at once)
// takes a segment with [Claim], an flock on <segment>.claim that fails with
// [ErrClaimed] while held elsewhere; resumes after [LoadProgress]; records
// [SaveProgress] as it goes, atomically in <segment>.progress; and ends
// with [MarkDone], which moves the segment into done/ so it is never loaded
// again. [PruneDone] bounds done/. [Quarantine] keeps what cannot be loaded
// in quarantine/quarantine-<date>.jsonl.
//
// # Directory
//
//	.lock                          the writer's flock (holds its pid)
//	seg-…-000042.jsonl             active, or closed and waiting to be sealed
//	.seg-…-000041.jsonl.gz.tmp     a seal in progress
//	seg-…-000041.jsonl.gz          sealed
//	seg-…-000041.jsonl.gz.claim    a loader's claim
//	seg-…-000041.jsonl.gz.progress a loader's progress
//	done/seg-…-000040.jsonl.gz     loaded
//	quarantine/quarantine-2025-03-01.jsonl
//
// The directory is created 0700 and every file 0600. The package uses
// flock(2) and so runs on Unix only.
package spool
