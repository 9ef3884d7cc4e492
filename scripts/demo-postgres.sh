#!/usr/bin/env bash
# Part two of the demo: a throwaway PostgreSQL cluster, the ingestor writing
# to it, and the replayer loading part one's spool into it. Exits 1 without
# doing anything when PostgreSQL server binaries are not available.
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS="$1"; SPOOL_DATA="$2"

PGBIN=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")
if [ ! -x "$PGBIN/initdb" ]; then echo "no PostgreSQL server binaries (initdb)"; exit 1; fi
AS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "running as root and no postgres user to run PostgreSQL as"; exit 1; }
  AS=(runuser -u postgres --)
fi
# pgrun runs a server binary as the server's user, from a directory that
# user can enter (a clone under a private directory would make it warn).
pgrun() { (cd / && "${AS[@]}" "$@"); }
PGDIR=$(mktemp -d /tmp/harborai-demo-pg.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
PORT=$(( 20000 + RANDOM % 20000 ))
DATA="$(pwd)/.demo/data-pg"
rm -rf "$DATA" && mkdir -p "$DATA"
LOG="$(pwd)/.demo/ingestor-pg.log"
PID=""
cleanup() {
  [ -n "$PID" ] && { kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  pgrun "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap cleanup EXIT

echo
echo "==> PostgreSQL: a throwaway cluster on port $PORT"
pgrun "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres -E UTF8 --no-locale >/dev/null
pgrun "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
  -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"

echo "==> the ingestor writing to PostgreSQL (migrations applied at start)"
HARBORAI_DATA_DIR="$DATA" HARBORAI_NATS_LISTEN=127.0.0.1:0 HARBORAI_POSTGRES_URL="$URL" \
  HARBORAI_ENVIRONMENT=demo ./bin/ingestor >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 300); do
  [ -s "$DATA/ingestor.json" ] && break
  kill -0 "$PID" 2>/dev/null || { cat "$LOG"; exit 1; }
  sleep 0.1
done
NATS_URL=$(sed -n 's/.*"nats_url": "\(.*\)".*/\1/p' "$DATA/ingestor.json")
./bin/publisher-sdk demo -calls "$CALLS" -nats-url "$NATS_URL" >/dev/null
stored=0
for _ in $(seq 1 300); do
  stored=$(./bin/harborctl logs --json --limit 1000000 --postgres-url "$URL" 2>/dev/null | grep -vc '"status":"pending"' || true)
  [ "$stored" -ge "$CALLS" ] && break
  sleep 0.1
done
echo "    $stored of $CALLS calls in PostgreSQL"
./bin/harborctl stats --postgres-url "$URL" 2>/dev/null | tail -1

HB=$(./bin/harborctl logs --json --limit 1 --status success --postgres-url "$URL" 2>/dev/null | sed -n 's/.*"hb_trace_id":"\([^"]*\)".*/\1/p')
echo "==> the seed's lookup by either trace id: SELECT * FROM get_log_by_any_trace_id('$HB')"
psql "$URL" -X -A -F ' | ' -c "SELECT log_id, hb_trace_id, otel_trace_id, provider, model, total_cost, currency FROM get_log_by_any_trace_id('$HB')" 2>/dev/null \
  || echo "    (psql not installed)"

echo "==> replayer: part one's spool into the same PostgreSQL"
# A copy: the replayer moves what it loads to done/, and part one's spool
# stays as it was for harborctl.
rm -rf "$(pwd)/.demo/spool-copy" && cp -r "$SPOOL_DATA/spool" "$(pwd)/.demo/spool-copy"
./bin/replayer --postgres-url "$URL" --quiet "$(pwd)/.demo/spool-copy"
total=$(./bin/harborctl logs --json --limit 1000000 --postgres-url "$URL" 2>/dev/null | wc -l)
echo "summary: PostgreSQL now holds $total calls ($stored ingested live + the replayed spool); run again: nothing added"
./bin/replayer --postgres-url "$URL" --quiet "$(pwd)/.demo/spool-copy"
