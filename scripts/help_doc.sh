#!/usr/bin/env bash
# help_doc.sh BIN OUT: the CLI's reference as text, from its own --help (installed by meson as
# share/doc/sciprune/sciprune-help.txt, so the installed docs cannot drift from the binary).
set -euo pipefail
BIN=$1 OUT=$2
{
  echo "sciprune command reference (generated from --help)"
  echo
  "$BIN" --help
  for c in $("$BIN" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1} /^$/{on=0}'); do
    echo
    echo "==== sciprune $c"
    "$BIN" "$c" --help
  done
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
