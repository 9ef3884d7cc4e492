#!/usr/bin/env bash
# The main job: start the ingestor with its embedded NATS and the spool store,
# make realistic LLM calls against the vendor emulator through the client
# package, wait until every call is stored, print them and a summary, and shut
# down cleanly. Usage: scripts/demo.sh [CALLS]   (bin/ must be built: make demo)
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS="${1:-${DEMO_CALLS:-60}}"
DATA="$(pwd)/.demo/data"
rm -rf "$DATA" && mkdir -p "$DATA"
LOG="$(pwd)/.demo/ingestor.log"

echo "==> starting the ingestor (embedded NATS, spool store in $DATA)"
HARBORAI_DATA_DIR="$DATA" HARBORAI_NATS_LISTEN=127.0.0.1:0 HARBORAI_METRICS_ADDR=127.0.0.1:0 \
  HARBORAI_ENVIRONMENT=demo ./bin/ingestor >"$LOG" 2>&1 &
PID=$!
cleanup() { kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
trap cleanup EXIT

for _ in $(seq 1 300); do
  [ -s "$DATA/ingestor.json" ] && break
  if ! kill -0 "$PID" 2>/dev/null; then echo "ingestor exited:"; cat "$LOG"; exit 1; fi
  sleep 0.1
done
[ -s "$DATA/ingestor.json" ] || { echo "ingestor did not start within 30s:"; cat "$LOG"; exit 1; }
NATS_URL=$(sed -n 's/.*"nats_url": "\(.*\)".*/\1/p' "$DATA/ingestor.json")
HTTP_ADDR=$(sed -n 's/.*"http_addr": "\(.*\)".*/\1/p' "$DATA/ingestor.json")
echo "    NATS $NATS_URL, metrics http://$HTTP_ADDR/metrics"

echo "==> publisher-sdk demo: $CALLS calls against the vendor emulator (several vendors, streams, errors)"
./bin/publisher-sdk demo -calls "$CALLS" -nats-url "$NATS_URL" | tee .demo/published.json

echo "==> waiting until every call is stored"
stored=0
for _ in $(seq 1 300); do
  stored=$(HARBORAI_DATA_DIR="$DATA" ./bin/harborctl logs --json --limit 1000000 2>/dev/null | grep -vc '"status":"pending"' || true)
  [ "$stored" -ge "$CALLS" ] && break
  sleep 0.1
done
if [ "$stored" -lt "$CALLS" ]; then
  echo "only $stored of $CALLS calls stored; ingestor log:"; cat "$LOG"; exit 1
fi

echo "==> the stored calls (harborctl logs)"
HARBORAI_DATA_DIR="$DATA" ./bin/harborctl logs --limit "$CALLS" 2>/dev/null
echo
echo "==> by provider and model (harborctl stats)"
HARBORAI_DATA_DIR="$DATA" ./bin/harborctl stats 2>/dev/null | tee .demo/stats.txt
echo
echo "==> shutting down"
cleanup
trap - EXIT
totals=$(sed -n 's/^total: [0-9]* calls, //p' .demo/stats.txt)
echo "summary: $CALLS calls published, $stored stored, $totals"
echo "(inspect: HARBORAI_DATA_DIR=$DATA ./bin/harborctl logs --json)"

# Part two, when PostgreSQL server binaries are here: the same story into a
# throwaway PostgreSQL, and the spool of part one replayed into it.
if [ "${DEMO_POSTGRES:-auto}" != "0" ] && ./scripts/demo-postgres.sh "$CALLS" "$DATA"; then :; else
  [ "${DEMO_POSTGRES:-auto}" = "0" ] || echo "(PostgreSQL part skipped: see above)"
fi
