#!/usr/bin/env bash
# Runs a real Kubernetes API server (kube-apiserver + etcd, no kubelet, no
# controllers) on loopback and fills it with the objects of an idpbuilder
# cluster that docker-credential-idpbuilder reads: the gitea/gitea-credential
# secret, the Localbuild `localdev`, the idpbuilder-cert secrets.
#
# Usage: RIG_DIR=/abs/dir test/rig/kube.sh up|set-password|down|recreate
#
#   up            start the cluster (or restart a stopped one with its data),
#                 create the objects, write $RIG_DIR/kubeconfig,
#                 $RIG_DIR/kubeconfig-limited and $RIG_DIR/kube.env
#   set-password  update the secret from $RIG_DIR/secret/gitea-password,
#                 like `idpbuilder create --dev-password` on a running cluster
#   down          stop the API server and etcd (by their PIDs); keeps the data
#   recreate      down, delete everything under $RIG_DIR/kube, up: a new
#                 cluster with a new CA and a new etcd, like
#                 `idpbuilder delete` + `idpbuilder create`
#
# Inputs: $RIG_DIR (absolute, mode 0700, made by the caller),
#   $RIG_DIR/secret/gitea-password (required), $RIG_DIR/secret/gitea-token
#   (optional), $RIG_DIR/tls/tls.{crt,key} (made if missing),
#   RIG_HOST (default cnoe.localtest.me), RIG_GITEA_PORT (default 8443),
#   RIG_CACHE (where build-kube.sh put the binaries).
#
# The Gitea password is secret: it is only ever read from its file and piped
# into kubectl on stdin. It never goes on a command line, into an
# environment variable or into a file outside $RIG_DIR/secret/ (etcd's data
# under $RIG_DIR/kube/etcd holds it, as a real cluster's etcd does).
set -euo pipefail
umask 077 # every file this script writes is private to the user

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

KUBE_VERSION=v1.37.2
RIG_CACHE=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}
RIG_HOST=${RIG_HOST:-cnoe.localtest.me}
RIG_GITEA_PORT=${RIG_GITEA_PORT:-8443}
CONTEXT=kind-localdev   # what `idpbuilder create` (kind) names it
LIMITED_USER=rig-limited
WAIT_READY_SECONDS=60
WAIT_STOP_SECONDS=15

