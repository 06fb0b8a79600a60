#!/usr/bin/env bash
# The quick start: installs what it needs, runs the job on the bundled HDFS
# sample with embedded defaults (no services), then shows a similarity search.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node bin/logstream.js run --source file:data/hdfs/HDFS_2k.log --trigger 1s --no-http "$@"
echo
node bin/logstream.js search "Exception in receiveBlock for block" -k 5
