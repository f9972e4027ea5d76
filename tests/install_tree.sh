#!/usr/bin/env bash
# install_tree.sh BUILD OUT: `meson install --destdir` the build into a temp tree, then move the
# installed prefix to OUT (so nothing points back into the build or source tree: what runs
# from OUT must find its library, headers and data/ relative to OUT). Prints OUT's libdir.
set -euo pipefail
B=$1 OUT=$2
D=$(mktemp -d "${OUT%/*}/destdir.XXXXXX")
meson install -C "$B" --no-rebuild --destdir "$D" --quiet > /dev/null
pc=$(find "$D" -name sciprune.pc | head -1)
[ -n "$pc" ] || { echo "install_tree: no sciprune.pc installed" >&2; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
mv "$D$prefix" "$OUT"
rm -rf "$D"
dirname "$(find "$OUT" -name 'libsciprune.so.0' | head -1)"
