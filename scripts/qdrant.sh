#!/usr/bin/env bash
# A real Qdrant server for tests and benchmarks (a test dependency, never shipped),
# from the compressed binary beside the repository; nothing is decompressed twice.
#   scripts/qdrant.sh fetch              decompress the binary into $QDRANT_HOME (its SHA-256 checked)
#   scripts/qdrant.sh start              one node on free HTTP and gRPC ports, own storage; prints its URL
#   scripts/qdrant.sh stop | restart | status | url | grpc-port | version
#   scripts/qdrant.sh kill               SIGKILL the node (its storage stays; restart brings it back)
#   scripts/qdrant.sh cluster-start N    N peers on free ports (HTTP, gRPC, P2P); prints the first peer's URL
#   scripts/qdrant.sh cluster-stop
#   scripts/qdrant.sh peer-kill I | peer-restart I | peer-url I     one peer of the cluster (1-based)
# LOGSTREAM_QDRANT_XZ is the compressed binary (default shared/qdrant/bin/qdrant-*.xz beside the repository or a parent folder);
# QDRANT_HOME (default .qdrant) holds the binary; LOGSTREAM_QDRANT_RUN (default $QDRANT_HOME/run)
# a node's or cluster's ports, storage and log, so tests can run servers of their own.
set -euo pipefail
cd "$(dirname "$0")/.."

QDRANT_HOME="${LOGSTREAM_QDRANT_HOME:-$PWD/.qdrant}"
RUN="${LOGSTREAM_QDRANT_RUN:-$QDRANT_HOME/run}"
BIN="$QDRANT_HOME/qdrant"

# The archive: $LOGSTREAM_QDRANT_XZ, else shared/qdrant/bin/qdrant-*.xz beside the repository or beside one of
# its parent folders (a clone made elsewhere on the same machine finds the same shared folder).
archive() {
  if [ -n "${LOGSTREAM_QDRANT_XZ:-}" ]; then echo "$LOGSTREAM_QDRANT_XZ"; return; fi
  local dir found
  dir=$(cd .. && pwd)
  while :; do
    found=$(ls "$dir"/shared/qdrant/bin/qdrant-*.xz 2>/dev/null | sort | tail -1 || true)
    [ -n "$found" ] && { echo "$found"; return; }
    [ "$dir" = / ] && break
    dir=$(dirname "$dir")
  done
  echo "../shared/qdrant/bin/qdrant-*.xz"
}

