#!/usr/bin/env bash
# Embed cost of issue 17's signals against the bare parse, two builds interleaved: per round
# parse (B's bench_parse), A all,sites, B all,sites,naturalness, B all,sites, B all, A all;
# CPU seconds (user+sys), 1 thread; medians and ranges of parse/x per round, and B/A.
#   bench/ab_signals.sh SHARD ROUNDS BIN_A BIN_B
# BIN_A: an older cli/sciprune (before "naturalness" was a feature, its all,sites fitted the
# n-gram model too: the same signals as B's all,sites,naturalness).
set -euo pipefail
cd "$(dirname "$0")/.."
SH=$1; R=$2; A=$3; B=$4
TMPD=$(mktemp -d); trap 'rm -rf "$TMPD"' EXIT
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
t() { /usr/bin/time -f "%U %S %M" -o "$TMPD/t.txt" "$@" >/dev/null 2>&1; awk '{print $1+$2, $3}' "$TMPD/t.txt"; }
e() { rm -rf "$TMPD/w"; t "$1" embed --in "$SH" --workdir "$TMPD/w" --threads 1 --features "$2"; }
O="$TMPD/rows"; : > "$O"
for i in $(seq 1 "$R"); do
  p=$(t "$(dirname "$(dirname "$B")")/bench/bench_parse" "$SH")
  echo "$p $(e "$A" all,sites) $(e "$B" all,sites,naturalness) $(e "$B" all,sites) $(e "$B" all) $(e "$A" all)" >> "$O"
done
/usr/bin/python3 - "$O" "$SH" <<'PY'
import sys, statistics as S
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
cpu = lambda x, k: x[2 * k]
names = ["parse", "A all,sites", "B all,sites,naturalness", "B all,sites", "B all", "A all"]
print(sys.argv[2], f"({len(rows)} rounds, CPU s, 1 thread)")
for k in range(1, 6):
    r = [cpu(x, 0) / cpu(x, k) for x in rows]
    print(f"  parse/{names[k]:26s} median {S.median(r):.3f} range {min(r):.3f}-{max(r):.3f}"
          f"  (CPU {S.median(cpu(x, k) for x in rows):.2f} s, peak RSS max {max(x[2*k+1] for x in rows)/1024:.0f} MiB)")
for a, b, n in ((2, 1, "B all,sites,naturalness / A all,sites"), (4, 5, "B all / A all")):
    r = [cpu(x, a) / cpu(x, b) for x in rows]
    print(f"  {n:40s} median {S.median(r):.3f} range {min(r):.3f}-{max(r):.3f}")
print("  parse CPU median %.2f s" % S.median(cpu(x, 0) for x in rows))
PY
