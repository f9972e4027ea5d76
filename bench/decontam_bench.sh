#!/usr/bin/env bash
# decontam_bench.sh - the decontamination stage's one pass against the shard reader alone, A/B
# interleaved (reader, decontam, reader, decontam, ...: the host's drift hits both alike), one
# thread each. The benchmark files are made up here from another seed of the test corpus
# generator (tests/corpus/make_corpus.py --seed 7 --scale 4), at the real benchmarks' sizes:
# 164 HumanEval-format items (12 lines of a file as the prompt, the next 6 as the solution)
# and 974 MBPP-format items (10 lines as code), so their n-grams overlap the corpus the way
# code of one style does, without being the corpus. Prints the median ratio of speeds
# (decontam MB/s / reader MB/s) by CPU time (user + sys of each process: on the shared host the
# wall time of the same run varies by 4x, its CPU time by ~20 %), each pair, and the wall ratios.
#   bench/decontam_bench.sh [--shards DIR] [--pairs N] [--threads N (decontam's; default 1)]
set -euo pipefail
cd "$(dirname "$0")/.."
shards=bench/out/small/corpus; pairs=3; threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "usage: bench/decontam_bench.sh [--shards DIR] [--pairs N] [--threads N]" >&2; exit 2 ;;
  esac
done
BIN=build/cli/sciprune; READER=build/bench/bench_reader
T=$(mktemp -d /tmp/sciprune-dcb.XXXXXX)
trap 'rm -rf "$T"' EXIT
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
/usr/bin/python3 tests/corpus/make_corpus.py --seed 7 --scale 4 --src "$T/gen" > /dev/null
/usr/bin/python3 - "$T" <<'PY'
import gzip, json, os, sys
t = sys.argv[1]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(f'{t}/gen') for f in fs if f.endswith('.py'))
he, mb = [], []
# benchmark-sized items (HumanEval: ~450-byte prompts, ~180-byte solutions; MBPP: ~250-byte
# code): a few lines from the middle of each generated file
for i, p in enumerate(files[:1138]):
    lines = open(p, encoding='utf-8', errors='replace').read().split('\n')
    m = len(lines) // 3
    if i < 164:
        he.append({'task_id': f'Made/{i}', 'prompt': '\n'.join(lines[m:m + 12]) + '\n',
                   'canonical_solution': '\n'.join(lines[m + 12:m + 18]) + '\n'})
    else:
        first = next((l for l in lines if l.strip().startswith('#')), os.path.basename(p))
        mb.append({'task_id': i, 'text': first.strip('# '), 'code': '\n'.join(lines[m:m + 10])})
with gzip.open(f'{t}/he.jsonl.gz', 'wt') as f:
    f.writelines(json.dumps(o) + '\n' for o in he)
with open(f'{t}/mbpp.jsonl', 'w') as f:
    f.writelines(json.dumps(o) + '\n' for o in mb)
print(f'benchmark: {len(he)} humaneval-format + {len(mb)} mbpp-format items from {len(files)} generated files', file=sys.stderr)
PY
SH=$(ls "$shards"/*.jsonl.zst | sort)
# cputime CMD...: runs CMD (stdout to /dev/null, stderr to $T/err); prints "cpu_s wall_s"
cputime() {
  /usr/bin/python3 - "$T/err" "$@" <<'PY'
import os, resource, subprocess, sys, time
t0 = time.monotonic()
with open(sys.argv[1], 'w') as e:
    subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=e, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f'{r.ru_utime + r.ru_stime:.3f} {time.monotonic() - t0:.3f}')
PY
}
ratios=(); walls=()
for p in $(seq "$pairs"); do
  read -r rc rw < <(cputime "$READER" $SH)
  read -r dc dw < <(cputime "$BIN" decontam --workdir "$T/w$p" --threads "$threads" \
    --bench "humaneval:$T/he.jsonl.gz" --bench "mbpp:$T/mbpp.jsonl" --in $SH)
  cp "$T/err" "$T/log$p"
  ratio=$(/usr/bin/python3 -c "print(f'{$rc / $dc:.3f}')")
  wall=$(/usr/bin/python3 -c "print(f'{$rw / $dw:.3f}')")
  ratios+=("$ratio"); walls+=("$wall")
  echo "pair $p: reader ${rc}s CPU (${rw}s wall), decontam ${dc}s CPU (${dw}s wall), speed ratio $ratio by CPU ($wall by wall)" >&2
done
tail -1 "$T/log1" >&2
med=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}')
echo "| decontam: one pass, exact + ngram, 1138 items, $threads thread(s) (A/B vs reader, $pairs pairs) | median speed ratio by CPU $med (pairs: ${ratios[*]}; by wall: ${walls[*]}) | >= 0.50 |"
