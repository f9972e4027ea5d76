#!/usr/bin/env bash
# e2e: the shared library's ABI. libsciprune.so.0 (soname libsciprune.so.0) exports exactly the
# functions include/sciprune.h declares, every one named sciprune_*: nothing of FAISS, its C++
# internals, the tree-sitter grammars or the sp_/embed_/gates_ internals. The CLI links it.
set -euo pipefail
B=${SCIPRUNE_BUILD_ROOT:?}
SRC=${SCIPRUNE_SOURCE_ROOT:?}
fail() { echo "FAIL: $*" >&2; exit 1; }
so=$B/libsciprune.so.0
[ -e "$so" ] || fail "no $so"
soname=$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libsciprune.so.0 ] || fail "soname is '$soname', not libsciprune.so.0"
needed=$(readelf -d "$B/cli/sciprune" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p')
case " $(echo $needed) " in *" libsciprune.so.0 "*) ;; *) fail "the CLI does not link the shared library ($needed)" ;; esac
# defined dynamic symbols; the version node (an absolute symbol SCIPRUNE_0) is not a symbol of code
nm -D --defined-only "$so" | awk '!($2 == "A" && $3 ~ /^SCIPRUNE_[0-9]+$/) {print $3}' | sed 's/@.*//' | sort -u > "${TMPDIR:-/tmp}/sp_exported.$$"
trap 'rm -f "${TMPDIR:-/tmp}"/sp_*.$$' EXIT
bad=$(grep -v '^sciprune_' "${TMPDIR:-/tmp}/sp_exported.$$" || true)
[ -z "$bad" ] || { echo "$bad" | head -20 >&2; fail "$(echo "$bad" | wc -l) exported symbols outside sciprune_*"; }
# every function the header declares is exported, and nothing else
grep -oE '^[a-z_0-9 ]+[ *]+(sciprune_[a-z_0-9]+)\(' "$SRC/include/sciprune.h" | grep -v '^typedef' \
  | grep -oE 'sciprune_[a-z_0-9]+\($' | tr -d '(' | sort -u > "${TMPDIR:-/tmp}/sp_declared.$$"
if ! diff "${TMPDIR:-/tmp}/sp_declared.$$" "${TMPDIR:-/tmp}/sp_exported.$$" > "${TMPDIR:-/tmp}/sp_diff.$$"; then
  cat "${TMPDIR:-/tmp}/sp_diff.$$" >&2
  fail "declared (<) and exported (>) functions differ"
fi
echo "e2e_symbols: ok ($(wc -l < "${TMPDIR:-/tmp}/sp_exported.$$") sciprune_* functions, nothing else)"