log() { echo "rig(kube): $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- setup ---

check_rig_dir() {
	[[ -n ${RIG_DIR:-} ]] || die "RIG_DIR is not set"
	[[ $RIG_DIR == /* ]] || die "RIG_DIR must be absolute: $RIG_DIR"
	[[ -d $RIG_DIR ]] || die "RIG_DIR does not exist: $RIG_DIR"
	[[ $(stat -c %a "$RIG_DIR") == 700 ]] || die "RIG_DIR must have mode 0700: $RIG_DIR"
	KUBE="$RIG_DIR/kube"
	PKI="$KUBE/pki"
	KUBECONFIG_ADMIN="$RIG_DIR/kubeconfig"
	KUBECONFIG_LIMITED="$RIG_DIR/kubeconfig-limited"
	PASSWORD_FILE="$RIG_DIR/secret/gitea-password"
	TOKEN_FILE="$RIG_DIR/secret/gitea-token"
}

find_binaries() {
	APISERVER_BIN="$RIG_CACHE/kube-apiserver-$KUBE_VERSION/kube-apiserver"
	ETCD_BIN=$(ls -d "$RIG_CACHE"/etcd-*/usr/bin/etcd 2>/dev/null | sort -V | tail -n1 || true)
	if [[ ! -x $APISERVER_BIN || ! -x $ETCD_BIN ]]; then
		log "binaries missing in $RIG_CACHE; running build-kube.sh"
		RIG_CACHE=$RIG_CACHE "$here/build-kube.sh"
		ETCD_BIN=$(ls -d "$RIG_CACHE"/etcd-*/usr/bin/etcd | sort -V | tail -n1)
	fi
}

# Prints n free TCP ports on 127.0.0.1. All sockets stay open until all are
# chosen, so the ports differ from each other.
free_ports() {
	python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# The ports are kept in $KUBE/ports.env so that `up` after `down` restarts
# the same cluster at the same address (the kubeconfig stays valid).
load_or_pick_ports() {
	if [[ -f $KUBE/ports.env ]]; then
		# shellcheck source=/dev/null
		source "$KUBE/ports.env"
		return
	fi
	local ports
	read -r -a ports <<<"$(free_ports 3)"
	KUBE_PORT=${ports[0]} ETCD_PORT=${ports[1]} ETCD_PEER_PORT=${ports[2]}
	printf 'KUBE_PORT=%s\nETCD_PORT=%s\nETCD_PEER_PORT=%s\n' \
		"$KUBE_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" >"$KUBE/ports.env"
}

# A fresh CA per cluster (as kind makes one), a serving certificate for
# 127.0.0.1 signed by it, and the service-account key pair.
make_pki() {
	[[ -f $PKI/apiserver.crt ]] && return
	log "generating the API server CA, serving certificate and service-account keys"
	mkdir -p "$PKI"
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
	openssl req -x509 "${ec[@]}" -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 365 \
		-subj "/CN=rig-kubernetes-ca-$(date +%s)" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	openssl req "${ec[@]}" -keyout "$PKI/apiserver.key" -out "$PKI/apiserver.csr" \
		-subj /CN=kube-apiserver 2>/dev/null
	openssl x509 -req -in "$PKI/apiserver.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
		-CAcreateserial -days 365 -out "$PKI/apiserver.crt" -extfile <(printf '%s\n' \
			'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc' \
			'extendedKeyUsage=serverAuth' 'keyUsage=critical,digitalSignature') 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
	openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
	rm -f "$PKI/apiserver.csr"
}

# Static tokens: an admin (system:masters, like kind's admin) and a user
# with no group, who only gets what the RBAC objects below grant.
make_tokens() {
	[[ -f $KUBE/tokens.csv ]] && return
	printf '%s,rig-admin,rig-admin,"system:masters"\n%s,%s,%s\n' \
		"$(openssl rand -hex 24)" "$(openssl rand -hex 24)" \
		"$LIMITED_USER" "$LIMITED_USER" >"$KUBE/tokens.csv"
}

token_of() { awk -F, -v u="$1" '$2 == u {print $1}' "$KUBE/tokens.csv"; }

write_kubeconfig() { # file user
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CONTEXT
  cluster:
    server: https://127.0.0.1:$KUBE_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $CONTEXT
  user:
    token: $(token_of "$2")
contexts:
- name: $CONTEXT
  context:
    cluster: $CONTEXT
    user: $CONTEXT
current-context: $CONTEXT
EOF
}

write_env() {
	cat >"$RIG_DIR/kube.env" <<EOF
export KUBE_API_URL=https://127.0.0.1:$KUBE_PORT
export KUBE_PORT=$KUBE_PORT
export KUBE_ETCD_PORT=$ETCD_PORT
export KUBE_ETCD_PEER_PORT=$ETCD_PEER_PORT
export KUBE_CA_FILE=$PKI/ca.crt
export KUBE_CONTEXT=$CONTEXT
export RIG_KUBECONFIG=$KUBECONFIG_ADMIN
export RIG_KUBECONFIG_LIMITED=$KUBECONFIG_LIMITED
export RIG_KUBE_LIMITED_USER=$LIMITED_USER
EOF
}

# --------------------------------------------------------- processes ---

# Prints the PID in $KUBE/<name>.pid if that process is alive and is ours:
# its command line must mention $KUBE, so a recycled PID is never taken.
running_pid() {
	local pidfile="$KUBE/$1.pid" pid cmdline
	[[ -f $pidfile ]] || return 1
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	[[ $cmdline == *"$KUBE/"* ]] || return 1
	echo "$pid"
}

# setsid: the servers outlive this script and are not hit by a Ctrl-C meant
# for the caller. stdin/stdout/stderr are detached so that a caller reading
# our output is never kept waiting by them.
start_daemon() { # name command...
	local name=$1
	shift
	setsid "$@" </dev/null >>"$KUBE/$name.log" 2>&1 &
	echo $! >"$KUBE/$name.pid"
}

start_etcd() {
	running_pid etcd >/dev/null && return
	log "starting etcd on 127.0.0.1:$ETCD_PORT"
	local peer=http://127.0.0.1:$ETCD_PEER_PORT client=http://127.0.0.1:$ETCD_PORT
	start_daemon etcd "$ETCD_BIN" --name default --data-dir "$KUBE/etcd" \
		--listen-client-urls "$client" --advertise-client-urls "$client" \
		--listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
		--initial-cluster "default=$peer" --logger zap --log-outputs stderr
}

start_apiserver() {
	running_pid apiserver >/dev/null && return
	log "starting kube-apiserver $KUBE_VERSION on 127.0.0.1:$KUBE_PORT"
	# --endpoint-reconciler-type=none: there is no node network to publish the
	# `kubernetes` service endpoints on; with --advertise-address it must go
	# together, or the server exits.
	start_daemon apiserver "$APISERVER_BIN" \
		--etcd-servers "http://127.0.0.1:$ETCD_PORT" \
		--bind-address 127.0.0.1 --secure-port "$KUBE_PORT" \
		--advertise-address 127.0.0.1 --endpoint-reconciler-type none \
		--tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
		--service-account-issuer https://kubernetes.default.svc \
		--service-account-key-file "$PKI/sa.pub" \
		--service-account-signing-key-file "$PKI/sa.key" \
		--service-cluster-ip-range 10.96.0.0/24 \
		--token-auth-file "$KUBE/tokens.csv" \
		--authorization-mode RBAC \
		--profiling=false
}

# Shows why a server did not come up, then stops both so that a failed
# `up` leaves no process behind.
fail_with_log() { # name message
	log "ERROR: $2; last lines of $KUBE/$1.log:"
	tail -n 25 "$KUBE/$1.log" | sed 's/^/    /' >&2
	stop_one apiserver
	stop_one etcd
	exit 1
}

wait_ready() {
	local start=$SECONDS
	until kc get --raw /readyz --request-timeout 2s >/dev/null 2>&1; do
		running_pid etcd >/dev/null || fail_with_log etcd "etcd exited"
		running_pid apiserver >/dev/null || fail_with_log apiserver "kube-apiserver exited"
		((SECONDS - start < WAIT_READY_SECONDS)) ||
			fail_with_log apiserver "kube-apiserver not ready after ${WAIT_READY_SECONDS}s"
		sleep 0.3
	done
	log "API server ready at https://127.0.0.1:$KUBE_PORT ($((SECONDS - start))s)"
}

# True while the process exists and is not a zombie (a zombie is dead; it
# only waits for its parent to reap it).
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) } # the state follows "(comm) "
	[[ ${stat%% *} != Z ]]
}

