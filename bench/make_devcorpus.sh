#!/bin/bash
# make_devcorpus.sh - an independent development corpus for the quality gates, from Debian
# bookworm source packages (nothing of it is committed).
#
# usage: bench/make_devcorpus.sh [--fetch-only]
#   DEVSRC        cache folder (default /work/devsrc): dl/<pkg>/ (apt-get source --download-only),
#                 src/<pkg>/ (dpkg-source -x --no-check), tree/<half>/<lang>/<pkg>/... (the
#                 selected files, hard links), shards/<half>/ (sciprune ingest), indep/<half>/
#                 (bench/indep_corrupt.py: corruptions, labels, the real tools' verdicts),
#                 manifest.json (packages, versions, where each came from, counts)
#   PER_CLASS     validated corruptions per language and error class (default 30)
#   EVAL_ONLY=1   make the corruptions of the eval half only
#   SCIPRUNE_BIN  the sciprune binary for `ingest` (default build/cli/sciprune)
#
# Selection (bench/devcorpus_select.py): python = *.py, javascript = *.js (not *.min.js, not
# minified: average line > 300 bytes or any line > 5000 bytes; not under node_modules/),
# c = *.c (the .h files are left out: ingest reads .h as C++). Files over 256 KiB are skipped,
# byte-identical duplicates (vendored copies: jquery in several packages...) are kept once (first
# package in the order below), at most CAP files per package (default 300, chosen by a hash of the
# path, so the choice is stable). Each file goes to the half `tune` or `eval` by the parity of
# the first byte of sha1("<pkg>/<path>"): results are quoted on `eval`, gates are tuned on `tune`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DEVSRC=${DEVSRC:-/work/devsrc}
BIN=${SCIPRUNE_BIN:-$here/../build/cli/sciprune}
CAP=${CAP:-300}

PY_PKGS="jinja2 hplip quodlibet scons:scons meld:meld gajim:gajim ranger:ranger python-click:python3-click python-urllib3:python3-urllib3 terminator:terminator python-docutils:python3-docutils python-markdown:python3-markdown beautifulsoup4:python3-bs4 mako:python3-mako solaar:solaar catfish:catfish zim:zim"
JS_PKGS="jquery jqueryui mathjax openlayers leaflet codemirror-js:libjs-codemirror node-d3:libjs-d3 sphinx:libjs-sphinxdoc backbone:libjs-backbone highlight.js:libjs-highlight.js dojo:libjs-dojo-core,libjs-dojo-dijit three.js:libjs-three prototypejs:libjs-prototype jsxgraph:jsxgraph katex:libjs-katex"
C_PKGS="zlib libpng1.6 expat lua5.4 sqlite3 curl libxml2 pcre2 libuv1 jansson libyaml"

