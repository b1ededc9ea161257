#!/usr/bin/env bash
# Builds BuildKit for the end-to-end rig's docker-container and remote buildx
# builders, since no image can be pulled here:
#
#   ${RIG_CACHE}/buildkit-v0.34.2/buildkitd, buildctl   static, from the Go module
#       proxy through the wrapper module test/rig/tools/buildkit
#   ${RIG_CACHE}/buildkit-v0.34.2/rootfs.tar            the image's file system:
#       buildkitd and buildctl in /usr/bin, Debian's runc with the shared
#       libraries it needs, and empty /etc, /tmp, /run, /var/lib/buildkit
#
# A test loads the image into its own dockerd with
#   docker import --change 'ENV PATH=/usr/bin:/bin' --change 'ENTRYPOINT ["buildkitd"]' \
#     rootfs.tar idpbuilder-rig/buildkit:v0.34.2
# (buildx's docker-container driver runs the image's entry point with
# buildkitd's flags, and `buildctl` through docker exec).
#
# Usage: test/rig/build-buildkit.sh [--force]
# Cold: about 3.5 minutes on 2 cores when buildx's modules are already in the
# module cache (build-clients.sh), about 6 minutes without them.
set -euo pipefail

BUILDKIT_VERSION=v0.34.2

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools_dir=$script_dir/tools/buildkit
cache=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}
out_dir=$cache/buildkit-$BUILDKIT_VERSION

log() { echo "rig(buildkit): $*" >&2; }
die() { log "error: $*"; exit 1; }

# The stamp is written last, so an interrupted build is never taken as done.
is_cached() {
  [[ -x $out_dir/buildkitd && -x $out_dir/buildctl && -f $out_dir/rootfs.tar && -f $out_dir/.complete ]]
}

build_binaries() {
  local tmp=$1
  # Static (CGO_ENABLED=0, netgo, osusergo): they run in an image with no C
  # library of their own. GOTOOLCHAIN=local: no other toolchain download.
  GOTOOLCHAIN=local CGO_ENABLED=0 go -C "$tools_dir" build -trimpath \
    -tags 'osusergo netgo static_build' \
    -ldflags "-s -w -X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION" \
    -o "$tmp/" github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl
}

# make_rootfs TMP: the image's files in TMP/rootfs.tar. BuildKit's OCI worker
# looks for runc when it starts (builds that only copy files never run it).
make_rootfs() {
  local tmp=$1 runc lib
  runc=$(command -v runc) || die "runc not found: apt-get install runc (docker.io brings it)"
  local root=$tmp/rootfs
  mkdir -p "$root/usr/bin" "$root/etc" "$root/run" "$root/var/lib/buildkit" "$root/tmp"
  chmod 1777 "$root/tmp"
  cp "$tmp/buildkitd" "$tmp/buildctl" "$root/usr/bin/"
  cp "$runc" "$root/usr/bin/runc"
  # The loader and libraries runc links, at the paths ldd gives.
  for lib in $(ldd "$runc" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  tar -C "$root" --owner=0 --group=0 -cf "$tmp/rootfs.tar" .
  rm -rf "$root"
}

main() {
  if [[ ${1:-} == --force ]]; then
    rm -rf "$out_dir"
  elif [[ -n ${1:-} ]]; then
    die "usage: $0 [--force]"
  fi
  if is_cached; then
    log "cached: $out_dir"
    return 0
  fi
  command -v go >/dev/null || die "go not found on PATH"
  local start=$SECONDS tmp
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.buildkit.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  log "building buildkitd and buildctl $BUILDKIT_VERSION ..."
  build_binaries "$tmp" || die "go build of BuildKit $BUILDKIT_VERSION failed"
  make_rootfs "$tmp"
  chmod 0755 "$tmp" # mktemp made it 0700
  touch "$tmp/.complete"
  rm -rf "$out_dir"
  mv "$tmp" "$out_dir"
  trap - EXIT
  log "BuildKit $BUILDKIT_VERSION built in $((SECONDS - start)) s: $out_dir"
}

main "$@"
