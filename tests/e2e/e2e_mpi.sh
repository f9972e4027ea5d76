#!/usr/bin/env bash
# e2e: `sciprune run` over MPI ranks (mpirun --oversubscribe -np 1, 2, 3) gives the bytes of
# one process: out/, score/, index/centroids.npy, embed/ and gates/ vectors, the report's
# counts (JSON compared without timings and memory peaks). Then a rank is SIGKILLed mid-job
# (once in embed, once after the index) and the job rerun with another N: the same bytes. A
# shard that fails on rank 1 fails the job on every rank, named with the rank and the shard.
# Launcher detection: several tasks of a command other than run (or of a build without MPI)
# exit 2, only rank 0 saying why, and write nothing.
# Skips (77) when mpirun is missing; in a build without MPI it checks the refusal only.
set -euo pipefail
S=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "SKIP: no mpirun"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export OPENBLAS_CORETYPE=Nehalem # the distances' last bits do not follow the CPU (e2e_golden)
MPIRUN="mpirun --oversubscribe --bind-to none"
T=$(mktemp -d /tmp/sciprune-e2e-mpi.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
$PY "$SRC/tests/corpus/make_corpus.py" --seed 1 --src src >/dev/null || fail "make_corpus"
"$S" ingest src --out shards --docs-per-shard 60 2>/dev/null
[ "$(ls shards/*.zst | wc -l)" -ge 8 ] || fail "expected >= 8 shards"
cat > job.json <<'JSON'
{"inputs": ["shards/shard-*.jsonl.zst"], "workdir": "w", "threads": 1,
 "index": {"k": 8}, "gates": {},
 "corrupt": {"langs": ["python"], "per_type": 3, "seed": 7}, "analyze": {},
 "score": {"metrics": ["combined", "distance", "auto"], "ratios": [0.2]},
 "prune": {"fsync": false, "write_removed": true}}
JSON

# --- launcher detection (both builds)
set +e
OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=1 "$S" embed --in shards/shard-00000.jsonl.zst --workdir wx > x1.out 2> x1.err
rc1=$?
SLURM_STEP_NUM_TASKS=3 SLURM_PROCID=0 "$S" index --workdir wx > x0.out 2> x0.err
rc0=$?
set -e
[ $rc1 = 2 ] && [ $rc0 = 2 ] || fail "several tasks of a non-run command: exit $rc1/$rc0, want 2"
[ ! -s x1.err ] || fail "rank 1 should say nothing: $(cat x1.err)"
grep -q "started as 3 tasks by srun" x0.err || fail "rank 0 names the launcher: $(cat x0.err)"
[ ! -e wx ] || fail "a refused task wrote a workdir"
if ! "$S" run --help | grep -q "mpirun or srun"; then fail "run --help"; fi
if [ "${SCIPRUNE_HAVE_MPI:-1}" = 0 ]; then
    set +e
    $MPIRUN -np 2 "$S" run --config job.json > nm.out 2> nm.err
    rc=$?
    set -e
    [ $rc != 0 ] || fail "a build without MPI ran under mpirun -np 2"
    [ "$(grep -c "this build has no MPI" nm.err)" = 1 ] || fail "rank 0 alone says why: $(cat nm.err)"
    [ ! -e w ] || fail "the job ran"
    echo "no MPI in this build: refusal checked"
    exit 0
fi

# --- one process, then 1, 2, 3 ranks
"$S" run --config job.json --workdir w0 > w0.out 2> w0.err || { cat w0.err; fail "run"; }
for n in 1 2 3; do
    env -u SCIPRUNE_NO_PROGRESS $MPIRUN -np $n "$S" run --config job.json --workdir w$n --progress-every 0.2 > w$n.out 2> w$n.err ||
        { cat w$n.err; fail "mpirun -np $n"; }
    [ "$(grep -c '^corpus:' w$n.out)" = 1 ] || fail "-np $n: rank 0 alone prints the summary"
done
grep -q '^\[rank 2/3\] embed: [0-9]* records' w3.err || fail "no rank-prefixed progress lines"
grep -q '^\[rank 0/3\] run: prune  done' w3.err || fail "rank 0's stage lines"
for n in 1 2 3; do $PY "$SRC/tests/e2e/mpi_same.py" w0 w$n || fail "-np $n differs from one process"; done
diff <(sed 's/w0/W/g' w0.out) <(sed 's/w3/W/g' w3.out) || fail "summary differs"

# --- kill a rank mid-job, rerun with another N
# the PID of rank R of the job started by mpirun PID M
rank_pid() {
    for p in $(pgrep -f "$S run --config job.json --workdir $2"); do
        tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && { echo $p; return; }
    done
}
kill_when() { # workdir rank test-command: run -np 3, SIGKILL rank when the test holds
    local w=$1 r=$2; shift 2
    $MPIRUN -np 3 "$S" run --config job.json --workdir $w > $w.k.out 2> $w.k.err &
    local m=$! i
    for i in $(seq 1 600); do
        if "$@"; then
            local p; p=$(rank_pid $r $w)
            [ -n "$p" ] && kill -9 $p && echo "killed rank $r ($p) of $w: $(ls $w/embed 2>/dev/null | grep -c 'zst.npy$') shards embedded"
            break
        fi
        sleep 0.05
    done
    set +e; wait $m; local rc=$?; set -e
    [ $rc != 0 ] || fail "$w: mpirun exited 0 after a rank was killed (or the kill came too late)"
}
embedded2() { [ "$(ls wk1/embed 2>/dev/null | grep -c 'zst.npy$')" -ge 2 ]; }
kill_when wk1 1 embedded2
[ ! -e wk1/report.json ] || fail "wk1 finished before the kill"
$MPIRUN -np 2 "$S" run --config job.json --workdir wk1 > wk1.out 2> wk1.err || { cat wk1.err; fail "rerun -np 2"; }
$PY "$SRC/tests/e2e/mpi_same.py" w0 wk1 || fail "killed in embed, rerun with -np 2: differs"
indexed() { [ -e wk2/index/centroids.npy ]; }
kill_when wk2 0 indexed
"$S" run --config job.json --workdir wk2 > wk2.out 2> wk2.err || { cat wk2.err; fail "rerun one process"; }
$PY "$SRC/tests/e2e/mpi_same.py" w0 wk2 || fail "killed after the index, rerun as one process: differs"
$MPIRUN -np 3 "$S" run --config job.json --workdir wk2 > wk2b.out 2> wk2b.err || fail "rerun -np 3"
grep -q "run: prune  up to date" wk2b.err || fail "a finished job rerun under 3 ranks is up to date"

# --- a shard that fails on rank 1 (npy vectors one row short for shard index 1)
mkdir vec
$PY - <<'PY'
import glob, os, subprocess, numpy as np
for i, p in enumerate(sorted(glob.glob("shards/shard-*.jsonl.zst"))):
    n = subprocess.run(["zstd", "-dc", p], stdout=subprocess.PIPE, check=True).stdout.count(b"\n")
    np.save("vec/" + os.path.basename(p) + ".npy", np.ones((n - (i == 1), 16), np.float32))
PY
cat > jobf.json <<'JSON'
{"inputs": ["shards/shard-*.jsonl.zst"], "workdir": "wf", "threads": 1,
 "embed": {"embedder": "npy:vec"}, "index": {"k": 4}, "prune": {"fsync": false}}
JSON
set +e
$MPIRUN -np 2 "$S" run --config jobf.json > f.out 2> f.err
rc=$?
set -e
[ $rc != 0 ] || fail "a failing shard: exit 0"
grep -q '^\[rank 1/2\] sciprune: run failed: .*shard-00001.jsonl.zst has 60 lines' f.err || { cat f.err; fail "rank 1 names its shard"; }
grep -q '^\[rank 0/2\] sciprune: run failed: .*rank 1 failed on shard .*shard-00001.jsonl.zst' f.err ||
    { cat f.err; fail "rank 0 names rank 1 and the shard"; }
echo "e2e_mpi: ok"