mkdir -p "$DEVSRC/dl" "$DEVSRC/src" "$DEVSRC/indep"
# The package mirror here serves some files of a source package and not others (404): apt-get
# source is tried twice; the package is extracted with dpkg-source -x when every file came, else
# from its upstream tarball(s) alone (*.orig.tar.*, *.orig-<component>.tar.*: the Debian patches
# are left out, which does not matter for a corpus), else, for a "src:bin,bin" entry, from those
# binary packages (apt-get download + dpkg-deb -x: pure-Python and libjs packages ship their
# sources); a package that none of these gives is left out and listed in DEVSRC/failed.txt. What
# each package came from is in packages.txt and manifest.json (the mirror decides, so a rebuild
# on another day may differ: compare manifests before comparing numbers).
fetch() {  # lang pkg[:binary,binary...]
    local pkg=${2%%:*} bins= d dsc
    [ "$pkg" != "$2" ] && bins=${2#*:}
    d="$DEVSRC/dl/$pkg"
    if [ ! -e "$d/.done" ]; then
        mkdir -p "$d"
        for try in 1 2; do
            (cd "$d" && apt-get source --download-only "$pkg" >/dev/null 2>&1) && { touch "$d/.complete"; break; }
        done
        touch "$d/.done"
    fi
    [ -d "$DEVSRC/src/$pkg" ] && { cat "$DEVSRC/src/$pkg.origin"; return 0; }
    dsc=$(ls "$d"/*.dsc 2>/dev/null | head -1)
    local ver=; [ -n "$dsc" ] && ver=$(awk '/^Version:/{print $2; exit}' "$dsc")
    rm -rf "$DEVSRC/src/$pkg.tmp"
    local origin=
    if [ -e "$d/.complete" ] && (cd "$d" && dpkg-source -x --no-check "$(basename "$dsc")" "$DEVSRC/src/$pkg.tmp" >/dev/null 2>&1); then
        origin=debian-source
    else
        rm -rf "$DEVSRC/src/$pkg.tmp"
        local tars; tars=$(ls "$d"/*.orig.tar.* "$d"/*.orig-*.tar.* 2>/dev/null | grep -v '\.asc$' || true)
        [ -z "$tars" ] && tars=$(ls "$d"/*.tar.* 2>/dev/null | grep -v '\.asc$\|debian\.tar' || true)
        if [ -n "$tars" ] && [ -n "$dsc" ]; then
            mkdir -p "$DEVSRC/src/$pkg.tmp"
            for t in $tars; do
                local comp; comp=$(basename "$t" | sed -n 's/.*\.orig-\([^.]*\)\.tar\..*/\1/p')
                mkdir -p "$DEVSRC/src/$pkg.tmp/${comp:-.}"
                tar -xf "$t" -C "$DEVSRC/src/$pkg.tmp/${comp:-.}"
            done
            origin=upstream-tarball
        elif [ -n "$bins" ]; then
            # the binary packages: a pure-Python or libjs package ships its sources as they are
            local bd="$DEVSRC/dl/$pkg/bin"; mkdir -p "$bd"
            if (cd "$bd" && apt-get download ${bins//,/ } >/dev/null 2>&1); then
                mkdir -p "$DEVSRC/src/$pkg.tmp"
                for deb in "$bd"/*.deb; do dpkg-deb -x "$deb" "$DEVSRC/src/$pkg.tmp"; done
                ver=$(for deb in "$bd"/*.deb; do dpkg-deb -f "$deb" Package Version | tr '\n' '=' ; echo; done | sed 's/Package: //; s/=Version: /=/; s/=$//' | paste -sd, -)
                origin="binary-packages"
            fi
        fi
    fi
    if [ -z "$origin" ]; then echo "$1 $pkg ${ver:-?} not-available" >> "$DEVSRC/failed.txt"; return 0; fi
    mv "$DEVSRC/src/$pkg.tmp" "$DEVSRC/src/$pkg"
    echo "$1 $pkg $ver $origin" | tee "$DEVSRC/src/$pkg.origin"
}
: > "$DEVSRC/failed.txt"
: > "$DEVSRC/packages.txt"
for p in $PY_PKGS; do fetch python "$p" >> "$DEVSRC/packages.txt"; done
for p in $JS_PKGS; do fetch javascript "$p" >> "$DEVSRC/packages.txt"; done
for p in $C_PKGS; do fetch c "$p" >> "$DEVSRC/packages.txt"; done
[ "${1:-}" = --fetch-only ] && exit 0

rm -rf "$DEVSRC/tree" "$DEVSRC/shards"
/usr/bin/python3 "$here/devcorpus_select.py" "$DEVSRC" "$CAP"
for half in tune eval; do
    "$BIN" ingest "$DEVSRC/tree/$half" --out "$DEVSRC/shards/$half" --docs-per-shard 2000 >/dev/null
done
# the independent corruptions, validated by the real tools, and the tools' verdict on every file
# (eval first: that is what bench/gates_devcorpus.py reads; tune is for whoever tunes the gates)
for half in eval tune; do
    rm -rf "$DEVSRC/indep/$half"
    /usr/bin/python3 "$here/indep_corrupt.py" --in "$DEVSRC"/shards/$half/*.jsonl.zst \
        --out "$DEVSRC/indep/$half" --src-root "$DEVSRC/src" --per-class "${PER_CLASS:-30}" --seed 1 \
        2> "$DEVSRC/indep/$half.log" || { cat "$DEVSRC/indep/$half.log" >&2; exit 1; }
    [ -n "${EVAL_ONLY:-}" ] && break
done
/usr/bin/python3 - "$DEVSRC" <<'EOF'
import json, sys, os, io, zstandard
d = sys.argv[1]
m = json.load(open(f'{d}/manifest.json'))
counts = {}
for half in ('tune', 'eval'):
    for f in sorted(os.listdir(f'{d}/shards/{half}')):
        if not f.endswith('.jsonl.zst'): continue
        with open(f'{d}/shards/{half}/{f}', 'rb') as fh:
            for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding='utf-8'):
                r = json.loads(line)
                k = f"{half}/{r['lang']}"
                counts[k] = counts.get(k, 0) + 1
m['ingested'] = counts
for half in ('eval', 'tune'):
    try:
        m['indep_' + half] = json.load(open(f'{d}/indep/{half}/summary.json'))
        acc = [json.loads(l) for l in open(f'{d}/indep/{half}/accepted.jsonl')]
        m['accepted_' + half] = {l: [sum(1 for a in acc if a['lang'] == l and a['accepted']),
                                     sum(1 for a in acc if a['lang'] == l)] for l in ('python', 'javascript', 'c')}
    except FileNotFoundError:
        pass
json.dump(m, open(f'{d}/manifest.json', 'w'), indent=1)
print(json.dumps(counts))
EOF
