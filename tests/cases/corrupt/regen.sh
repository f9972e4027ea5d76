#!/usr/bin/env bash
# Regenerate the golden outputs of the corruption cases after an intended change to an
# operator or a query, then review `git diff tests/cases/corrupt` before committing.
#   SCIPRUNE_BIN=build/cli/sciprune tests/cases/corrupt/regen.sh [CASE_DIR...]
# Each case folder holds input.<ext>, expected.<ext> and args (lines "lang=", "type=", "seed=").
# A new case: make the folder with input.<ext> and args, then run this script on it.
set -euo pipefail
bin=${SCIPRUNE_BIN:-build/cli/sciprune}
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then set -- "$here"/*/; fi
for d in "$@"; do
    d=${d%/}
    lang=$(sed -n 's/^lang=//p' "$d/args")
    type=$(sed -n 's/^type=//p' "$d/args")
    seed=$(sed -n 's/^seed=//p' "$d/args")
    in=$(ls "$d"/input.* | head -n 1)
    out="$d/expected.${in##*.}"
    "$bin" corrupt --file "$in" --lang "$lang" --type "$type" --seed "${seed:-0}" >"$out.tmp" 2>/dev/null \
        || { echo "regen: $d: no variant (see: $bin corrupt --file $in --lang $lang --type $type)" >&2
             rm -f "$out.tmp"; exit 1; }
    mv "$out.tmp" "$out"
done
