#!/usr/bin/env bash
# e2e: `sciprune run` over MPI ranks (mpirun --oversubscribe -np 1, 2, 3) gives the bytes of
# one process (score split too: exact global cuts by histogram reduces): out/, score/,
# index/centroids.npy, embed/ and gates/ vectors, analyze/ (its variants embedded by rank,
# merged by rank 0), the report's counts (JSON compared without timings and memory peaks); the
# same for features "all,sites,naturalness" (the fit pass split: idf, n-grams, site detectors), one process
# vs -np 3, and after rank 1 is killed in the fit and the job rerun on 2 ranks. Then a rank is
# SIGKILLed mid-job (once in embed; once in analyze's split; once in score; once a seeded
# choice of rank and stage, printed) and the job rerun with another
# N: the same bytes. A
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
if ! grep -q "mpirun or srun" <("$S" run --help); then fail "run --help"; fi
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
grep -q '^\[rank 2/3\] corrupt: [0-9]* shards' w3.err || fail "corrupt is not split over the ranks"
grep -q '^\[rank 2/3\] score: [0-9]* shards' w3.err || fail "score is not split over the ranks"
[ -z "$(ls w3/parts/corrupt 2>/dev/null)" ] || fail "the ranks' corrupt scans were left behind"
[ -z "$(ls w3/parts/corrupt-heldout 2>/dev/null)" ] || fail "the ranks' held-out scans were left behind"
grep -q '^\[rank 2/3\] sciprune: info: corrupt: scanning part 2 of 3' w3.err ||
    fail "the corrupt scan is not split over the ranks"
grep -q '^\[rank 2/3\] sciprune: info: corrupt (held-out probes): scanning part 2 of 3' w3.err ||
    fail "the held-out probes' scan is not split over the ranks"
# analyze: each rank embeds its variants (j mod 3), rank 0 merges the parts
for r in 0 1 2; do
    grep -q "^\[rank $r/3\] sciprune: info: analyze: part $((r + 1))/3: [1-9][0-9]* of [0-9]* variants embedded" w3.err ||
        fail "analyze is not split over the ranks (rank $r)"
done
grep -q "^\\[rank 0/3\\] sciprune: info: analyze: [0-9]* variants taken from the ranks' parts" w3.err ||
    fail "rank 0 did not merge the analyze parts"
[ -z "$(ls w3/parts/analyze 2>/dev/null)" ] || fail "the ranks' analyze parts were left behind"
# without W/gates (no gates section, no metric that needs them) analyze computes the clean
# records' gates: the ranks score their shards (parts/analyze/gates-<i>.bin), rank 0 merges
sed -e 's/"gates": {},//' -e 's/, "auto"//' job.json > jobng.json
grep -q gates jobng.json && fail "jobng.json still has the gates"
"$S" run --config jobng.json --workdir wng0 > wng0.out 2> wng0.err || { cat wng0.err; fail "run without gates"; }
$MPIRUN -np 3 "$S" run --config jobng.json --workdir wng3 > wng3.out 2> wng3.err || { cat wng3.err; fail "-np 3 without gates"; }
$PY -c "import json, sys; assert json.load(open(sys.argv[1]))['gates']['source'] == 'computed'" \
    wng3/analyze/report.json || fail "wng3: the gates were not computed in analyze"
[ -z "$(ls wng3/parts/analyze 2>/dev/null)" ] || fail "wng3: analyze parts left behind"
$PY "$SRC/tests/e2e/mpi_same.py" wng0 wng3 || fail "-np 3 without W/gates differs from one process"
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
            [ -n "$p" ] && kill -9 $p 2>/dev/null && echo "killed rank $r ($p) of $w: $(ls $w/embed 2>/dev/null | grep -c 'zst.npy$') shards embedded"
            break
        fi
        sleep 0.05
    done
    set +e; wait $m; local rc=$?; set -e
    if [ $rc = 0 ] && [ "${LATE_OK:-0}" = 1 ]; then echo "$w: the job finished before the kill"; return; fi
    [ $rc != 0 ] || fail "$w: mpirun exited 0 after a rank was killed (or the kill came too late)"
}
embedded2() { [ "$(ls wk1/embed 2>/dev/null | grep -c 'zst.npy$')" -ge 2 ]; }
kill_when wk1 1 embedded2
[ ! -e wk1/report.json ] || fail "wk1 finished before the kill"
$MPIRUN -np 2 "$S" run --config job.json --workdir wk1 > wk1.out 2> wk1.err || { cat wk1.err; fail "rerun -np 2"; }
$PY "$SRC/tests/e2e/mpi_same.py" w0 wk1 || fail "killed in embed, rerun with -np 2: differs"
# killed in analyze's split (rank 1 while the ranks embed their variants), rerun with -np 2:
# the merge reads the new parts (a part of the 3-rank job is stale, and removed)
in_analyze() { grep -q '^\[rank 0/3\] run: analyze *running' wk3.k.err 2>/dev/null; }
# the analysis of this small job can finish within the poll and the kill's latency: the kill
# must land before it does, so a late one (report.json written) is tried again, at most 3 times
for try in 1 2 3; do
    rm -rf wk3 wk3.k.err
    LATE_OK=1 kill_when wk3 1 in_analyze
    [ -e wk3/analyze/report.json ] || break
    echo "wk3: analyze finished before the kill (try $try)"
