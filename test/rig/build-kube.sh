#!/usr/bin/env bash
# Provides the real Kubernetes parts of the end-to-end rig, without any
# container image:
#   - kube-apiserver, built from the Go module proxy through the tools module
#     in test/rig/tools/kube-apiserver;
#   - etcd, taken from Debian's etcd-server package (downloaded and unpacked,
#     never installed: installing it would start a system etcd on :2379).
#
# Everything goes in ${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}, one folder per
# version; a step whose output exists is skipped, so running this again is
# cheap. The cold kube-apiserver build takes 5 minutes on 2 idle cores (13
# measured while other builds ran), so it runs in the background while etcd
# is fetched.
#
# Progress goes to stderr. kube.sh finds the results by the same layout:
#   $RIG_CACHE/kube-apiserver-v1.37.2/kube-apiserver
#   $RIG_CACHE/etcd-<version>/usr/bin/etcd
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
tools="$repo/test/rig/tools/kube-apiserver"

KUBE_VERSION=v1.37.2
RIG_CACHE=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}
kube_dir="$RIG_CACHE/kube-apiserver-$KUBE_VERSION"
kube_bin="$kube_dir/kube-apiserver"

log() { echo "rig(kube): $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Version ldflags: without them the server reports v0.0.0-master+$Format:%H$,
# which kubectl cannot parse.
version_ldflags() {
	local minor=${KUBE_VERSION#v1.}
	minor=${minor%%.*}
	local date pkg flags="-s -w"
	date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		flags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
		flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
	done
	echo "$flags"
}

# Builds into a temporary name and renames, so that an interrupted build never
# leaves a binary that a later run would take as cached.
build_kube_apiserver() {
	local start=$SECONDS tmp="$kube_bin.tmp.$$"
	mkdir -p "$kube_dir"
	# GOWORK=off: the rig must not pick up a go.work of the developer.
	GOWORK=off CGO_ENABLED=0 go -C "$tools" build -trimpath \
		-ldflags "$(version_ldflags)" -o "$tmp" k8s.io/kubernetes/cmd/kube-apiserver ||
		{ rm -f "$tmp"; return 1; }
	mv -f "$tmp" "$kube_bin"
	log "kube-apiserver $KUBE_VERSION built in $((SECONDS - start))s: $kube_bin"
}

apt_refresh() {
	log "refreshing the apt lists (apt-get update)"
	apt-get update -qq >&2 || die "apt-get update failed"
}

# Prints the candidate version of etcd-server, refreshing the apt lists once
# if this machine has none yet.
etcd_candidate() {
	local v
	v=$(apt-cache policy etcd-server 2>/dev/null | awk '/Candidate:/ {print $2}')
	if [[ -z $v || $v == "(none)" ]]; then
		apt_refresh
		v=$(apt-cache policy etcd-server 2>/dev/null | awk '/Candidate:/ {print $2}')
	fi
	[[ -n $v && $v != "(none)" ]] || die "Debian has no etcd-server package here"
	echo "$v"
}

# Downloads etcd-server=$2 into folder $1. apt-get download writes into the
# current directory. Sandbox user root: the _apt user cannot reach a folder
# under root's home (apt would warn).
download_etcd() {
	(cd "$1" && apt-get download -qq -o APT::Sandbox::User=root "etcd-server=$2" >&2)
}

# Downloads the .deb and unpacks it into $RIG_CACHE/etcd-<version>/; the
# binary is then $RIG_CACHE/etcd-<version>/usr/bin/etcd. An etcd already
# there is used as is, without asking apt (kube.sh takes the newest).
provide_etcd() {
	local cached version upstream dir work
	cached=$(ls -d "$RIG_CACHE"/etcd-*/usr/bin/etcd 2>/dev/null | sort -V | tail -n1 || true)
	if [[ -n $cached ]]; then
		log "etcd: cached (${cached%/usr/bin/etcd})"
		return
	fi
	version=$(etcd_candidate)
	log "etcd: downloading Debian package etcd-server $version"
	work=$(mktemp -d "$RIG_CACHE/.etcd-download.XXXXXX")
	if ! download_etcd "$work" "$version"; then
		# Stale lists name a version the mirror no longer has.
		apt_refresh
		version=$(etcd_candidate)
		download_etcd "$work" "$version" || { rm -rf "$work"; die "apt-get download etcd-server failed"; }
	fi
	upstream=${version#*:}   # drop an epoch
	upstream=${upstream%%-*} # drop the Debian revision: 3.4.23-4+b4 -> 3.4.23
	dir="$RIG_CACHE/etcd-$upstream"
	mkdir -p "$work/root"
	dpkg-deb -x "$work"/etcd-server_*.deb "$work/root"
	[[ -x $work/root/usr/bin/etcd ]] || { rm -rf "$work"; die "no usr/bin/etcd in the package"; }
	rm -rf "$dir"
	mv "$work/root" "$dir"
	rm -rf "$work"
	"$dir/usr/bin/etcd" --version | sed 's/^/rig(kube):   /' >&2
	log "etcd $upstream: unpacked into $dir"
}

main() {
	mkdir -p "$RIG_CACHE"
	command -v go >/dev/null || die "go is not on PATH"

	local build_pid=""
	if [[ -x $kube_bin ]]; then
		log "kube-apiserver $KUBE_VERSION: cached ($kube_bin)"
	else
		log "kube-apiserver $KUBE_VERSION: building in the background (cold: ~5 min on 2 cores)"
		build_kube_apiserver &
		build_pid=$!
	fi

	provide_etcd

	if [[ -n $build_pid ]]; then
		local start=$SECONDS next=60
		# Show that the long build is alive, about once a minute.
		while kill -0 "$build_pid" 2>/dev/null; do
			sleep 2
			if ((SECONDS - start >= next)); then
				log "still building kube-apiserver ($((SECONDS - start))s)"
				next=$((next + 60))
			fi
		done
		wait "$build_pid" || die "kube-apiserver build failed"
	fi
	"$kube_bin" --version | sed 's/^/rig(kube):   /' >&2
}

main "$@"
