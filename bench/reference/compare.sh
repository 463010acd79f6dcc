#!/bin/bash
# glint and llama.cpp on the same GGUF files, runs alternating so both see the
# same machine load:  compare.sh path/to/glint model.gguf [model.gguf ...]
# Settings (environment): P prompt lengths (128,512), N generation length (32),
# T threads (2), R timed runs (3), ROUNDS alternations (2).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 path/to/glint model.gguf [model.gguf ...]" >&2
    exit 2
fi
glint=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$here/node_modules/node-llama-cpp" ] || { echo "$0: run 'npm install --ignore-scripts' in $here first" >&2; exit 2; }
P=${P:-128,512} N=${N:-32} T=${T:-2} R=${R:-3} ROUNDS=${ROUNDS:-2}
for round in $(seq "$ROUNDS"); do
    for m in "$@"; do
        echo "## $(basename "$m"), round $round"
        echo "glint:"
        "$glint" bench -m "$m" -p "$P" -n "$N" -t "$T" -r "$R" 2>/dev/null | grep '^|' || true
        echo "llama.cpp:"
        node "$here/llama_bench.mjs" -m "$m" -p "$P" -n "$N" -t "$T" -r "$R" 2>/dev/null
    done
done
