#!/usr/bin/env bash
# Makes the rig's TLS certificate, shaped like the one idpbuilder makes for its
# ingress: self-signed, ECDSA P-256, basicConstraints CA:TRUE (so clients can
# trust it as a CA file), SANs ${RIG_HOST} and *.${RIG_HOST}.
#
#   $RIG_DIR/tls/tls.crt   the certificate (also the CA clients must trust)
#   $RIG_DIR/tls/tls.key   its key, mode 0600
#
# Gitea serves it (test/rig/gitea.sh) and kube.sh puts it in the cluster
# objects, like idpbuilder's selfSignedCert.
#
# Usage: RIG_DIR=/abs/dir [RIG_HOST=cnoe.localtest.me] test/rig/gitea-cert.sh [--force]
# An existing pair is kept unless --force.
set -euo pipefail

log() { echo "rig(gitea): $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ ${RIG_DIR:-} == /* ]] || die "RIG_DIR must be set to an absolute path"
host=${RIG_HOST:-cnoe.localtest.me}
tls_dir=$RIG_DIR/tls

make_cert() {
  local tmp
  tmp=$(mktemp -d "$RIG_DIR/.tls.XXXXXX")
  # -nodes: Gitea reads an unencrypted key. The key is made first with umask
  # 077 so it is never readable by others, not even for a moment.
  (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/tls.key")
  openssl req -x509 -new -sha256 -days 3650 -key "$tmp/tls.key" -out "$tmp/tls.crt" \
    -subj "/O=cnoe.io/CN=$host" \
    -addext "subjectAltName=DNS:$host,DNS:*.$host" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
    -addext "extendedKeyUsage=serverAuth" 2>/dev/null
  chmod 0600 "$tmp/tls.key"
  chmod 0644 "$tmp/tls.crt"
  mkdir -p "$tls_dir"
  mv "$tmp/tls.key" "$tls_dir/tls.key"
  mv "$tmp/tls.crt" "$tls_dir/tls.crt"
  rmdir "$tmp"
}

main() {
  local force=false
  case ${1:-} in
    --force) force=true ;;
    "") ;;
    *) die "usage: $0 [--force]" ;;
  esac
  if [[ $force == false && -s $tls_dir/tls.crt && -s $tls_dir/tls.key ]]; then
    log "keeping existing certificate $tls_dir/tls.crt"
    return 0
  fi
  command -v openssl >/dev/null || die "openssl not found"
  make_cert
  log "certificate for $host, *.$host in $tls_dir/tls.crt"
}

main "$@"
