#!/usr/bin/env bash
# Does sciprune install, build and pass its tests on a fresh Debian machine?
# Builds a minimal Debian chroot (debootstrap, same mirror as this machine's apt sources),
# copies a clone of the repo's committed HEAD into it and runs, inside it,
#   bash scripts/test.sh      then      bash scripts/demo.sh
# printing the wall time of each step. Fails if either fails or the demo wrote no shards.
#
#   scripts/fresh_machine_check.sh [REPO]          (as root; REPO defaults to this script's repo)
#
# Environment:
#   SCIPRUNE_FRESH_ROOT   work folder, outside the repo (default /var/tmp/sciprune-fresh);
#                         holds base/ (the debootstrapped system, kept and reused) and run/
#                         (a copy of base/ made anew for every check, so each check starts fresh)
#   SCIPRUNE_FRESH_SUITE  Debian suite (default bookworm)
#   SCIPRUNE_FRESH_REBASE=1  debootstrap base/ again even if it is there
# No registry host is named here: the apt mirror is read from this machine's apt sources and
# the npm registry from this machine's npm config, at run time.
set -euo pipefail
log() { printf '[fresh %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot, mount)"

REPO=$(cd "${1:-$(dirname "$0")/..}" && pwd)
ROOT=${SCIPRUNE_FRESH_ROOT:-/var/tmp/sciprune-fresh}
SUITE=${SCIPRUNE_FRESH_SUITE:-bookworm}
BASE=$ROOT/base
RUN=$ROOT/run
case "$ROOT/" in "$REPO"/*) die "SCIPRUNE_FRESH_ROOT must be outside the repo" ;; esac
git -C "$REPO" rev-parse --verify -q HEAD >/dev/null || die "$REPO is not a git repo with a HEAD"

# ---- the mirror: the first apt source of this machine that serves $SUITE (deb822 or one-line)
host_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v s="$SUITE" 'BEGIN{RS=""} {
        types=""; uris=""; suites=""
        n=split($0, L, "\n")
        for (i=1;i<=n;i++) {
          if (L[i] ~ /^[ \t]*#/) continue
          if (L[i] ~ /^Types:/)  types=L[i]
          if (L[i] ~ /^URIs:/)   uris=L[i]
          if (L[i] ~ /^Suites:/) suites=L[i]
        }
        if (types !~ /[ \t]deb([ \t]|$)/) next
        m=split(suites, S, /[ \t]+/); ok=0
        for (j=2;j<=m;j++) if (S[j]==s) ok=1
        if (!ok) next
        split(uris, U, /[ \t]+/); print U[2]; exit
      }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # deb [opts] URI SUITE COMPONENTS...
    sed -E 's/^[ \t]*deb[ \t]+(\[[^]]*\][ \t]+)?/deb /' "$f" | awk -v s="$SUITE" '$1=="deb" && $3==s {print $2; exit}'
  done
}
MIRROR=$(host_mirror | head -1)
[ -n "$MIRROR" ] || die "no apt source for $SUITE in this machine's /etc/apt (cannot pick a mirror)"

# ---- the npm registry this machine uses (outside the repo, so the project .npmrc is not read)
NPM_REG=
if command -v npm >/dev/null 2>&1; then
  NPM_REG=$(cd / && npm config get registry 2>/dev/null || true)
fi

# ---- the TLS trust this machine gives node/npm (e.g. a CA of an HTTPS proxy in front of the
# registry): NODE_EXTRA_CA_CERTS and npm's cafile, copied into the chroot and passed on as is.
# Kept outside /etc/ssl/certs, which the chroot's ca-certificates package rebuilds.
NODE_CA=${NODE_EXTRA_CA_CERTS:-}
[ -n "$NODE_CA" ] && [ -r "$NODE_CA" ] || NODE_CA=
NPM_CA=
if command -v npm >/dev/null 2>&1; then
  NPM_CA=$(cd / && npm config get cafile 2>/dev/null || true)
  [ -n "$NPM_CA" ] && [ "$NPM_CA" != null ] && [ -r "$NPM_CA" ] || NPM_CA=
fi

log "repo:   $REPO ($(git -C "$REPO" rev-parse --short HEAD) on $(git -C "$REPO" rev-parse --abbrev-ref HEAD))"
log "tls:    node extra CAs: ${NODE_CA:-none}   npm cafile: ${NPM_CA:-none} (from host)"
log "root:   $ROOT   suite: $SUITE   mirror: from host apt sources   npm registry: $([ -n "$NPM_REG" ] && echo "from host npm config" || echo "npm default")"

# ---- mounts, always undone
mounted_under() { awk -v r="$1" '$2==r || index($2, r"/")==1 {print $2}' /proc/self/mounts | sort -r; }
unmount_all() {
  local m
  for m in $(mounted_under "$RUN"); do umount -l "$m" 2>/dev/null || true; done
}
trap unmount_all EXIT INT TERM
safe_rm_run() {
  unmount_all
  [ -z "$(mounted_under "$RUN")" ] || die "still mounted under $RUN; not removing it"
  rm -rf --one-file-system "$RUN"
}

# ---- step timing
declare -a TIMES=()
timed() {  # timed NAME CMD...
  local name=$1; shift
  local t0=$SECONDS rc=0
  "$@" || rc=$?
  local dt=$((SECONDS - t0))
  TIMES+=("$(printf '%-12s %4dm%02ds  %s' "$name" $((dt / 60)) $((dt % 60)) "$([ $rc = 0 ] && echo ok || echo "FAILED rc=$rc")")")
  log "$name: $((dt / 60))m$((dt % 60))s rc=$rc"
  return $rc
}
report() {
  printf '\n== fresh machine check (%s)\n' "$(git -C "$REPO" rev-parse --short HEAD)"
  printf '   %s\n' "${TIMES[@]}"
}

# ---- 1. debootstrap a base system once (kept), then copy it to a fresh run/ each time
do_debootstrap() {
  # (called in an || context, where set -e is off: every step is checked)
  if ! command -v debootstrap >/dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } || return 1
  fi
  rm -rf --one-file-system "$BASE.tmp" || return 1
  debootstrap --variant=minbase "$SUITE" "$BASE.tmp" "$MIRROR" >"$ROOT/debootstrap.log" 2>&1 ||
    { tail -20 "$ROOT/debootstrap.log" >&2; return 1; }
  # a chroot must not start services while packages install
  printf '#!/bin/sh\nexit 101\n' >"$BASE.tmp/usr/sbin/policy-rc.d" &&
  chmod 755 "$BASE.tmp/usr/sbin/policy-rc.d" &&
  touch "$BASE.tmp/.sciprune-base-complete" &&
  rm -rf --one-file-system "$BASE" && mv "$BASE.tmp" "$BASE"
}
mkdir -p "$ROOT"
if [ "${SCIPRUNE_FRESH_REBASE:-0}" = 1 ] || [ ! -f "$BASE/.sciprune-base-complete" ]; then
  timed debootstrap do_debootstrap || { report; die "debootstrap"; }
else
  log "reusing $BASE (SCIPRUNE_FRESH_REBASE=1 to debootstrap again)"
fi

prepare_run() {
  # (called in an || context, where set -e is off: every step is chained)
  safe_rm_run &&
  cp -a "$BASE" "$RUN" &&
  cp -L /etc/resolv.conf "$RUN/etc/resolv.conf" &&
  mount -t proc proc "$RUN/proc" &&
  mount --rbind /sys "$RUN/sys" && mount --make-rslave "$RUN/sys" &&
  mount --rbind /dev "$RUN/dev" && mount --make-rslave "$RUN/dev" &&
  # the repo's committed HEAD, nothing uncommitted or ignored
  mkdir -p "$RUN/etc/ssl/host" &&
  { [ -z "$NODE_CA" ] || cp -L "$NODE_CA" "$RUN/etc/ssl/host/node-extra-ca.crt"; } &&
  { [ -z "$NPM_CA" ] || cp -L "$NPM_CA" "$RUN/etc/ssl/host/npm-cafile.crt"; } &&
  git clone -q --no-local "$REPO" "$RUN/src" &&
  git -C "$RUN/src" log --oneline -1
}
timed prepare prepare_run || { report; die "preparing $RUN"; }
log "sources in the chroot: $(grep -c '^deb ' "$RUN/etc/apt/sources.list" 2>/dev/null || echo 0) one-line entr(y/ies) in /etc/apt/sources.list"

in_chroot() {  # a clean environment, as a login on the fresh machine would have
  chroot "$RUN" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ${NPM_REG:+npm_config_registry=$NPM_REG} \
    ${NODE_CA:+NODE_EXTRA_CA_CERTS=/etc/ssl/host/node-extra-ca.crt} \
    ${NPM_CA:+npm_config_cafile=/etc/ssl/host/npm-cafile.crt} \
    /bin/bash -c "cd /src && $1"
}

status=0
timed test.sh in_chroot 'bash scripts/test.sh' || status=1
if [ $status = 0 ]; then
  timed demo.sh in_chroot 'bash scripts/demo.sh' || status=1
  n=$(find "$RUN/src/demo-work/shards" -name '*.jsonl.zst' -size +0 2>/dev/null | wc -l)
  log "demo shards: $n"
  [ "$n" -gt 0 ] || { log "demo produced no shards"; status=1; }
  TIMES+=("$(printf '%-12s %s' shards "$n")")
fi
report
[ $status = 0 ] || die "see above (chroot kept at $RUN)"
log "PASS"
