#!/usr/bin/env bash
# Benchmarks: one command reproduces bench/results.md.
#   bench/run.sh [--size small|medium]
# Every speed is reported next to a reference measured in the same run (ratios, not absolute
# times: the machine is shared). Each timing is the best of 3 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
size=small
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    *) echo "usage: bench/run.sh [--size small|medium]" >&2; exit 2 ;;
  esac
done
case "$size" in small) mb=220 ;; medium) mb=660 ;; *) echo "bad size" >&2; exit 2 ;; esac
bash scripts/setup.sh
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized
ninja -C build >/dev/null
S=build/cli/sciprune
out=bench/out/$size
mkdir -p "$out"
/usr/bin/python3 bench/make_corpus.py --sciprune "$S" --out "$out" --mb "$mb" > "$out/corpus.json"
cat "$out/corpus.json"
export OMP_WAIT_POLICY=PASSIVE

# best-of-3 wall seconds and peak RSS (KiB) of a command: prints "secs rss"
measure() {
  local best= rss=
  for i in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$out/time.txt" "$@" > /dev/null
    read -r t m < "$out/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
  done
  echo "$best $rss"
}

read -r zstd_s zstd_rss < <(measure bash -c "zstd -dc $out/corpus/*.zst")
read -r rd_s rd_rss < <(measure build/bench/bench_reader "$out"/corpus/*.zst)
build/bench/bench_reader "$out"/corpus/*.zst > "$out/reader.json"
export SCIPRUNE_NO_PROGRESS=1
R="$out/res.txt"; : > "$R"
put() { echo "$*" >> "$R"; }
put zstd $zstd_s $zstd_rss; put reader $rd_s $rd_rss

# tree-sitter stages on a subset (the first 1000 records: parsing runs at ~5 MB/s per core)
sub=$out/sub; rm -rf "$sub"; mkdir -p "$sub"
{ zstd -dc "$out/corpus/part-00000.jsonl.zst" || true; } | head -n 1000 | zstd -q -3 -f -o "$sub/sub.jsonl.zst"
read -r t m < <(measure build/bench/bench_parse "$sub/sub.jsonl.zst"); put parse $t $m
for th in 1 2; do
  read -r t m < <(measure bash -c "rm -rf $out/we; $S embed --in $sub/sub.jsonl.zst --workdir $out/we --threads $th"); put embed_sub$th $t $m
done

# full corpus: embed once (2 threads), then index / score / prune and the floors
W=$out/w; rm -rf "$W"
/usr/bin/time -f '%e %M' -o "$out/time.txt" $S embed --in "$out"/corpus/*.zst --workdir "$W" --threads 2 2>/dev/null
read -r t m < "$out/time.txt"; put embed_full2 $t $m
for th in 1 2; do
  read -r t m < <(measure $S index --workdir "$W" --threads $th); put index$th $t $m
  read -r t m < <(measure $S index --workdir "$W" --threads $th --train-only); put train$th $t $m
  read -r t m < <(measure $S score --workdir "$W" --threads $th); put score$th $t $m
  read -r t m < <(measure $S prune --workdir "$W" --threads $th --no-fsync); put prune$th $t $m
  read -r t m < <(measure /usr/bin/python3 bench/reference/scip_ref.py "$W" "$out/ref" --threads $th); put ref$th $t $m
done
/usr/bin/python3 bench/reference/compare.py "$W" "$out/ref" > "$out/compare.txt" 2>&1 || true
/usr/bin/python3 bench/reference/scip_ref.py "$W" "$out/ref" --dump-sample "$out/sample.npy"
k=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["k"])' "$W/index/train.json")
for th in 1 2; do
  best=
  for i in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$out/time.txt" build/bench/bench_kmeans "$out/sample.npy" $k 20 1234 $th "$W/index/centroids.npy" > "$out/km$th.json"
    read -r t m < "$out/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; bm=$m; fi
  done
  put kmeans$th $best $bm
done
mkdir -p "$out/copy"
read -r t m < <(measure bash -c "cat $out/corpus/*.zst > $out/copy/all.zst"); put cat $t $m
read -r t m < <(measure bash -c "zstd -dc $out/corpus/*.zst | zstd -q -3 -T1 -c > $out/copy/re.zst"); put recompress $t $m

/usr/bin/python3 bench/report.py "$out" "$size"