# The binary is decompressed once per archive; a stamp names the archive it came from.
fetch() {
  local xz sums expected
  xz=$(archive)
  if [ ! -f "$xz" ]; then
    echo "qdrant.sh: no Qdrant binary at $xz (set LOGSTREAM_QDRANT_XZ)" >&2
    exit 1
  fi
  mkdir -p "$QDRANT_HOME"
  if [ -x "$BIN" ] && [ "$(cat "$QDRANT_HOME/.source" 2>/dev/null)" = "$(readlink -f "$xz")" ]; then return 0; fi
  sums="$(dirname "$xz")/SHA256SUMS"
  if [ -f "$sums" ]; then
    expected=$(awk -v f="$(basename "$xz")" '$2 == f { print $1 }' "$sums")
    if [ -n "$expected" ] && [ "$(sha256sum "$xz" | cut -d' ' -f1)" != "$expected" ]; then
      echo "qdrant.sh: $xz does not match its SHA-256 in $sums" >&2
      exit 1
    fi
  fi
  echo "qdrant.sh: decompressing $(basename "$xz")" >&2
  xz -dc "$xz" > "$BIN.tmp"
  chmod +x "$BIN.tmp"
  mv "$BIN.tmp" "$BIN"
  readlink -f "$xz" > "$QDRANT_HOME/.source"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# $1: a node's folder (RUN for one node, RUN/peer-I for a cluster peer).
is_running() {
  [ -f "$1/pid" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null
}

url_of() { echo "http://127.0.0.1:$(cat "$1/http-port")"; }

wait_ready() {
  local dir=$1
  for _ in $(seq 1 240); do
    if ! is_running "$dir"; then
      echo "qdrant.sh: Qdrant exited; see $dir/server.log" >&2
      tail -20 "$dir/server.log" >&2 || true
      return 1
    fi
    if curl -fsS -o /dev/null "$(url_of "$dir")/readyz" 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  echo "qdrant.sh: Qdrant did not become ready in 60 s; see $dir/server.log" >&2
  return 1
}

# Starts the node of folder $1 with the ports and storage it has (a restart keeps both).
# Cluster peers: $2 is "first" or the first peer's P2P port to bootstrap from.
launch() {
  local dir=$1 role=${2:-}
  local -a args=()
  local -a cluster_env=()
  if [ -n "$role" ]; then
    cluster_env=(QDRANT__CLUSTER__ENABLED=true "QDRANT__CLUSTER__P2P__PORT=$(cat "$dir/p2p-port")")
    args=(--uri "http://127.0.0.1:$(cat "$dir/p2p-port")")
    # A peer that has joined keeps its membership in its storage; bootstrap only the first time.
    if [ "$role" != first ] && [ ! -f "$dir/joined" ]; then args+=(--bootstrap "http://127.0.0.1:$role"); fi
  fi
  (
    cd "$dir"
    env QDRANT__STORAGE__STORAGE_PATH="$dir/storage" QDRANT__STORAGE__SNAPSHOTS_PATH="$dir/snapshots" \
      QDRANT__SERVICE__HOST=127.0.0.1 QDRANT__SERVICE__HTTP_PORT="$(cat "$dir/http-port")" \
      QDRANT__SERVICE__GRPC_PORT="$(cat "$dir/grpc-port")" QDRANT__TELEMETRY_DISABLED=true \
      QDRANT__LOG_LEVEL="${QDRANT_LOG_LEVEL:-WARN}" "${cluster_env[@]}" \
      nohup "$BIN" "${args[@]}" >>"$dir/server.log" 2>&1 &
    echo $! > "$dir/pid"
  )
  wait_ready "$dir"
  [ -n "$role" ] && touch "$dir/joined"
  return 0
}

new_node() {
  local dir=$1
  rm -rf "$dir"
  mkdir -p "$dir/storage" "$dir/snapshots"
  free_port > "$dir/http-port"
  free_port > "$dir/grpc-port"
  free_port > "$dir/p2p-port"
}

stop_node() {
  local dir=$1 signal=${2:-TERM}
  if is_running "$dir"; then
    local pid
    pid=$(cat "$dir/pid")
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
}

peers() { ls -d "$RUN"/peer-* 2>/dev/null | sort -t- -k2 -n; }
peer() { echo "$RUN/peer-${1:?peer number}"; }

cmd="${1:-}"
case "$cmd" in
  fetch) fetch ;;
  start)
    fetch
    if is_running "$RUN"; then url_of "$RUN"; exit 0; fi
    new_node "$RUN"
    launch "$RUN"
    url_of "$RUN"
    ;;
  restart)
    # Starts a stopped or killed node again on the same ports with the same storage (outage tests).
    is_running "$RUN" || launch "$RUN"
    url_of "$RUN"
    ;;
  stop) stop_node "$RUN" ;;
  kill) stop_node "$RUN" KILL ;;
  status) is_running "$RUN" && echo "running at $(url_of "$RUN")" || { echo "stopped"; exit 1; } ;;
  url) url_of "$RUN" ;;
  grpc-port) cat "$RUN/grpc-port" ;;
  version) curl -fsS ${QDRANT_API_KEY:+-H "api-key: $QDRANT_API_KEY"} "${2:-$(url_of "$RUN")}/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])' ;;
  cluster-start)
    n="${2:?number of peers}"
    fetch
    mkdir -p "$RUN"
    for dir in $(peers); do stop_node "$dir"; done
    rm -rf "$RUN"/peer-*
    for i in $(seq 1 "$n"); do new_node "$(peer "$i")"; done
    launch "$(peer 1)" first
    first_p2p=$(cat "$(peer 1)/p2p-port")
    for i in $(seq 2 "$n"); do echo "$first_p2p" > "$(peer "$i")/bootstrap"; launch "$(peer "$i")" "$first_p2p"; done
    # Ready when every peer sees all of them.
    for _ in $(seq 1 240); do
      seen=$(curl -fsS "$(url_of "$(peer 1)")/cluster" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["result"]["peers"]))' 2>/dev/null || echo 0)
      [ "$seen" = "$n" ] && break
      sleep 0.25
    done
    [ "$seen" = "$n" ] || { echo "qdrant.sh: the cluster has $seen of $n peers after 60 s; see $RUN/peer-*/server.log" >&2; exit 1; }
    url_of "$(peer 1)"
    ;;
  cluster-stop) for dir in $(peers); do stop_node "$dir"; done ;;
  peer-kill) stop_node "$(peer "${2:-}")" KILL ;;
  peer-stop) stop_node "$(peer "${2:-}")" ;;
  peer-restart)
    dir=$(peer "${2:-}")
    if ! is_running "$dir"; then
      if [ -f "$dir/bootstrap" ]; then launch "$dir" "$(cat "$dir/bootstrap")"; else launch "$dir" first; fi
    fi
    url_of "$dir"
    ;;
  peer-url) url_of "$(peer "${2:-}")" ;;
  *) echo "usage: scripts/qdrant.sh fetch|start|stop|restart|kill|status|url|version [URL]|cluster-start N|cluster-stop|peer-kill I|peer-stop I|peer-restart I|peer-url I" >&2; exit 2 ;;
esac
