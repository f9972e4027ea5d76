#!/usr/bin/env bash
# e2e: the installed tree. `meson install --destdir` installs the header, libsciprune.so.0,
# sciprune.pc, the CLI and data/; the installed prefix is moved elsewhere (out of the build's
# and source's reach, SCIPRUNE_DATA_DIR unset). docs/examples/judge.c is compiled with
# `pkg-config --cflags --libs sciprune` against it and judges files with a model that the
# installed CLI made; the library finds data/ relative to its new prefix.
set -euo pipefail
B=${SCIPRUNE_BUILD_ROOT:?}
SRC=${SCIPRUNE_SOURCE_ROOT:?}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/sciprune-e2e-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
LIBDIR=$("$SRC/tests/install_tree.sh" "$B" "$T/tree") || fail "meson install"
P=$T/tree
for f in include/sciprune.h bin/sciprune share/sciprune/data/queries/python share/doc/sciprune/sciprune-help.txt; do
  [ -e "$P/$f" ] || fail "not installed: $f"
done
[ -e "$LIBDIR/libsciprune.so.0" ] && [ -e "$LIBDIR/pkgconfig/sciprune.pc" ] || fail "library or .pc not installed"
unset SCIPRUNE_DATA_DIR LD_LIBRARY_PATH
cd "$T"
# the installed CLI (relative rpath) makes a small job and its model
$PY "$SRC/tests/corpus/make_corpus.py" --src "$T/src" --seed 2 > /dev/null
"$P/bin/sciprune" ingest "$T/src" --out "$T/shards" --docs-per-shard 200 2>/dev/null || fail "installed CLI: ingest"
cat > "$T/job.json" <<JSON
{"inputs": ["shards/shard-*.jsonl.zst"], "workdir": "w", "threads": 2, "index": {"k": 4},
 "score": {"metrics": ["gate+distance"], "ratios": [0.2]}, "prune": {"fsync": false},
 "export": {"variant": "gate+distance-p0.20", "out": "model"}}
JSON
"$P/bin/sciprune" run --config "$T/job.json" > /dev/null 2> "$T/run.err" || { cat "$T/run.err"; fail "installed CLI: run"; }
# the example, built from the installed .pc only (its prefix redefined to where it now is)
cp "$SRC/docs/examples/judge.c" "$T/"
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
flags=$(pkg-config --define-variable=prefix="$P" --cflags --libs sciprune) || fail "pkg-config"
case "$flags" in *"$SRC"*|*"$B"*) fail "pkg-config points into the source or build tree: $flags" ;; esac
# a sanitized build's library (scripts/test.sh --sanitize) needs its runtime linked first
san=
grep -q libasan <(ldd "$LIBDIR/libsciprune.so.0") && san="-fsanitize=address,undefined"
cc -std=c11 -Wall -Werror $san judge.c $flags -Wl,-rpath,"$LIBDIR" -o judge || fail "compile the example"
ldd ./judge > "$T/ldd.txt"
grep -q "$LIBDIR/libsciprune.so.0" "$T/ldd.txt" || fail "the example does not link the installed library"
files=$(find "$T/src" -type f \( -name '*.py' -o -name '*.js' -o -name '*.c' \) | sort | sed -n '1,12p')
./judge "$T/model" $files > "$T/judge.out" 2> "$T/judge.err" || { cat "$T/judge.err"; fail "the example failed"; }
head -1 "$T/judge.out" | grep -q "model gate+distance-p0.20 (gate+distance), data $P/share/sciprune/data\$" \
  || { head -1 "$T/judge.out"; fail "the installed library does not find data/ under its prefix"; }
[ "$(grep -cE '^(keep|drop) [a-z_]+ cluster=[0-9]+ distance=' "$T/judge.out")" = 12 ] || { cat "$T/judge.out"; fail "want 12 verdicts"; }
grep -q '^keep ' "$T/judge.out" || fail "the example kept nothing"
# SCIPRUNE_DATA_DIR still overrides
SCIPRUNE_DATA_DIR=/elsewhere ./judge "$T/model" > "$T/env.out" || fail "the example failed"
grep -q "data /elsewhere$" "$T/env.out" || fail "SCIPRUNE_DATA_DIR override lost"
# ingest --parquet from the installed tree: its own copy of parquet2shard.js and the npm
# packages it imports (node resolves them from the script's folder, far from the source tree)
for f in share/sciprune/scripts/parquet2shard.js share/sciprune/scripts/node_modules/hyparquet/package.json \
         share/sciprune/scripts/node_modules/hyparquet-compressors/package.json; do
  [ -e "$P/$f" ] || fail "not installed: $f"
done
grep -q "$P/share/sciprune/data/../scripts/parquet2shard.js" <("$P/bin/sciprune" ingest --help) \
  || fail "the installed CLI does not name its installed parquet2shard.js"
unset SCIPRUNE_PARQUET2SHARD
node "$SRC/tests/e2e/parquet_write.mjs" "$T/pq" > /dev/null || fail "writing the test Parquet files"
"$P/bin/sciprune" ingest --parquet "$T/pq/snappy.parquet" --out "$T/pqshards" 2> "$T/pq.log" \
  || { cat "$T/pq.log"; fail "installed CLI: ingest --parquet"; }
grep -q '^ingest: [1-9][0-9]* records written' "$T/pq.log" || { cat "$T/pq.log"; fail "installed ingest --parquet wrote nothing"; }
echo "e2e_install: ok (installed tree moved to $P; example built with pkg-config, judged 12 files; ingest --parquet from the installed script)"
