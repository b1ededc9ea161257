#!/usr/bin/env bash
# Installs the registry clients the end-to-end rig drives, none of which can be
# pulled as an image here:
#
#   - Debian packages (apt-get, only when missing): skopeo, podman, buildah,
#     docker.io (dockerd 20.10), the keyring pieces (gnome-keyring, dbus,
#     libsecret-tools), the peer helper golang-docker-credential-helpers,
#     and git, openssl, curl, gcc used by the other rig scripts.
#   - From the Go module proxy (go install, cached by version):
#       ${RIG_CACHE}/bin/crane-v0.22.1/crane        and a link ${RIG_CACHE}/bin/crane
#       ${RIG_CACHE}/bin/buildx-v0.38.2/buildx      and a link ${RIG_CACHE}/bin/buildx
#       ${RIG_CACHE}/docker-cli-plugins/docker-buildx -> ../bin/buildx-v0.38.2/buildx
#
# The docker CLI finds plugins in "$DOCKER_CONFIG/cli-plugins": a test that uses
# its own DOCKER_CONFIG links that folder to ${RIG_CACHE}/docker-cli-plugins
# (see test/rig/README.md).
#
# Usage: test/rig/build-clients.sh [--no-apt]
# Cold: crane about 1 minute, buildx about 5.5 minutes on 2 cores.
set -euo pipefail

CRANE_VERSION=v0.22.1
# buildx v0.38.2 needs go >= 1.26.8 (its go.mod); older ones build too.
BUILDX_VERSION=v0.38.2

cache=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}
bin_dir=$cache/bin
plugins_dir=$cache/docker-cli-plugins

APT_PACKAGES=(
  skopeo podman buildah docker.io
  gnome-keyring dbus dbus-x11 libsecret-tools xvfb xauth
  golang-docker-credential-helpers
  git openssl curl ca-certificates gcc libc6-dev jq
)

log() { echo "rig(clients): $*" >&2; }
die() { log "error: $*"; exit 1; }

install_apt_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    # "install ok installed" is the only state where the package is usable.
    if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != "install ok installed" ]]; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]} == 0)); then
    log "Debian packages present"
    return 0
  fi
  local start=$SECONDS
  log "apt-get install ${missing[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q "${missing[@]}" >&2
  log "Debian packages installed in $((SECONDS - start)) s"
}

# go_install NAME VERSION PACKAGE [LDFLAGS]: installs PACKAGE@VERSION into
# $bin_dir/NAME-VERSION/ (skipped when present) and points $bin_dir/NAME at it.
go_install() {
  local name=$1 version=$2 pkg=$3 ldflags="-s -w ${4:-}"
  local dir=$bin_dir/$name-$version
  if [[ -x $dir/$name ]]; then
    log "cached: $dir/$name"
  else
    local start=$SECONDS tmp
    log "go install $pkg@$version ..."
    mkdir -p "$bin_dir"
    tmp=$(mktemp -d "$bin_dir/.$name.XXXXXX")
    # Run outside any module (cd /) so no go.mod or go.work nearby applies.
    (cd / && GOTOOLCHAIN=local GOBIN=$tmp go install -trimpath -ldflags="$ldflags" "$pkg@$version") ||
      { rm -rf "$tmp"; die "go install $pkg@$version failed"; }
    chmod 0755 "$tmp"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    log "$name $version installed in $((SECONDS - start)) s"
  fi
  ln -sfn "$name-$version/$name" "$bin_dir/$name"
}

link_buildx_plugin() {
  mkdir -p "$plugins_dir"
  ln -sfn "../bin/buildx-$BUILDX_VERSION/buildx" "$plugins_dir/docker-buildx"
}

main() {
  local start=$SECONDS
  case ${1:-} in
    --no-apt) ;;
    "") install_apt_packages ;;
    *) die "usage: $0 [--no-apt]" ;;
  esac
  command -v go >/dev/null || die "go not found on PATH"
  go_install crane "$CRANE_VERSION" github.com/google/go-containerregistry/cmd/crane
  # buildx reports v0.0.0+unknown unless its version is stamped at link time.
  go_install buildx "$BUILDX_VERSION" github.com/docker/buildx/cmd/buildx \
    "-X github.com/docker/buildx/version.Version=$BUILDX_VERSION"
  link_buildx_plugin
  log "clients ready in $((SECONDS - start)) s: $bin_dir, plugins in $plugins_dir"
}

main "$@"
