#!/usr/bin/env bash
# Regenerate tests/cases/golden/hashes.txt, the byte-identity record of the whole pipeline
# (tests/e2e/e2e_golden.sh).
#
# ONLY rerun this for an INTENDED change of the outputs (a new feature, an output format change,
# a fixed bug that changes what is pruned), and NAME THAT CHANGE IN THE COMMIT MESSAGE together
# with the regenerated hashes.txt. Never rerun it to make a refactor's failing golden test pass:
# a refactor must leave every hash unchanged. A change of the generated corpus
# (tests/corpus/make_corpus.py) also changes the hashes: regenerate them for it in a commit of its
# own, with pipeline code whose outputs are known good.
#   SCIPRUNE_BIN=build/cli/sciprune tests/cases/golden/regen.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
export SCIPRUNE_BIN=${SCIPRUNE_BIN:-$root/build/cli/sciprune}
export SCIPRUNE_SOURCE_ROOT=$root
GOLDEN_REGEN=1 "$root/tests/e2e/e2e_golden.sh"
echo "now: git diff tests/cases/golden/hashes.txt, and name the intended change in the commit message"
