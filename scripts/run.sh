#!/usr/bin/env bash
# `make run`: central, a MASTER box at the finish and a SLAVE box at the 5 km split, each
# box reading its own emulated LLRP reader, all on embedded SQLite under var/. The boxes
# are set up the way an operator sets them up on /setup (same code, `chrono-edge role
# set`), and the MASTER is enrolled with central. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${CHRONO_RUN_BIN:-.venv/bin}
VAR=${CHRONO_RUN_VAR:-var}
EVENT=demo-10k
EDGE_PORT=${CHRONO_RUN_EDGE_PORT:-8000}
CENTRAL_PORT=${CHRONO_RUN_CENTRAL_PORT:-8100}
READER_PORT=${CHRONO_RUN_READER_PORT:-5084}
SPLIT_READER_PORT=${CHRONO_RUN_SPLIT_READER_PORT:-5085}
CENTRAL="http://127.0.0.1:$CENTRAL_PORT"
MASTER="http://127.0.0.1:$EDGE_PORT"

# The demo boxes are rebuilt at each run (their own folders), so a newcomer always sees
# a race in progress; central's database under var/ is kept, with its demo login.
DEMO="$VAR/demo"
rm -rf "$DEMO"
mkdir -p "$DEMO/finish" "$DEMO/km5"
export CHRONO_CENTRAL_DATABASE_URL="sqlite+aiosqlite:///$VAR/central.db"

box() { # box FOLDER ARGS...: chrono-edge on the box whose files are in FOLDER
  local folder=$1
  shift
  "$BIN/chrono-edge" --data-dir "$folder" "$@"
}
json_field() { # json_field KEY < JSON: one top-level field of a JSON document
  "$BIN/python" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap cleanup EXIT INT TERM

# Central starts while the boxes are prepared.
("$BIN/chrono-central" db upgrade && exec "$BIN/chrono-central" serve --host 127.0.0.1 \
  --port "$CENTRAL_PORT") &
pids+=($!)

# A demo 10 km in three waves whose 200 entrants wear the emulators' tags; each box
# loads the event, as an operator does on its /setup page.
"$BIN/python" scripts/demo_event.py "$DEMO"
prepare() { # prepare FOLDER: an empty box with the demo event loaded
  box "$1" db upgrade && box "$1" event load "$DEMO/event.yaml" >/dev/null
}
prepare "$DEMO/km5" &
split_box=$!
prepare "$DEMO/finish"
box "$DEMO/finish" entrants import "$DEMO/entrants.csv" --event "$EVENT" &
entrants=$!
key=$(box "$DEMO/finish" role set master --event "$EVENT" --point FINISH \
  --reader "127.0.0.1:$READER_PORT" | json_field event_key)
wait "$split_box"
box "$DEMO/km5" role set slave --event "$EVENT" --point KM5 --master-url "$MASTER" \
  --event-key "$key" --reader "127.0.0.1:$SPLIT_READER_PORT" >/dev/null
wait "$entrants"

# Central: a login for its dashboard (made once, kept in var/), then the MASTER joins the
# fleet with a single-use token, as an operator does on /setup.
password_file="$VAR/central-demo-password"
for _ in $(seq 100); do
  "$BIN/python" -c "import httpx, sys; httpx.get(sys.argv[1]).raise_for_status()" \
    "$CENTRAL/healthz" 2>/dev/null && break
  sleep 0.2
done
if [ ! -s "$password_file" ]; then
  (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(9))' >"$password_file")
  "$BIN/chrono-central" user create demo --password-stdin <"$password_file"
fi
token=$("$BIN/chrono-central" enroll-token create --event "$EVENT" 2>/dev/null)
box "$DEMO/finish" enroll --central "$CENTRAL" --token "$token"

# The MASTER's web first: the split box forwards to it from its first read.
box "$DEMO/finish" serve --host 127.0.0.1 --port "$EDGE_PORT" &
pids+=($!)
while read -r point port folder; do
  mapfile -t race <"$DEMO/emulator-$point.args"
  "$BIN/chrono-edge" simulate-reader --host 127.0.0.1 --port "$port" "${race[@]}" --quiet &
  pids+=($!)
  box "$folder" reader &
  pids+=($!)
  box "$folder" worker --concurrency 4 &
  pids+=($!)
done <<BOXES
FINISH $READER_PORT $DEMO/finish
KM5 $SPLIT_READER_PORT $DEMO/km5
BOXES

sleep 2
cat <<URLS

ChronoEdge is running (Ctrl-C stops it). A demo 10 km in three waves is under way: the
5 km split box forwards to the MASTER at the finish, the first runners finish within
a minute and the last some eight minutes later.
  Timing console:     $MASTER/
  Results:            $MASTER/results
  Speaker screen:     $MASTER/screen/arrivals
  Entrants:           $MASTER/entrants
  Exports:            $MASTER/exports
  Box setup:          $MASTER/setup
  Background jobs:    $MASTER/jobs
  Box API (OpenAPI):  $MASTER/schema
  Central dashboard:  $CENTRAL/   (user demo, password in $password_file)
  Public results:     $CENTRAL/public/events/$EVENT?race=10K
  Central OpenAPI:    $CENTRAL/schema
  Emulated readers:   LLRP on 127.0.0.1:$READER_PORT (finish) and :$SPLIT_READER_PORT (5 km), clocks set to 2000

URLS
wait -n "${pids[@]}"