stop_one() { # name
	local pid waited=0
	if ! pid=$(running_pid "$1"); then
		rm -f "$KUBE/$1.pid"
		return
	fi
	log "stopping $1 (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	while alive "$pid" && ((waited < WAIT_STOP_SECONDS * 10)); do
		sleep 0.1
		waited=$((waited + 1))
	done
	if alive "$pid"; then
		log "$1 did not stop within ${WAIT_STOP_SECONDS}s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	rm -f "$KUBE/$1.pid"
}

# ----------------------------------------------------------- objects ---

kc() { kubectl --kubeconfig "$KUBECONFIG_ADMIN" --cache-dir "$KUBE/kubectl-cache" "$@"; }

# Applies the manifest printed by a function, retrying for a few seconds:
# right after start the `default` namespace and new CRDs may not exist yet.
# Server-side apply, because client-side apply would copy the whole object,
# password included, into a last-applied-configuration annotation.
apply() { # manifest-function
	local i out
	for i in $(seq 20); do
		if out=$("$1" | kc apply --server-side --force-conflicts --field-manager rig -f - 2>&1); then
			return
		fi
		sleep 0.5
	done
	die "applying $1 failed: $out"
}

indent() { sed "s/^/$1/"; }

# Base64 of the file's content, read on stdin so it is never an argument.
b64_of() { base64 -w0 <"$1"; }

# The same for a secret file, minus trailing newlines (as `$(<file)` would
# read it), so a password written with `echo` still matches Gitea's.
# printf is a shell builtin: the value does not reach any command line.
b64_of_secret() {
	local value
	value=$(<"$1")
	printf %s "$value" | base64 -w0
}

