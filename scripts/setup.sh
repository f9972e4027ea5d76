#!/usr/bin/env bash
# sciprune set-up: idempotent, runs as root on a fresh Debian bookworm machine.
#   1. apt packages (build tools, tree-sitter, FAISS, OpenMP OpenBLAS, zstd, jansson, cmocka,
#      Open MPI, python3 + numpy/faiss/matplotlib/zstandard for cross-checks and scripts,
#      chromium: tests/e2e/e2e_html.sh opens report.html in it, headless)
#   2. FAISS C API sources from Debian's own faiss source package -> build/deps/faiss-capi
#   (SCIPRUNE_SETUP_SLURM=1: also slurm-wlm and munge, for scripts/test-slurm.sh)
#   3. tree-sitter grammars, the `globals` lists (JavaScript environments of the
#      undefined_name gate) and the Parquet reader of scripts/parquet2shard.js (hyparquet,
#      hyparquet-compressors; hyparquet-writer for its test) from the npm registry, pinned by
#      package.json + package-lock.json
# Nothing third-party is committed; no registry host is named here: the deb-src entry is
# derived from the machine's own apt source list and removed afterwards.
#   --fuzz: also clang-14 with its sanitizer/libFuzzer runtimes and LLVM's OpenMP, for
#      scripts/fuzz.sh (not needed by the build or the tests)
set -euo pipefail
fuzz=0
[ "${1:-}" = --fuzz ] && fuzz=1
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
log() { printf 'setup: %s\n' "$*" >&2; }
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

pkgs=(build-essential meson ninja-build pkg-config git ca-certificates dpkg-dev
      libtree-sitter-dev libfaiss-dev libopenblas0-openmp libopenblas-openmp-dev
      liblapack-dev libzstd-dev zstd libxxhash-dev libjansson-dev libcmocka-dev
      openmpi-bin libopenmpi-dev
      python3 python3-numpy python3-faiss python3-matplotlib python3-zstandard python3-xxhash
      debootstrap time chromium)
[ $fuzz = 1 ] && pkgs+=(clang-14 libclang-rt-14-dev libomp-14-dev)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# optional: Slurm and munge for scripts/test-slurm.sh (a one-node cluster on this machine)
if [ "${SCIPRUNE_SETUP_SLURM:-0}" = 1 ]; then
  for p in slurm-wlm munge; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      log "installing (SCIPRUNE_SETUP_SLURM=1): $p"
      $SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null
    fi
  done
fi

# OpenMP OpenBLAS: pthread OpenBLAS oversubscribes against libgomp on small machines.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  alt="/usr/lib/$arch/openblas-openmp/$lib"
  if [ -e "$alt" ]; then
    $SUDO update-alternatives --set "$lib-$arch" "$alt" >/dev/null 2>&1 || true
  fi
done

# FAISS C API sources (Debian's libfaiss.a has none).
capi="$here/.deps/faiss-capi"
if [ ! -f "$capi/.complete" ]; then
  log "fetching the FAISS C API from Debian's faiss source package"
  src=$(ls /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  tmp_list=/etc/apt/sources.list.d/sciprune-deb-src.sources
  if [ -n "$src" ]; then
    # deb822: copy the stanza for the main archive, turning deb into deb-src.
    awk 'BEGIN{RS="";ORS="\n\n"} /Types:[ \t]*deb/ && /Suites:[^\n]*bookworm( |$|\n)/ && !/security/ {sub(/Types:[^\n]*/,"Types: deb-src"); print; exit}' "$src" | $SUDO tee "$tmp_list" >/dev/null
  else
    grep -hE '^deb[[:space:]]' /etc/apt/sources.list 2>/dev/null | grep -v security | head -1 | sed 's/^deb /deb-src /' | $SUDO tee /etc/apt/sources.list.d/sciprune-deb-src.list >/dev/null
    tmp_list=/etc/apt/sources.list.d/sciprune-deb-src.list
  fi
  cleanup() { $SUDO rm -f "$tmp_list"; $SUDO apt-get update -qq >/dev/null 2>&1 || true; }
  trap cleanup EXIT
  $SUDO apt-get update -qq
  work=$(mktemp -d)
  (cd "$work" && apt-get source -qq --download-only faiss >/dev/null && dpkg-source -x --no-check faiss_*.dsc src >/dev/null)
  rm -rf "$capi"; mkdir -p "$capi"
  cp -r "$work/src/c_api" "$capi/c_api"
  cp "$work/src/LICENSE" "$capi/" 2>/dev/null || true
  rm -rf "$work"
  touch "$capi/.complete"
  cleanup; trap - EXIT
fi

# tree-sitter grammars, pinned to ABI-14 versions (package-lock.json).
# The marker holds the lock file's hash, not a time: a fresh checkout (or a git worktree whose
# node_modules is a link to another checkout's) must not reinstall, and wipe, a current folder.
lockhash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.sciprune-complete 2>/dev/null)" != "$lockhash" ]; then
  log "installing tree-sitter grammars, globals and the Parquet reader (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lockhash" > node_modules/.sciprune-complete
fi
log "ok"
