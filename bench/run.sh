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
# the same without the idf fit: below --idf-min-docs sampled records the fit pass parses every
# record once more, so this row shows what the second parse costs
read -r t m < <(measure bash -c "rm -rf $out/we; $S embed --in $sub/sub.jsonl.zst --workdir $out/we --threads 1 --no-idf"); put embed_sub1_noidf $t $m
# issue 17's signals: the embed row above holds the naturalness fit and signal (on by default);
# these rows show it off (SCIPRUNE_NO_NATURALNESS=1), the site detectors instead (all,sites:
# the n-gram model is left out next to them unless listed) and every signal (all,sites,naturalness)
read -r t m < <(measure bash -c "rm -rf $out/we; SCIPRUNE_NO_NATURALNESS=1 $S embed --in $sub/sub.jsonl.zst --workdir $out/we --threads 1"); put embed_sub1_nonat $t $m
read -r t m < <(measure bash -c "rm -rf $out/we; $S embed --in $sub/sub.jsonl.zst --workdir $out/we --threads 1 --features all,sites"); put embed_sub1_sites $t $m
read -r t m < <(measure bash -c "rm -rf $out/we; $S embed --in $sub/sub.jsonl.zst --workdir $out/we --threads 1 --features all,sites,naturalness"); put embed_sub1_sites_nat $t $m
# the same two in the fit regime of a corpus of 10000 records or more: the fit takes the 10 %
# idf sample (here ~100 records, allowed by --idf-min-docs 50) and the site detectors train on
# it only; every record below 10000 (idf_min_docs 1000 at 10 %) trains, as in the rows above
read -r t m < <(measure bash -c "rm -rf $out/we; $S embed --in $sub/sub.jsonl.zst --workdir $out/we --threads 1 --idf-min-docs 50"); put embed_sub1_sampled $t $m
read -r t m < <(measure bash -c "rm -rf $out/we; $S embed --in $sub/sub.jsonl.zst --workdir $out/we --threads 1 --idf-min-docs 50 --features all,sites"); put embed_sub1_sites_sampled $t $m
read -r t m < <(measure bash -c "rm -rf $out/we; $S embed --in $sub/sub.jsonl.zst --workdir $out/we --threads 1 --idf-min-docs 50 --features all,sites,naturalness"); put embed_sub1_sites_nat_sampled $t $m

# corrupt (default --per-type 100, all types) on the same subset, against the bare parse above;
# then on the whole last shard (the 41 MB shard that took > 40 min before the .each fix) with its
# own bare-parse floor
for th in 1 2; do
  read -r t m < <(measure bash -c "rm -rf $out/cor; $S corrupt --in $sub/sub.jsonl.zst --out $out/cor --threads $th"); put corrupt_sub$th $t $m
done
cp "$out/cor/corrupt.json" "$out/corrupt_sub.json"
last=$(ls "$out"/corpus/*.zst | tail -n 1)
build/bench/bench_parse "$last" > "$out/parse_last.json"
/usr/bin/time -f '%e %M' -o "$out/time.txt" build/bench/bench_parse "$last" > /dev/null
read -r t m < "$out/time.txt"; put parse_last $t $m
rm -rf "$out/corl"
/usr/bin/time -f '%e %M' -o "$out/time.txt" $S corrupt --in "$last" --out "$out/corl" --threads 1 > /dev/null 2>&1
read -r t m < "$out/time.txt"; put corrupt_last1 $t $m
cp "$out/corl/corrupt.json" "$out/corrupt_last.json"

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

# uncompressed variant: the same corpus as .jsonl shards, where prune vs `cat` is a fair copy floor
J=$out/jcorpus; rm -rf "$J"; mkdir -p "$J"
for f in "$out"/corpus/*.zst; do zstd -q -dc "$f" > "$J/$(basename "${f%.zst}")"; done
WJ=$out/wj; rm -rf "$WJ"
$S embed --in "$J"/*.jsonl --workdir "$WJ" --threads 2 > /dev/null 2>&1
$S index --workdir "$WJ" --threads 2 > /dev/null 2>&1
$S score --workdir "$WJ" --threads 2 > /dev/null 2>&1
read -r t m < <(measure bash -c "cat $J/*.jsonl > $out/copy/all.jsonl"); put catj $t $m
for th in 1 2; do
  read -r t m < <(measure $S prune --workdir "$WJ" --threads $th --no-fsync); put prunej$th $t $m
done
rm -rf "$J" "$WJ" "$out/copy"

/usr/bin/python3 bench/report.py "$out" "$size"
