#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, starts one
# real Kafka broker and one real Qdrant node for the run, type-checks, runs every
# test, stops both. QDRANT_URL points the Qdrant tests at another Qdrant; without
# the Qdrant binary (scripts/qdrant.sh fetch) they run against the stand-in.
#   scripts/test.sh            everything
#   scripts/test.sh --unit     no integration tests (no broker)
#   scripts/test.sh FILE...    the named test files (the broker is started if any is an integration test)
# Whole and --unit runs then run again on Node 24 (scripts/node24.sh); the closing lines show both results.
set -euo pipefail
cd "$(dirname "$0")/.."

unit_only=false
files=()
for arg in "$@"; do
  case "$arg" in
    --unit) unit_only=true ;;
    *) files+=("$arg") ;;
  esac
done
named=("${files[@]+"${files[@]}"}")

bash scripts/setup.sh --test

if [ ${#files[@]} -eq 0 ]; then
  if $unit_only; then
    mapfile -t files < <(find test -name '*.test.ts' -not -path 'test/integration/*' | sort)
  else
    mapfile -t files < <(find test -name '*.test.ts' | sort)
  fi
fi

echo "test: type-checking"
npx --no-install tsc --noEmit -p .

on_exit=()
trap 'for c in "${on_exit[@]}"; do eval "$c"; done' EXIT

needs_broker=false
for f in "${files[@]}"; do [[ "$f" == test/integration/* ]] && needs_broker=true; done
if $needs_broker && [ -z "${LOGSTREAM_TEST_KAFKA:-}" ] && [ -x scripts/kafka.sh ]; then
  export LOGSTREAM_KAFKA_HOME="${LOGSTREAM_KAFKA_HOME:-$PWD/.kafka}"
  bash scripts/kafka.sh fetch
  LOGSTREAM_TEST_KAFKA="$(bash scripts/kafka.sh start)"
  export LOGSTREAM_TEST_KAFKA
  on_exit+=('bash scripts/kafka.sh stop >/dev/null 2>&1 || true')
  echo "test: Kafka broker at $LOGSTREAM_TEST_KAFKA"
fi

# Qdrant for the tests that use it (test/helpers/qdrant.ts): QDRANT_URL, else a real node, else the stand-in.
qdrant_used=""
uses_qdrant=false
for f in "${files[@]}"; do grep -q "helpers/qdrant" "$f" 2>/dev/null && uses_qdrant=true; done
if $uses_qdrant && [ -z "${LOGSTREAM_TEST_QDRANT:-}" ]; then
  if [ -n "${QDRANT_URL:-}" ]; then
    LOGSTREAM_TEST_QDRANT="$QDRANT_URL"
    qdrant_used="Qdrant $(bash scripts/qdrant.sh version "$QDRANT_URL" || echo '(version unknown)') at $QDRANT_URL (QDRANT_URL)"
  elif bash scripts/qdrant.sh fetch; then
    LOGSTREAM_TEST_QDRANT="$(LOGSTREAM_QDRANT_RUN="$PWD/.qdrant/test-run" bash scripts/qdrant.sh start)"
    LOGSTREAM_TEST_QDRANT_GRPC_PORT="$(LOGSTREAM_QDRANT_RUN="$PWD/.qdrant/test-run" bash scripts/qdrant.sh grpc-port)"
    export LOGSTREAM_TEST_QDRANT_GRPC_PORT
    on_exit+=('LOGSTREAM_QDRANT_RUN="$PWD/.qdrant/test-run" bash scripts/qdrant.sh stop >/dev/null 2>&1 || true')
    qdrant_used="real Qdrant $(bash scripts/qdrant.sh version "$LOGSTREAM_TEST_QDRANT") at $LOGSTREAM_TEST_QDRANT (scripts/qdrant.sh)"
  else
    LOGSTREAM_TEST_QDRANT=stand-in
    qdrant_used="the stand-in (test/helpers/qdrant-stand-in.ts, Qdrant's 1.19 API), no Qdrant binary; the cluster test is skipped"
  fi
  export LOGSTREAM_TEST_QDRANT
  echo "test: Qdrant: $qdrant_used"
elif $uses_qdrant; then
  qdrant_used="$LOGSTREAM_TEST_QDRANT (given as LOGSTREAM_TEST_QDRANT)"
fi

echo "test: running ${#files[@]} test files"
mkdir -p .tmp
set +e
node --import tsx --test --test-concurrency="${LOGSTREAM_TEST_CONCURRENCY:-1}" --test-timeout=900000 "${files[@]}" 2>&1 | tee .tmp/test-node.log
status=${PIPESTATUS[0]}
set -e

# Whole runs (and --unit runs) also run on Node 24, the image's Node: the unit
# tests and the embedded end-to-end test (scripts/node24.sh).
counts() { awk '/^(# |ℹ )(tests|pass|fail) [0-9]+$/ { sub(/^(# |ℹ )/, ""); printf "%s%s %s", (n++ ? ", " : ""), $1, $2 }' "$1"; }
summary=("test: Node $(node --version): $(counts .tmp/test-node.log)")
if [ ${#named[@]} -eq 0 ]; then
  node24_files=()
  $unit_only && mapfile -t node24_files < <(find test -name '*.test.ts' -not -path 'test/integration/*' | sort)
  set +e
  bash scripts/node24.sh "${node24_files[@]}" 2>&1 | tee .tmp/test-node24.log
  node24_status=${PIPESTATUS[0]}
  set -e
  summary+=("test: Node 24 ($(grep -aoE 'on v24[0-9.]+' .tmp/test-node24.log | head -1 | cut -c4-)): $(counts .tmp/test-node24.log)")
  [ "$node24_status" -eq 0 ] || status=$node24_status
fi
[ -n "$qdrant_used" ] && summary+=("test: the Qdrant tests ran against $qdrant_used")
printf '%s\n' "" "${summary[@]}"
exit "$status"
