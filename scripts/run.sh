#!/usr/bin/env bash
# `make run`: central + a MASTER box + an emulated LLRP reader playing a race, all on
# embedded SQLite under var/. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
VAR=var
EVENT=demo-10k
EDGE_PORT=${CHRONO_RUN_EDGE_PORT:-8000}
CENTRAL_PORT=${CHRONO_RUN_CENTRAL_PORT:-8100}
READER_PORT=${CHRONO_RUN_READER_PORT:-5084}
SPLIT_READER_PORT=${CHRONO_RUN_SPLIT_READER_PORT:-5085}

# The demo box is rebuilt at each run (its own folder), so a newcomer always sees a
# race in progress; central's database under var/ is kept.
DEMO="$VAR/demo"
rm -rf "$DEMO"
mkdir -p "$DEMO"
export CHRONO_EDGE_DB="$DEMO/edge.db"
export CHRONO_EDGE_ROLE_FILE="$DEMO/reader.json"
export CHRONO_EDGE_CACHE_FOLDER="$DEMO/cache"
export CHRONO_EDGE_KEY_FOLDER="$DEMO/keys"
export CHRONO_CENTRAL_DATABASE_URL="sqlite+aiosqlite:///$VAR/central.db"

"$BIN/chrono-edge" db upgrade
# A demo 10 km started half an hour ago whose 200 entrants wear the emulator's tags.
"$BIN/python" scripts/demo_event.py "$DEMO"
"$BIN/chrono-edge" event load "$DEMO/event.yaml"
"$BIN/chrono-edge" entrants import "$DEMO/entrants.csv" --event "$EVENT"
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
# The 5 km split sees the same runners earlier: the speaker screen's "arriving soon".
"$BIN/chrono-edge" simulate-reader --host 127.0.0.1 --port "$SPLIT_READER_PORT" \
  --scenario race --runners 200 --first-finish 1 --spread 450 --clock-year 2000 --quiet &
pids+=($!)
"$BIN/chrono-edge" reader --host 127.0.0.1 --port "$SPLIT_READER_PORT" --event "$EVENT" --point KM5 &
pids+=($!)
"$BIN/chrono-edge" worker --concurrency 4 &
pids+=($!)
"$BIN/chrono-edge" serve --host 127.0.0.1 --port "$EDGE_PORT" &
pids+=($!)

sleep 2
cat <<URLS

ChronoEdge is running (Ctrl-C stops it). A demo 10 km is under way: the first
runners finish within a minute.
  Timing console:     http://127.0.0.1:$EDGE_PORT/
  Results:            http://127.0.0.1:$EDGE_PORT/results
  Speaker screen:     http://127.0.0.1:$EDGE_PORT/screen/arrivals
  Entrants:           http://127.0.0.1:$EDGE_PORT/entrants
  Exports:            http://127.0.0.1:$EDGE_PORT/exports
  Box setup:          http://127.0.0.1:$EDGE_PORT/setup
  Background jobs:    http://127.0.0.1:$EDGE_PORT/jobs
  Box API (OpenAPI):  http://127.0.0.1:$EDGE_PORT/schema
  Central:            http://127.0.0.1:$CENTRAL_PORT/   OpenAPI: http://127.0.0.1:$CENTRAL_PORT/schema
  Emulated readers:   LLRP on 127.0.0.1:$READER_PORT (finish) and :$SPLIT_READER_PORT (5 km), clocks set to 2000

URLS
wait -n "${pids[@]}"
