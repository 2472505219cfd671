#!/usr/bin/env bash
# `make run`: central + a MASTER box + an emulated LLRP reader playing a race, all on
# embedded SQLite under var/. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
VAR=var
EVENT=spring-10k-2026
EDGE_PORT=${CHRONO_RUN_EDGE_PORT:-8000}
CENTRAL_PORT=${CHRONO_RUN_CENTRAL_PORT:-8100}
READER_PORT=${CHRONO_RUN_READER_PORT:-5084}

mkdir -p "$VAR"
export CHRONO_EDGE_DB="$VAR/edge.db"
export CHRONO_EDGE_ROLE_FILE="$VAR/reader.json"
export CHRONO_CENTRAL_DATABASE_URL="sqlite+aiosqlite:///$VAR/central.db"

"$BIN/chrono-edge" db upgrade
"$BIN/chrono-edge" event load docs/examples/spring-10k.yaml
"$BIN/chrono-edge" entrants import docs/examples/entrants.csv --event "$EVENT"
"$BIN/chrono-edge" passings import docs/examples/passings.csv --event "$EVENT"
"$BIN/chrono-central" db upgrade

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap cleanup EXIT INT TERM

"$BIN/chrono-central" serve --host 127.0.0.1 --port "$CENTRAL_PORT" &
pids+=($!)
"$BIN/chrono-edge" simulate-reader --host 127.0.0.1 --port "$READER_PORT" \
  --scenario race --runners 200 --first-finish 5 --spread 900 --clock-year 2000 --quiet &
pids+=($!)
"$BIN/chrono-edge" reader --host 127.0.0.1 --port "$READER_PORT" --event "$EVENT" --point FINISH &
pids+=($!)
"$BIN/chrono-edge" worker --concurrency 4 &
pids+=($!)
"$BIN/chrono-edge" serve --host 127.0.0.1 --port "$EDGE_PORT" &
pids+=($!)

sleep 2
cat <<URLS

ChronoEdge is running (Ctrl-C stops it):
  MASTER box (edge):  http://127.0.0.1:$EDGE_PORT/          OpenAPI: http://127.0.0.1:$EDGE_PORT/schema
  Readers:            http://127.0.0.1:$EDGE_PORT/api/v1/readers
  Background jobs:    http://127.0.0.1:$EDGE_PORT/jobs
  Passings (live):    http://127.0.0.1:$EDGE_PORT/api/v1/events/$EVENT/passings?point=FINISH
  Results:            http://127.0.0.1:$EDGE_PORT/api/v1/events/$EVENT/races/10K/results
  Central:            http://127.0.0.1:$CENTRAL_PORT/healthz   OpenAPI: http://127.0.0.1:$CENTRAL_PORT/schema
  Emulated reader:    LLRP on 127.0.0.1:$READER_PORT (a 200-runner race, clock set to 2000)

URLS
wait -n "${pids[@]}"
