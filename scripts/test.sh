#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, starts one
# real Kafka broker for the run, type-checks, runs every test, stops the broker.
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

needs_broker=false
for f in "${files[@]}"; do [[ "$f" == test/integration/* ]] && needs_broker=true; done
if $needs_broker && [ -z "${LOGSTREAM_TEST_KAFKA:-}" ] && [ -x scripts/kafka.sh ]; then
  export LOGSTREAM_KAFKA_HOME="${LOGSTREAM_KAFKA_HOME:-$PWD/.kafka}"
  bash scripts/kafka.sh fetch
  LOGSTREAM_TEST_KAFKA="$(bash scripts/kafka.sh start)"
  export LOGSTREAM_TEST_KAFKA
  trap 'bash scripts/kafka.sh stop >/dev/null 2>&1 || true' EXIT
  echo "test: Kafka broker at $LOGSTREAM_TEST_KAFKA"
fi

echo "test: running ${#files[@]} test files"
node --import tsx --test --test-concurrency="${LOGSTREAM_TEST_CONCURRENCY:-1}" --test-timeout=900000 "${files[@]}"
