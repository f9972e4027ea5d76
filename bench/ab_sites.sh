#!/usr/bin/env bash
# The signals' cost (issue 17): on one shard, 1 thread, run in turn (A/B interleaved)
#   parse   build/bench/bench_parse: read + tree-sitter parse, nothing else (the floor: the
#           "bare parse" of bench/run.sh and the README's embed row)
#   nonat   sciprune embed with SCIPRUNE_NO_NATURALNESS=1 (features all, no signal: the embed
#           row of bench/run.sh before issue 17)
#   all     sciprune embed (features all: + the naturalness fit and signal, the default)
#   sites   sciprune embed --features all,sites (+ training in the fit pass, every site scored)
# and print, per round, the ratios parse/X (throughput relative to the bare parse: the issue
# asks >= 0.70) and nonat/X, their median and range, in wall seconds and in user+sys CPU
# seconds (steadier on a shared machine).
#   bench/ab_sites.sh SHARD [PAIRS]
set -euo pipefail
cd "$(dirname "$0")/.."
SHARD=${1:?shard}; PAIRS=${2:-5}
S=${SCIPRUNE_BIN:-build/cli/sciprune}  # the binary under test (all arms use the same one)
T=$(mktemp -d /tmp/sciprune-ab-sites.XXXXXX)
trap 'rm -rf "$T"' EXIT
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
for i in $(seq 1 "$PAIRS"); do
  /usr/bin/time -f '%e %U %S %M' -o "$T/t" build/bench/bench_parse "$SHARD" > /dev/null
  echo "$i parse $(cat "$T/t")" >> "$T/times"
  for f in nonat all all,sites; do
    rm -rf "$T/w"
    if [ "$f" = nonat ]; then
      SCIPRUNE_NO_NATURALNESS=1 /usr/bin/time -f '%e %U %S %M' -o "$T/t" "$S" embed --in "$SHARD" --workdir "$T/w" --threads 1 --features all > /dev/null 2>&1
    else
      /usr/bin/time -f '%e %U %S %M' -o "$T/t" "$S" embed --in "$SHARD" --workdir "$T/w" --threads 1 --features "$f" > /dev/null 2>&1
    fi
    echo "$i $f $(cat "$T/t")" >> "$T/times"
  done
done
/usr/bin/python3 - "$T/times" <<'PY'
import sys, statistics, collections
t = collections.defaultdict(dict)
rss = collections.defaultdict(list)
cpu = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    i, what, s, u, k, m = line.split()
    t[i][what] = float(s)
    cpu[i][what] = float(u) + float(k)
    rss[what].append(int(m))
def show(name, a, b):
    for label, d in (("wall", t), ("CPU", cpu)):
        r = [v[a] / v[b] for v in d.values()]
        print(f"{name:12s} {label:5s} median {statistics.median(r):.3f} range {min(r):.3f}-{max(r):.3f} ({len(r)} rounds)")
for what in ("parse", "nonat", "all", "all,sites"):
    s = [v[what] for v in cpu.values()]
    print(f"{what:10s} CPU seconds median {statistics.median(s):.2f} (min {min(s):.2f} max {max(s):.2f}), peak RSS max {max(rss[what]) / 1024:.0f} MiB")
show("parse/nonat", "parse", "nonat")
show("parse/all", "parse", "all")
show("parse/sites", "parse", "all,sites")
show("nonat/all", "nonat", "all")
show("nonat/sites", "nonat", "all,sites")
PY
