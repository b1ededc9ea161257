#!/usr/bin/env bash
# make demo: shows the product working on a machine with no idpbuilder
# cluster. It builds the helper and the rig (cached), starts a real
# kube-apiserver holding idpbuilder's objects, Gitea's registry over TLS,
# dockerd and a keyring, runs `install --trust-ca` for a fresh user, pushes
# an image with crane and with docker without any login, prints `status`,
# and tears everything down.
#
# Usage: hack/demo.sh [--keep]   (--keep: a shell inside the rig; exit it to tear down)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RIG_CACHE=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}
export PATH=$RIG_CACHE/bin:/usr/local/go/bin:$PATH

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

if [[ "${1:-}" != "--inside" ]]; then
  say "building the rig's parts (cached after the first run; a cold machine takes about 25 minutes)"
  for step in build-clients.sh build-kube.sh build-gitea.sh; do
    "$repo/test/rig/$step"
  done
  # A private mount namespace: gitea.cnoe.localtest.me resolves to loopback
  # there, and the machine's /etc/hosts and certs.d folders stay untouched.
  exec unshare --mount --propagation private "$0" --inside "$@"
fi
shift
keep=false
[[ "${1:-}" == "--keep" ]] && keep=true

if [[ -z "${DBUS_SESSION_BUS_ADDRESS:-}" || "${IDPBUILDER_DEMO_KEYRING:-}" != 1 ]]; then
  hosts=$(mktemp)
  cat /etc/hosts >"$hosts"
  echo "127.0.0.1 gitea.cnoe.localtest.me cnoe.localtest.me" >>"$hosts"
  mount --bind "$hosts" /etc/hosts
  for d in /etc/docker/certs.d /etc/containers/certs.d; do
    mkdir -p "$d" && mount -t tmpfs -o mode=0755,size=1m tmpfs "$d"
  done
  IDPBUILDER_DEMO_KEYRING=1 exec "$repo/hack/with-keyring.sh" "$0" --inside "$@"
fi

export RIG_DIR
RIG_DIR=$(mktemp -d /tmp/idpbuilder-demo-XXXXXX)
started=()
teardown() {
  say "tearing down"
  local i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    "$repo/test/rig/${started[i]}" down || true
  done
  rm -rf "$RIG_DIR"
}
trap teardown EXIT

mkdir -m 700 "$RIG_DIR/secret"
(umask 077 && head -c 30 /dev/urandom | base64 | tr -d '/+=' >"$RIG_DIR/secret/gitea-password")
RIG_GITEA_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export RIG_GITEA_PORT
registry=gitea.cnoe.localtest.me:$RIG_GITEA_PORT

say "starting Gitea on $registry, a kube-apiserver with idpbuilder's objects, dockerd"
"$repo/test/rig/gitea-cert.sh"
for part in gitea.sh kube.sh dockerd.sh; do
  "$repo/test/rig/$part" up
  started+=("$part")
done
# shellcheck disable=SC1091
source "$RIG_DIR/kube.env"
# shellcheck disable=SC1091
source "$RIG_DIR/docker.env"

say "building docker-credential-idpbuilder and its companion docker-credential-idpbuilder-cluster"
mkdir -p "$RIG_DIR/bin"
(cd "$repo" && go build -o "$RIG_DIR/bin/" ./cmd/...)

# A new user: nothing but a kubeconfig, as after `idpbuilder create`.
export HOME=$RIG_DIR/home XDG_CONFIG_HOME=$RIG_DIR/home/.config DOCKER_CONFIG=$RIG_DIR/home/.docker
export KUBECONFIG=$RIG_KUBECONFIG PATH=$RIG_DIR/bin:$PATH
mkdir -p "$DOCKER_CONFIG" && ln -s "$RIG_DOCKER_CLI_PLUGINS" "$DOCKER_CONFIG/cli-plugins"

say "docker-credential-idpbuilder install --trust-ca"
docker-credential-idpbuilder install --trust-ca
export SSL_CERT_FILE=$XDG_CONFIG_HOME/docker-credential-idpbuilder/ca-bundle.pem

say "the docker config now holds no password"
cat "$DOCKER_CONFIG/config.json"; echo

say "crane push, no login"
work=$RIG_DIR/work && mkdir -p "$work/ctx"
echo "hello from docker-credential-idpbuilder" >"$work/ctx/hello.txt"
tar -C "$work/ctx" -cf "$work/layer.tar" hello.txt
crane append -f "$work/layer.tar" -t "$registry/giteaadmin/demo:crane"

say "docker build + docker push, no login"
printf 'FROM scratch\nCOPY hello.txt /\n' >"$work/ctx/Dockerfile"
docker build -q -t "$registry/giteaadmin/demo:docker" "$work/ctx"
docker push "$registry/giteaadmin/demo:docker"

say "the registry has both tags"
crane ls "$registry/giteaadmin/demo"

say "docker-credential-idpbuilder status"
docker-credential-idpbuilder status

if $keep; then
  say "the rig stays up in this shell (registry $registry); exit to tear it down"
  echo "try: crane ls $registry/giteaadmin/demo; docker push ...; docker-credential-idpbuilder status" >&2
  bash -i || true
fi
say "demo finished: both pushes used credentials read from the cluster, with no login"
