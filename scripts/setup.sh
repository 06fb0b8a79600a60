#!/usr/bin/env bash
# Installs what logstream needs on a fresh Debian machine, and nothing twice:
#   scripts/setup.sh          build dependencies and npm packages (to run the job)
#   scripts/setup.sh --test   also what the test suite uses (kcat, Chromium, promtool, Java, Maven)
set -euo pipefail
cd "$(dirname "$0")/.."

# Point ids use crypto.hash (Node 20.12+); say so now rather than fail on the first message.
node -e 'process.exit(typeof require("node:crypto").hash === "function" ? 0 : 1)' || {
  echo "setup: logstream needs Node 20.12 or later; this is $(node --version)" >&2
  exit 1
}

want_test=false
[ "${1:-}" = "--test" ] && want_test=true

packages=(zlib1g-dev libssl-dev libsasl2-dev libzstd-dev liblz4-dev libcurl4-openssl-dev g++ make python3)
if $want_test; then
  packages+=(kcat chromium prometheus maven default-jdk-headless)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A JDK from elsewhere (java and mvn on the PATH) is as good as Debian's.
if command -v java >/dev/null && command -v mvn >/dev/null; then
  kept=()
  for p in "${missing[@]}"; do [[ "$p" == maven || "$p" == default-jdk-headless ]] || kept+=("$p"); done
  missing=("${kept[@]+"${kept[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# librdkafka cannot be downloaded here: build the Kafka client against the system's libraries.
export CKJS_LINKING=dynamic
stamp=node_modules/.logstream-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "setup: installing npm packages (builds native modules, a few minutes the first time)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
