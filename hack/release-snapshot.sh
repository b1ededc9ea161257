#!/usr/bin/env bash
# Builds the release in snapshot mode into dist/ with the pinned GoReleaser
# and syft (installed by hack/gotool.sh into the tool cache): archives,
# checksums, SBOMs, deb/rpm packages and the Homebrew cask. Nothing is
# published. Usage: hack/release-snapshot.sh GORELEASER_VERSION SYFT_VERSION
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# != 2)); then
  echo "usage: $0 GORELEASER_VERSION SYFT_VERSION" >&2
  exit 2
fi
goreleaser=$(hack/gotool.sh goreleaser github.com/goreleaser/goreleaser/v2 "$1")
syft=$(hack/gotool.sh syft github.com/anchore/syft/cmd/syft "$2")
# The sboms step runs `syft` from PATH.
export PATH=$(dirname "$syft"):$PATH
# GoReleaser reads the commit only in a clone with a remote; a repository
# without one (a fresh `git init`, a CI checkout of a bundle) gets the
# project's, for this process only, so the snapshot is stamped with the
# real commit instead of "none".
if [[ -z $(git remote) ]]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url \
    GIT_CONFIG_VALUE_0=https://github.com/cnoe-io/docker-credential-idpbuilder.git
fi
start=$SECONDS
"$goreleaser" release --snapshot --clean
echo "release-snapshot: goreleaser took $((SECONDS - start)) s"
