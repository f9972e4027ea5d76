#!/usr/bin/env bash
# test-slurm.sh - sciprune under a real Slurm: brings up a one-node cluster on this machine
# (munged, slurmctld, slurmd from Debian's slurm-wlm and munge; a 2-CPU node, its own config and
# ports in a temp folder), submits scripts/slurm/sciprune.sbatch with sbatch (2 tasks x 1 CPU),
# waits, checks that the job's workdir holds the bytes of a single-process run
# (tests/e2e/mpi_same.py) and prints the job's output file (rank-prefixed progress lines).
# Needs root and the packages (apt-get install slurm-wlm munge, or SCIPRUNE_SETUP_SLURM=1
# scripts/setup.sh); exits 77 without them. Not in meson test: starting daemons as root and
# the packages are more than CI's test machine offers; it takes about a minute here.
#   scripts/test-slurm.sh [build/cli/sciprune]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
S=$(realpath "${1:-$SRC/build/cli/sciprune}")
PY=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (it starts munged, slurmctld, slurmd)"; exit 77; }
for b in munged slurmctld slurmd sbatch mpirun; do
    command -v $b >/dev/null || { echo "SKIP: no $b (apt-get install slurm-wlm munge)"; exit 77; }
done
T=$(mktemp -d /tmp/sciprune-slurm.XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1
    rm -rf "$T"
}
trap cleanup EXIT
host=$(hostname -s)
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/log"
# munge: a key of our own, the daemon on its own socket
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$T/munge/munge.key"
SOCK="$T/munge/munge.socket"
munged --force --key-file "$T/munge/munge.key" --socket "$SOCK" --pid-file "$T/munge/munged.pid" \
    --log-file "$T/log/munged.log" --seed-file "$T/munge/seed" || fail "munged"
sleep 0.5
PIDS+=("$(cat "$T/munge/munged.pid")")
cat > "$T/slurm.conf" <<CONF
ClusterName=sciprunetest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$SOCK
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$T/slurm.conf"
slurmctld -D -i > "$T/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D > "$T/log/slurmd.out" 2>&1 &
PIDS+=($!)
for i in $(seq 1 60); do
    sinfo -h -o '%t' 2>/dev/null | grep -q idle && break
    sleep 1
done
sinfo -h -o '%t' | grep -q idle || { cat "$T"/log/*; fail "the node did not come up"; }
echo "slurm: $(sinfo -h -o '%P %D nodes, %c CPUs, %t')"

# the job: the e2e corpus, 10 shards
cd "$T"
$PY "$SRC/tests/corpus/make_corpus.py" --seed 1 --src src >/dev/null
"$S" ingest src --out shards --docs-per-shard 60 2>/dev/null
cat > job.json <<'JSON'
{"inputs": ["shards/shard-*.jsonl.zst"], "workdir": "w", "threads": 1,
 "index": {"k": 8}, "gates": {},
 "corrupt": {"langs": ["python"], "per_type": 3, "seed": 7}, "analyze": {},
 "score": {"metrics": ["combined", "distance", "auto"], "ratios": [0.2]},
 "prune": {"fsync": false, "write_removed": true}}
JSON
export OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=Nehalem
"$S" run --config job.json --workdir w1 > w1.out 2> w1.err || { cat w1.err; fail "one process"; }
# srun through PMIx when this Slurm has it, else mpirun inside the allocation
if srun --mpi=list 2>&1 | grep -q pmix; then LAUNCH="srun --mpi=pmix"; else LAUNCH="mpirun --bind-to none"; fi
echo "launcher: $LAUNCH"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
jid=$(SCIPRUNE="$S" LAUNCH="$LAUNCH" PROGRESS_EVERY=1 sbatch --parsable --wait --chdir="$T" \
      --output="$T/slurm-%j.out" "$SRC/scripts/slurm/sciprune.sbatch" job.json --workdir wslurm) ||
    { cat "$T"/slurm-*.out "$T/log/slurmd.log" 2>/dev/null | tail -40; fail "sbatch job failed"; }
out="$T/slurm-$jid.out"
echo "---- $out (sbatch --ntasks=2 --cpus-per-task=1)"
cat "$out"
echo "----"
grep -q '^\[rank 1/2\] embed: [0-9]* records' "$out" || fail "no rank-prefixed progress lines"
$PY "$SRC/tests/e2e/mpi_same.py" w1 wslurm || fail "the Slurm job's bytes differ from one process"
# sciprune run straight in a batch script of 2 tasks (no srun): one process, not refused
# (sbatch sets SLURM_NTASKS there, which is not a sign of several tasks)
jid2=$(sbatch --parsable --wait --ntasks=2 --chdir="$T" --output="$T/slurm-%j.out" \
       --wrap "env | grep -E '^SLURM_(NTASKS|STEP_NUM_TASKS|PROCID)=' | sort; $S run --config job.json --workdir wbatch") ||
    { cat "$T/slurm-$jid2.out"; fail "sciprune run in a batch script was refused"; }
echo "---- the batch step's environment (job $jid2):"
grep '^SLURM_' "$T/slurm-$jid2.out"
$PY "$SRC/tests/e2e/mpi_same.py" w1 wbatch || fail "the batch-step run's bytes differ"
echo "test-slurm: ok (jobs $jid, $jid2)"
