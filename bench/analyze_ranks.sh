#!/usr/bin/env bash
# analyze_ranks.sh - the analyze stage of `sciprune run` under mpirun -np 1 (one process's
# code: every variant embedded on rank 0) and -np 2 (the variants split over the ranks by
# index, rank 0 merging), A/B interleaved (A B A B ...) over ROUNDS rounds (default 3), one
# thread per rank. The job is run once to the end; each round copies that workdir, removes
# analyze/report.json (so analyze, score and prune rerun) and reruns it. Prints per round the
# analyze stage's seconds (the manifest: wall time from the stage's start to rank 0's merge
# written) and each rank's CPU seconds (user + sys, /usr/bin/time around each rank: analyze,
# then score and prune, which are the same work in both), then the median ratios np2 / np1
# with their range over the rounds (wall; the critical path's CPU: the busiest rank), and
# checks every workdir holds the bytes of the first (tests/e2e/mpi_same.py). On a machine
# whose cores are taken by other work the wall seconds mostly measure the wait for a core;
# the busiest rank's CPU seconds are what the split shortens.
#   bench/analyze_ranks.sh [build/cli/sciprune] [scale] [per_type]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
S=$(realpath "${1:-$SRC/build/cli/sciprune}")
SCALE=${2:-3}
PER_TYPE=${3:-30}
ROUNDS=${ROUNDS:-3}
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=PASSIVE
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 SCIPRUNE_NO_PROGRESS=1 SCIPRUNE_NO_HTML=1
T=$(mktemp -d /tmp/sciprune-analyze-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
$PY "$SRC/tests/corpus/make_corpus.py" --seed 3 --scale "$SCALE" --src src >/dev/null
"$S" ingest src --out shards --docs-per-shard 100 2>/dev/null
cat > job.json <<JSON
{"inputs": ["shards/shard-*.jsonl.zst"], "workdir": "w", "threads": 1,
 "index": {"k": 16}, "gates": {},
 "corrupt": {"langs": ["python"], "per_type": $PER_TYPE, "seed": 7}, "analyze": {},
 "score": {"metrics": ["combined", "distance", "auto"], "ratios": [0.2]},
 "prune": {"fsync": false}}
JSON
"$S" run --config job.json --workdir base > base.out 2> base.err || { cat base.err; exit 1; }
nv=$($PY -c "import json; print(json.load(open('base/analyze/report.json'))['n_variants'])")
nc=$($PY -c "import json; print(json.load(open('base/analyze/report.json'))['n_clean'])")
echo "corpus: $nc clean records; $nv variants (python, per_type $PER_TYPE); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
stage_s() { $PY -c "import json,sys; m=json.load(open(sys.argv[1]+'/manifest.json')); print('%.2f' % m['stages']['analyze']['seconds'])" "$1"; }
declare -A AN CPU MAX
for round in $(seq 1 "$ROUNDS"); do
    for np in 1 2; do
        w=w${np}r$round
        rm -rf $w
        cp -a base $w
        rm $w/analyze/report.json
        mpirun --oversubscribe --bind-to none -np $np sh -c \
            '/usr/bin/time -f "%U %S" -o '$w'.time.$OMPI_COMM_WORLD_RANK "$0" "$@"' "$S" run \
            --config job.json --workdir $w > $w.out 2> $w.err || { cat $w.err; exit 1; }
        grep -q 'rerunning analyze' $w.err || { echo "$w: analyze did not rerun"; exit 1; }
        AN[$np,$round]=$(stage_s $w)
        CPU[$np,$round]=$(for f in $w.time.*; do awk '{printf "%.2f ", $1 + $2}' $f; done)
        MAX[$np,$round]=$(echo ${CPU[$np,$round]} | tr ' ' '\n' | sort -g | tail -1)
        $PY "$SRC/tests/e2e/mpi_same.py" base $w > /dev/null || { echo "$w differs from one process"; exit 1; }
    done
done
echo "| round | np 1: analyze wall s | np 2: analyze wall s | wall np2/np1 | np 1: CPU s (rank 0) | np 2: CPU s (rank 0, rank 1) | busiest rank np2/np1 |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
ratios="" cratios=""
for round in $(seq 1 "$ROUNDS"); do
    r=$(echo "${AN[2,$round]} / ${AN[1,$round]}" | bc -l)
    c=$(echo "${MAX[2,$round]} / ${MAX[1,$round]}" | bc -l)
    ratios="$ratios $r"
    cratios="$cratios $c"
    printf '| %d | %s | %s | %.2f | %s | %s | %.2f |\n' "$round" "${AN[1,$round]}" "${AN[2,$round]}" "$r" \
        "${CPU[1,$round]% }" "${CPU[2,$round]% }" "$c"
done
echo
$PY - "$ratios" "$cratios" <<'PY'
import statistics, sys
for name, arg in (("analyze wall", sys.argv[1]), ("busiest rank's CPU (whole rerun)", sys.argv[2])):
    r = [float(x) for x in arg.split()]
    print(f"{name} np2/np1: median {statistics.median(r):.2f} (range {min(r):.2f} .. {max(r):.2f})")
print("every workdir as one process: yes")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
