#!/usr/bin/env bash
# The quick start: installs what it needs, runs the job on the bundled HDFS
# sample with embedded defaults (no services), then shows a similarity search.
# Every demo run reads the whole sample again (its checkpoint is started
# afresh) against the same store, so a second run shows deduplication: every
# entry skipped, nothing embedded.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -f .logstream/checkpoints/demo.checkpoint.sqlite .logstream/checkpoints/demo.checkpoint.sqlite-wal .logstream/checkpoints/demo.checkpoint.sqlite-shm
node bin/logstream.js run --job demo --source file:data/hdfs/HDFS_2k.log --trigger 1s --no-http "$@"
echo
node bin/logstream.js search "Got exception while serving block" -k 5
