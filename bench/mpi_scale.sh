#!/usr/bin/env bash
# mpi_scale.sh - `sciprune run` as ranks x threads on this machine: 1x2 (one process, no
# mpirun), 2x1 and 2x2 (mpirun --oversubscribe; 2x2 puts 4 threads on 2 cores), A/B
# interleaved over ROUNDS rounds (default 2). Prints a markdown table of wall seconds (each
# round) and stage seconds of the last round (the manifest: embed, index and prune are split
# over ranks, score runs on rank 0) and checks each workdir holds the bytes of the first
# (tests/e2e/mpi_same.py).
#   bench/mpi_scale.sh [build/cli/sciprune] [scale]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
S=$(realpath "${1:-$SRC/build/cli/sciprune}")
SCALE=${2:-3}
IDF=${3:-true} # false: no idf fit pass (rank 0 makes it alone, see README)
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=PASSIVE
export OPENBLAS_NUM_THREADS=1 SCIPRUNE_NO_PROGRESS=1
T=$(mktemp -d /tmp/sciprune-mpi-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
$PY "$SRC/tests/corpus/make_corpus.py" --seed 3 --scale "$SCALE" --src src >/dev/null
"$S" ingest src --out shards --docs-per-shard 100 2>/dev/null
n=$(ls shards/*.zst | wc -l)
recs=$(for f in shards/*.zst; do zstd -dc "$f"; done | wc -l)
mb=$(du -cb shards/*.zst | tail -1 | awk '{printf "%.1f", $1/1e6}')
cat > job.json <<'JSON'
{"inputs": ["shards/shard-*.jsonl.zst"], "workdir": "w", "index": {"k": 16}, "gates": {}, "embed": {"idf": IDF},
 "score": {"metrics": ["combined", "distance"], "ratios": [0.2]}, "prune": {"fsync": false}}
JSON
sed -i "s/IDF/$IDF/" job.json
stage_s() { $PY -c "import json,sys; m=json.load(open(sys.argv[1]+'/manifest.json')); print('%.1f' % m['stages'][sys.argv[2]]['seconds'])" "$1" "$2"; }
echo "embed idf: $IDF; corpus: $recs records in $n shards, $mb MB zstd; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
ROUNDS=${ROUNDS:-2}
echo "A/B interleaved: $ROUNDS rounds of (1x2, 2x1, 2x2); wall s per round; the stage seconds of the last"
echo
echo "| ranks x threads | launcher | wall s (each round) | embed s | index s | prune s | score s (rank 0) | same bytes |"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |"
declare -A WALLS
for round in $(seq 1 "$ROUNDS"); do
    for cfg in "1 2" "2 1" "2 2"; do
        set -- $cfg
        r=$1 t=$2 w=w${r}x$t
        rm -rf $w
        if [ "$r" = 1 ]; then cmd=("$S"); else cmd=(mpirun --oversubscribe --bind-to none -np "$r" "$S"); fi
        t0=$(date +%s.%N)
        OMP_NUM_THREADS=$t "${cmd[@]}" run --config job.json --workdir $w --threads "$t" > $w.out 2> $w.err || { cat $w.err; exit 1; }
        t1=$(date +%s.%N)
        WALLS[$w]="${WALLS[$w]:-}$(printf '%.1f' "$(echo "$t1 - $t0" | bc)") "
    done
done
for cfg in "1 2" "2 1" "2 2"; do
    set -- $cfg
    r=$1 t=$2 w=w${r}x$t
    if [ "$r" = 1 ]; then launcher="none"; else launcher="mpirun -np $r"; fi
    same=yes
    [ "$w" = w1x2 ] || $PY "$SRC/tests/e2e/mpi_same.py" w1x2 $w >/dev/null || same=NO
    printf '| %s x %s | %s | %s | %s | %s | %s | %s | %s |\n' "$r" "$t" "$launcher" "${WALLS[$w]% }" \
        "$(stage_s $w embed)" "$(stage_s $w index)" "$(stage_s $w prune)" "$(stage_s $w score)" "$same"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
