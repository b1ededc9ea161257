#!/usr/bin/env bash
# Builds the rig's parts (cached) and runs the end-to-end suite inside a
# private mount namespace and a private keyring session:
#   - /etc/hosts is a private copy with gitea.cnoe.localtest.me -> 127.0.0.1,
#   - /etc/docker/certs.d and /etc/containers/certs.d are private tmpfs, so
#     install --trust-ca as root changes nothing on the machine.
# Usage: hack/e2e.sh [go test flags, e.g. -run Crane]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RIG_CACHE=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}
export PATH=$RIG_CACHE/bin:$PATH

if [[ "${1:-}" != "--inside" ]]; then
  for step in build-kube.sh build-gitea.sh build-clients.sh build-buildkit.sh; do
    start=$SECONDS
    "$repo/test/rig/$step"
    echo "e2e: $step done in $((SECONDS - start)) s" >&2
  done
  exec unshare --mount --propagation private "$0" --inside "$@"
fi
shift

hosts=$(mktemp)
cat /etc/hosts >"$hosts"
echo "127.0.0.1 gitea.cnoe.localtest.me cnoe.localtest.me" >>"$hosts"
mount --bind "$hosts" /etc/hosts
for d in /etc/docker/certs.d /etc/containers/certs.d; do
  mkdir -p "$d"
  mount -t tmpfs -o mode=0755,size=1m tmpfs "$d"
done

# The suite makes its rig under this folder and stops it itself; if go test
# dies first (a timeout panics past the deferred teardown), the trap stops
# whatever is still running, by PID.
rigs=$(mktemp -d /tmp/idpbuilder-e2e-rigs-XXXXXX)
export IDPBUILDER_E2E_RIGS=$rigs
stop_leftovers() {
  local dir part
  for dir in "$rigs"/*/; do
    [[ -d $dir ]] || continue
    for part in buildkitd.sh dockerd.sh kube.sh gitea.sh; do
      RIG_DIR=${dir%/} "$repo/test/rig/$part" down >/dev/null 2>&1 || true
    done
  done
  rm -rf "$rigs" "$hosts"
}
trap stop_leftovers EXIT

cd "$repo"
hack/with-keyring.sh go test -tags e2e -count=1 -timeout 30m -v "$@" ./test/e2e/