manifest_gitea_credential() {
	cat <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: gitea
---
apiVersion: v1
kind: Secret
metadata:
  name: gitea-credential
  namespace: gitea
type: Opaque
data:
  username: $(printf giteaAdmin | base64 -w0)
EOF
	printf '  password: '
	b64_of_secret "$PASSWORD_FILE"
	printf '\n  token: '
	if [[ -f $TOKEN_FILE ]]; then
		b64_of_secret "$TOKEN_FILE"
	else
		printf rig-placeholder-token | base64 -w0
	fi
	printf '\n'
}

manifest_certs() {
	cat <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: ingress-nginx
---
apiVersion: v1
kind: Secret
metadata:
  name: idpbuilder-cert
  namespace: ingress-nginx
type: kubernetes.io/tls
data:
  tls.crt: $(b64_of "$RIG_DIR/tls/tls.crt")
  tls.key: $(b64_of "$RIG_DIR/tls/tls.key")
---
apiVersion: v1
kind: Secret
metadata:
  name: idpbuilder-cert
  namespace: default
data:
  ca.crt: $(b64_of "$RIG_DIR/tls/tls.crt")
EOF
}

# The Localbuild CRD, reduced to what the helper reads; the rest of
# idpbuilder's schema is kept by x-kubernetes-preserve-unknown-fields.
manifest_crd() {
	cat <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: localbuilds.idpbuilder.cnoe.io
spec:
  group: idpbuilder.cnoe.io
  scope: Cluster
  names:
    kind: Localbuild
    listKind: LocalbuildList
    plural: localbuilds
    singular: localbuild
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
            properties:
              buildCustomization:
                type: object
                properties:
                  protocol: {type: string}
                  host: {type: string}
                  ingressHost: {type: string}
                  port: {type: string}
                  usePathRouting: {type: boolean}
                  selfSignedCert: {type: string}
                  staticPassword: {type: boolean}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
            properties:
              gitea:
                type: object
                x-kubernetes-preserve-unknown-fields: true
                properties:
                  externalURL: {type: string}
EOF
}

# The GiteaProvider CRD of idpbuilder's controller-based architecture
# (idpbuilder.cnoe.io/v1alpha2, namespaced, status subresource), reduced to
# the status fields the helper reads, typed as idpbuilder publishes them;
# the rest is kept by x-kubernetes-preserve-unknown-fields. No object is
# made here: a provider would win discovery for every test. The tests that
# need one create it and fill its status.
manifest_giteaprovider_crd() {
	cat <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: giteaproviders.idpbuilder.cnoe.io
spec:
  group: idpbuilder.cnoe.io
  scope: Namespaced
  names:
    kind: GiteaProvider
    listKind: GiteaProviderList
    plural: giteaproviders
    singular: giteaprovider
  versions:
  - name: v1alpha2
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    - {name: Phase, type: string, jsonPath: .status.phase}
    - {name: Endpoint, type: string, jsonPath: .status.endpoint}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
            properties:
              namespace: {type: string}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
            properties:
              endpoint: {type: string}
              internalEndpoint: {type: string}
              phase: {type: string}
              installed: {type: boolean}
              version: {type: string}
              conditions:
                type: array
                items:
                  type: object
                  required: [type, status, reason, message, lastTransitionTime]
                  properties:
                    type: {type: string}
                    status: {type: string, enum: ["True", "False", Unknown]}
                    reason: {type: string}
                    message: {type: string}
                    lastTransitionTime: {type: string, format: date-time}
                    observedGeneration: {type: integer, format: int64}
              credentialsSecretRef:
                type: object
                required: [name, namespace, key]
                properties:
                  name: {type: string}
                  namespace: {type: string}
                  key: {type: string}
              adminUser:
                type: object
                properties:
                  username: {type: string}
                  secretRef:
                    type: object
                    required: [name, namespace, key]
                    properties:
                      name: {type: string}
                      namespace: {type: string}
                      key: {type: string}
EOF
}

