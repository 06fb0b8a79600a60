#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, starts one
# real Kafka broker and one real Qdrant node for the run, type-checks, runs every
# test, stops both. QDRANT_URL points the Qdrant tests at another Qdrant; without
# the Qdrant binary (scripts/qdrant.sh fetch) they run against the stand-in.
#   scripts/test.sh            everything
#   scripts/test.sh --unit     no integration tests (no broker)
#   scripts/test.sh FILE...    the named test files (the broker is started if any is an integration test)
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
status=0
node --import tsx --test --test-concurrency="${LOGSTREAM_TEST_CONCURRENCY:-1}" --test-timeout=900000 "${files[@]}" || status=$?
[ -n "$qdrant_used" ] && echo "test: the Qdrant tests ran against $qdrant_used"
exit $status
