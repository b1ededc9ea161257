#!/usr/bin/env bash
# Builds Gitea v1.26.1 (the Git server and OCI registry that idpbuilder ships)
# from the Go module proxy, for the end-to-end rig, since no container image can
# be pulled. The result is cached:
#
#   ${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}/gitea-1.26.1/gitea     the binary
#   ${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}/gitea-1.26.1/static/   templates/ options/ public/
#
# static/ is for Gitea's STATIC_ROOT_PATH: the module ships no built frontend,
# so web pages are unstyled, but the API and the registry (/v2/) work.
#
# Usage: test/rig/build-gitea.sh [--force]
# A cold build takes about 10 minutes on 2 cores (1.2 GB of modules, 1.2 GB of
# build cache); a cached one returns at once.
set -euo pipefail

GITEA_VERSION=1.26.1
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools_dir=$(cd "$script_dir/tools/gitea" && pwd)
cache=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}
out_dir=$cache/gitea-$GITEA_VERSION

log() { echo "rig(gitea): $*" >&2; }
die() { log "error: $*"; exit 1; }

# The stamp is written last, so an interrupted build is never taken as done.
is_cached() {
  [[ -x $out_dir/gitea && -d $out_dir/static/templates && -f $out_dir/.complete ]]
}

check_tools() {
  command -v go >/dev/null || die "go not found on PATH"
  # Gitea's sqlite driver (mattn/go-sqlite3) needs cgo.
  command -v gcc >/dev/null || die "gcc not found (cgo is needed for sqlite); apt-get install gcc"
}

build_binary() {
  local tmp=$1
  # Build from the wrapper module (go -C) so its replace directives apply;
  # GOTOOLCHAIN=local keeps go from trying to download another toolchain.
  GOTOOLCHAIN=local CGO_ENABLED=1 go -C "$tools_dir" build -trimpath \
    -tags 'sqlite sqlite_unlock_notify' \
    -ldflags "-s -w -X main.Version=$GITEA_VERSION -X 'main.Tags=sqlite sqlite_unlock_notify'" \
    -o "$tmp/gitea" code.gitea.io/gitea
}

copy_static() {
  local tmp=$1 src
  src=$(GOTOOLCHAIN=local go -C "$tools_dir" list -m -f '{{.Dir}}' code.gitea.io/gitea)
  [[ -d $src/templates ]] || die "no templates/ in $src"
  mkdir -p "$tmp/static"
  cp -R "$src/templates" "$src/options" "$src/public" "$tmp/static/"
  # The module cache is read-only; a copy that stays read-only cannot be
  # deleted by a later --force without chmod.
  chmod -R u+w "$tmp/static"
}

main() {
  if [[ ${1:-} == --force ]]; then
    rm -rf "$out_dir"
  elif [[ -n ${1:-} ]]; then
    die "usage: $0 [--force]"
  fi
  if is_cached; then
    log "cached: $out_dir/gitea"
    return 0
  fi
  check_tools
  mkdir -p "$cache"
  local tmp start
  tmp=$(mktemp -d "$cache/.gitea-build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  start=$SECONDS
  log "building Gitea $GITEA_VERSION (cold: about 10 minutes on 2 cores) ..."
  build_binary "$tmp"
  log "binary built in $((SECONDS - start)) s"
  copy_static "$tmp"
  chmod 0755 "$tmp" # mktemp made it 0700
  "$tmp/gitea" --version >&2
  rm -rf "$out_dir"
  mv "$tmp" "$out_dir"
  trap - EXIT
  touch "$out_dir/.complete"
  log "done in $((SECONDS - start)) s: $out_dir/gitea"
}

main "$@"
