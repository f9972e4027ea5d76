#!/usr/bin/env bash
# The quality gates' cost inside the embed stage (issue #8: at most +25 % of embed time).
#   bench/gates_cost.sh [SHARD...]      (default: the first shard of bench/out/small/corpus)
# Measures, on the same shards, interleaved, best of 3, 1 thread:
#   embed           sciprune embed (hash)
#   embed --gates   the same, scoring both gates on the embedder's own parse
#   gates stage     sciprune gates alone (its own parse), for comparison
# and prints a markdown table; ratios are taken within this run.
set -euo pipefail
cd "$(dirname "$0")/.."
S=build/cli/sciprune
[ -x "$S" ] || { meson setup build >/dev/null && ninja -C build >/dev/null; }
if [ $# -eq 0 ]; then set -- bench/out/small/corpus/part-00000.jsonl.zst; fi
for f in "$@"; do [ -f "$f" ] || { echo "no shard $f (run bench/run.sh first or pass shards)" >&2; exit 2; }; done
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
T=$(mktemp -d /tmp/sciprune-gates-cost.XXXXXX)
trap 'rm -rf "$T"' EXIT
best_e=; best_g=; best_s=
t() { /usr/bin/time -f '%e' -o "$T/t" "$@" >/dev/null 2>&1; cat "$T/t"; }
min() { if [ -z "$1" ] || awk "BEGIN{exit !($2 < $1)}"; then echo "$2"; else echo "$1"; fi; }
for i in 1 2 3; do
  rm -rf "$T/e" "$T/g" "$T/s"
  best_e=$(min "$best_e" "$(t $S embed --in "$@" --workdir "$T/e" --threads 1)")
  best_g=$(min "$best_g" "$(t $S embed --in "$@" --workdir "$T/g" --threads 1 --gates)")
  best_s=$(min "$best_s" "$(t $S gates --in "$@" --workdir "$T/s" --threads 1)")
done
for f in "$T"/s/gates/*.npy; do cmp -s "$f" "$T/g/gates/$(basename "$f")" || { echo "gate files differ: $f" >&2; exit 1; }; done
recs=$(/usr/bin/python3 -c "import json;print(json.load(open('$T/s/gates/summary.json'))['total']['files'])")
mb=$(du -cb "$@" | tail -n1 | cut -f1)
echo "| run (1 thread, $recs records, best of 3) | wall s | vs embed |"
echo "|---|---:|---:|"
echo "| embed (hash) | $best_e | 1.00 |"
echo "| embed --gates (one parse) | $best_g | $(awk "BEGIN{printf \"%.2f\", $best_g/$best_e}") |"
echo "| gates stage alone (own parse) | $best_s | $(awk "BEGIN{printf \"%.2f\", $best_s/$best_e}") |"
echo
echo "gates add $(awk "BEGIN{printf \"%.0f\", 100*($best_g-$best_e)/$best_e}") % to the embed stage (goal: at most 25 %); separately they would add $(awk "BEGIN{printf \"%.0f\", 100*$best_s/$best_e}") %."