manifest_localbuild() {
	cat <<EOF
apiVersion: idpbuilder.cnoe.io/v1alpha1
kind: Localbuild
metadata:
  name: localdev
spec:
  buildCustomization:
    protocol: https
    host: $RIG_HOST
    port: "$RIG_GITEA_PORT"
    usePathRouting: false
    selfSignedCert: |
$(indent '      ' <"$RIG_DIR/tls/tls.crt")
EOF
}

# The status subresource ignores status in a normal apply: patch it there.
set_localbuild_status() {
	local url="https://gitea.$RIG_HOST:$RIG_GITEA_PORT"
	kc patch localbuild localdev --subresource status --type merge \
		-p "{\"status\":{\"gitea\":{\"externalURL\":\"$url\"}}}" >/dev/null
}

# The low-privilege user may read the one secret (no list, no other
# secret) and the Localbuilds: what a least-privilege helper would need.
manifest_rbac() {
	cat <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: rig-read-gitea-credential
  namespace: gitea
rules:
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [gitea-credential]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rig-read-gitea-credential
  namespace: gitea
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: rig-read-gitea-credential
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: $LIMITED_USER
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: rig-read-localbuilds
rules:
- apiGroups: [idpbuilder.cnoe.io]
  resources: [localbuilds, giteaproviders]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: rig-read-localbuilds
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: rig-read-localbuilds
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: $LIMITED_USER
EOF
}

# idpbuilder's certificate for the ingress (ECDSA P-256, self-signed CA, for
# <host> and *.<host>): gitea-cert.sh makes it, shared with the Gitea side of
# the rig, which serves it. It keeps an existing pair.
ensure_tls_cert() {
	[[ -f $RIG_DIR/tls/tls.crt && -f $RIG_DIR/tls/tls.key ]] && return
	log "no $RIG_DIR/tls/tls.crt; running gitea-cert.sh"
	RIG_DIR=$RIG_DIR RIG_HOST=$RIG_HOST "$here/gitea-cert.sh"
}

create_objects() {
	local start=$SECONDS
	apply manifest_crd
	apply manifest_giteaprovider_crd
	apply manifest_gitea_credential
	apply manifest_certs
	apply manifest_rbac
	kc wait --for condition=Established --timeout 30s \
		crd/localbuilds.idpbuilder.cnoe.io crd/giteaproviders.idpbuilder.cnoe.io >/dev/null
	apply manifest_localbuild
	set_localbuild_status
	log "idpbuilder objects created ($((SECONDS - start))s)"
}

# -------------------------------------------------------- subcommands ---

cmd_up() {
	[[ -f $PASSWORD_FILE ]] || die "missing $PASSWORD_FILE (the Gitea admin password)"
	command -v kubectl >/dev/null || die "kubectl is not on PATH"
	find_binaries
	mkdir -p "$KUBE"
	load_or_pick_ports
	make_pki
	make_tokens
	write_kubeconfig "$KUBECONFIG_ADMIN" rig-admin
	write_kubeconfig "$KUBECONFIG_LIMITED" "$LIMITED_USER"
	ensure_tls_cert
	start_etcd
	start_apiserver
	wait_ready
	create_objects
	write_env
	log "up: source $RIG_DIR/kube.env; kubeconfig $KUBECONFIG_ADMIN (context $CONTEXT)"
}

cmd_set_password() {
	[[ -f $PASSWORD_FILE ]] || die "missing $PASSWORD_FILE"
	running_pid apiserver >/dev/null || die "the cluster is not running (kube.sh up)"
	apply manifest_gitea_credential
	log "secret gitea/gitea-credential updated from $PASSWORD_FILE"
}

cmd_down() {
	[[ -d $KUBE ]] || { log "nothing to stop"; return; }
	# The API server first: it would only log errors while etcd is gone.
	stop_one apiserver
	stop_one etcd
	log "down"
}

cmd_recreate() {
	cmd_down
	log "deleting $KUBE (new CA, new etcd)"
	rm -rf "$KUBE"
	cmd_up
}

main() {
	local cmd=${1:-}
	check_rig_dir
	case $cmd in
	up) cmd_up ;;
	set-password) cmd_set_password ;;
	down) cmd_down ;;
	recreate) cmd_recreate ;;
	*) die "usage: RIG_DIR=/abs/dir $0 up|set-password|down|recreate" ;;
	esac
}

main "$@"
