#!/usr/bin/env bash
# Two builds of the embed stage against the bare parse, interleaved (issue 17's before/after rows in
# bench/semantic_results.md): per round parse, A --features all,sites, B --features all,sites,
# B --features all; CPU seconds (user+sys) and peak RSS; medians and ranges of the ratios.
#   bench/ab_builds.sh SHARD ROUNDS BIN_A BIN_B [embed options]
# BIN_A/BIN_B: cli/sciprune of two build folders (a frozen copy of the older build: cp -r build).
set -euo pipefail
cd "$(dirname "$0")/.."
SH=$1; R=$2; A=$3; B=$4; shift 4
TMPD=$(mktemp -d); trap 'rm -rf "$TMPD"' EXIT
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
t() { /usr/bin/time -f "%U %S %M" -o "$TMPD/t.txt" "$@" >/dev/null 2>&1; awk '{print $1+$2, $3}' "$TMPD/t.txt"; }
O="$TMPD/rows"; : > "$O"
for i in $(seq 1 $R); do
  p=$(t build/bench/bench_parse $SH)
  rm -rf "$TMPD/w"; a=$(t $A embed --in $SH --workdir "$TMPD/w" --threads 1 --features all,sites "$@")
  rm -rf "$TMPD/w"; b=$(t $B embed --in $SH --workdir "$TMPD/w" --threads 1 --features all,sites "$@")
  rm -rf "$TMPD/w"; c=$(t $B embed --in $SH --workdir "$TMPD/w" --threads 1 --features all "$@")
  echo "$p $a $b $c" >> "$O"
done
/usr/bin/python3 - "$O" "$SH $*" <<'PY'
import sys, statistics as S
rows=[list(map(float,l.split())) for l in open(sys.argv[1])]
print(sys.argv[2], f"({len(rows)} rounds)")
cpu=lambda x,k: x[2*k]
def show(name,a,b):
    r=[cpu(x,a)/cpu(x,b) for x in rows]
    print(f"  {name:22s} median {S.median(r):.3f} range {min(r):.3f}-{max(r):.3f}")
show('parse/A(all,sites)',0,1); show('parse/B(all,sites)',0,2); show('parse/B(all)',0,3); show('B/A CPU',2,1)
print('  median CPU s: parse %.2f A %.2f B %.2f Ball %.2f' % tuple(S.median(cpu(x,k) for x in rows) for k in range(4)))
print('  peak RSS MiB max: A %.0f B %.0f Ball %.0f' % tuple(max(x[2*k+1] for x in rows)/1024 for k in (1,2,3)))
PY