done
[ ! -e wk3/analyze/report.json ] || fail "wk3: analyze finished before the kill, 3 times"
$MPIRUN -np 2 "$S" run --config job.json --workdir wk3 > wk3.out 2> wk3.err || { cat wk3.err; fail "rerun -np 2 after analyze"; }
grep -q '^\[rank 1/2\] sciprune: info: analyze: part 2/2' wk3.err || fail "wk3: the rerun's analyze was not split"
$PY "$SRC/tests/e2e/mpi_same.py" w0 wk3 || fail "killed in analyze, rerun with -np 2: differs"
[ -z "$(ls wk3/parts/analyze 2>/dev/null)" ] || fail "wk3: analyze parts left behind"
# a seeded choice: which rank, at which stage (when rank 0 says the stage runs), rerun as one
# process or on 2 ranks; SCIPRUNE_E2E_SEED repeats a run's choice (printed)
SEED=${SCIPRUNE_E2E_SEED:-$(( $(date +%s) % 100000 ))}
STAGES=(embed index corrupt analyze score) # prune ends on this corpus before a kill lands
KSTAGE=${STAGES[$(( SEED % 5 ))]}
KRANK=$(( SEED / 5 % 3 ))
KNP=$(( SEED / 15 % 2 + 1 ))
echo "kill seed $SEED: rank $KRANK at stage $KSTAGE, rerun with -np $KNP (SCIPRUNE_E2E_SEED=$SEED repeats it)"
at_stage() { grep -q "^\[rank 0/3\] run: $KSTAGE *running" wk2.k.err 2>/dev/null; }
LATE_OK=1 kill_when wk2 $KRANK at_stage # the last stages can end before the kill lands
if [ $KNP = 1 ]; then
    "$S" run --config job.json --workdir wk2 > wk2.out 2> wk2.err || { cat wk2.err; fail "rerun one process"; }
else
    $MPIRUN -np $KNP "$S" run --config job.json --workdir wk2 > wk2.out 2> wk2.err || { cat wk2.err; fail "rerun -np $KNP"; }
fi
$PY "$SRC/tests/e2e/mpi_same.py" w0 wk2 || fail "seed $SEED: killed rank $KRANK at $KSTAGE, rerun with -np $KNP: differs"
$MPIRUN -np 3 "$S" run --config job.json --workdir wk2 > wk2b.out 2> wk2b.err || fail "rerun -np 3"
# killed during score (split over the ranks: each writes its shards' masks), rerun with -np 2
at_score() { grep -q "^\[rank 0/3\] run: score *running" wk3.k.err 2>/dev/null; }
LATE_OK=1 kill_when wk3 2 at_score
$MPIRUN -np 2 "$S" run --config job.json --workdir wk3 > wk3.out 2> wk3.err || { cat wk3.err; fail "rerun -np 2 after a kill in score"; }
$PY "$SRC/tests/e2e/mpi_same.py" w0 wk3 || fail "killed rank 2 in score, rerun with -np 2: differs"
grep -q "run: prune  up to date" wk2b.err || fail "a finished job rerun under 3 ranks is up to date"

# --- features "all,sites,naturalness": the fit pass split over the ranks (document frequencies and n-gram
# counts sum-reduced, the site detectors' examples gathered through W/parts/embed), one process
# vs 3 ranks; then rank 1 killed during the fit (the workdir has shards.json, not yet the spec)
# and the job rerun on 2 ranks: the same bytes
$PY - <<'PY'
import json
j = json.load(open("job.json"))
j["embed"] = {"features": "all,sites,naturalness"}
json.dump(j, open("jobs.json", "w"))
PY
"$S" run --config jobs.json --workdir ws0 > ws0.out 2> ws0.err || { cat ws0.err; fail "sites: run"; }
[ -s ws0/embed/sites.npy ] || fail "sites: no site detector table"
env -u SCIPRUNE_NO_PROGRESS $MPIRUN -np 3 "$S" run --config jobs.json --workdir ws3 --progress-every 0.2 > ws3.out 2> ws3.err ||
    { cat ws3.err; fail "sites: mpirun -np 3"; }
grep -q '^\[rank 2/3\] embed-fit: [0-9]* shards' ws3.err || fail "sites: the fit pass is not split over the ranks"
[ -z "$(ls ws3/parts/embed 2>/dev/null)" ] || fail "sites: the ranks' fit parts were left behind"
$PY "$SRC/tests/e2e/mpi_same.py" ws0 ws3 || fail "sites: -np 3 differs from one process"
in_fit() { [ -e wsk/embed/shards.json ] && [ ! -e wsk/embed/embedder.json ]; }
kill_fit() { # like kill_when, for the sites job
    $MPIRUN -np 3 "$S" run --config jobs.json --workdir wsk > wsk.k.out 2> wsk.k.err &
    local m=$! i p=
    for i in $(seq 1 1200); do
        if in_fit; then
            for q in $(pgrep -f "$S run --config jobs.json --workdir wsk"); do
                tr '\0' '\n' < /proc/$q/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && p=$q
            done
            [ -n "$p" ] && kill -9 $p 2>/dev/null && echo "killed rank 1 ($p) of wsk in the fit pass"
            break
        fi
        sleep 0.05
    done
    set +e; wait $m; local rc=$?; set -e
    [ -n "$p" ] && [ $rc != 0 ] || fail "sites: no kill in the fit pass (rc $rc)"
}
kill_fit
[ ! -e wsk/embed/embedder.json ] || fail "sites: the spec was written after a rank died in the fit"
$MPIRUN -np 2 "$S" run --config jobs.json --workdir wsk > wsk.out 2> wsk.err || { cat wsk.err; fail "sites: rerun -np 2"; }
$PY "$SRC/tests/e2e/mpi_same.py" ws0 wsk || fail "sites: killed in the fit, rerun with -np 2: differs"
[ -z "$(ls wsk/parts/embed 2>/dev/null)" ] || fail "sites: the killed job's fit parts were left behind"

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
