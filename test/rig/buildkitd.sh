#!/usr/bin/env bash
# BuildKit for the end-to-end rig (built by build-buildkit.sh): a buildkitd
# on a unix socket, as a user runs one for buildx's remote driver, and the
# BuildKit image for buildx's docker-container driver, loaded into the rig's
# dockerd (nothing can be pulled here).
#
# Usage: test/rig/buildkitd.sh image|up|down|status
#   image  docker import the image into the rig's dockerd (dockerd.sh up first)
#   up     start buildkitd with $RIG_DIR/buildkit/buildkitd.toml when that file
#          exists (the test writes it), on the host's network
#   down   stop it (by PID)
#
# Environment: RIG_DIR (absolute, made by the caller), RIG_CACHE.
#
# Both write $RIG_DIR/buildkit.env:
#   RIG_BUILDKIT_IMAGE   idpbuilder-rig/buildkit:<version>
#   RIG_BUILDKITD_ADDR   unix://$RIG_DIR/buildkit/buildkitd.sock
#   RIG_BUILDKITD_CONFIG $RIG_DIR/buildkit/buildkitd.toml
#   RIG_BUILDKITD_LOG
set -euo pipefail
# shellcheck source=test/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILDKIT_VERSION=v0.34.2 # as in build-buildkit.sh
READY_TIMEOUT=30         # seconds; buildkitd answers in about 1 s here
STOP_TIMEOUT=20

log() { echo "rig(buildkit): $*" >&2; }
die() { log "error: $*"; exit 1; }

setup_vars() {
  [[ ${RIG_DIR:-} == /* ]] || die "RIG_DIR must be set to an absolute path"
  [[ -d $RIG_DIR ]] || die "RIG_DIR $RIG_DIR does not exist"
  local cache=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}
  parts=$cache/buildkit-$BUILDKIT_VERSION
  image=idpbuilder-rig/buildkit:$BUILDKIT_VERSION
  bdir=$RIG_DIR/buildkit
  sock=$bdir/buildkitd.sock
  config=$bdir/buildkitd.toml
  pid_file=$bdir/buildkitd.pid
  log_file=$bdir/buildkitd.log
  [[ -x $parts/buildkitd && -f $parts/rootfs.tar ]] || die "no BuildKit in $parts: run test/rig/build-buildkit.sh"
  mkdir -p "$bdir"
  chmod 0700 "$bdir"
}

write_env_file() {
  local tmp
  tmp=$(mktemp "$RIG_DIR/.buildkit.env.XXXXXX")
  {
    echo "# Written by test/rig/buildkitd.sh"
    printf 'export %s=%q\n' \
      RIG_BUILDKIT_IMAGE "$image" \
      RIG_BUILDKITD_ADDR "unix://$sock" \
      RIG_BUILDKITD_CONFIG "$config" \
      RIG_BUILDKITD_LOG "$log_file"
  } >"$tmp"
  chmod 0644 "$tmp"
  mv "$tmp" "$RIG_DIR/buildkit.env"
}

cmd_image() {
  [[ -f $RIG_DIR/docker.env ]] || die "no $RIG_DIR/docker.env: run dockerd.sh up first"
  # shellcheck source=/dev/null
  source "$RIG_DIR/docker.env"
  local start=$SECONDS
  # The machine's docker CLI, without the user's config.
  export DOCKER_CONFIG=$RIG_DOCKER_CONFIG
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    # buildx's docker-container driver runs the entry point with buildkitd's
    # flags, and buildctl through docker exec (so PATH must find it).
    docker import --change 'ENV PATH=/usr/bin:/bin' --change 'ENTRYPOINT ["buildkitd"]' \
      "$parts/rootfs.tar" "$image" >/dev/null || die "docker import of $parts/rootfs.tar failed"
  fi
  write_env_file
  log "image $image in the rig's dockerd in $((SECONDS - start)) s"
}

# ready: buildkitd lists its workers.
ready() {
  "$parts/buildctl" --addr "unix://$sock" debug workers >/dev/null 2>&1
}

cmd_up() {
  is_running && die "buildkitd is already running (PID $(<"$pid_file")); run down first"
  local start=$SECONDS args=()
  [[ -f $config ]] && args+=(--config "$config")
  rm -f "$sock"
  # setsid: the daemon outlives this script. The host's network: a remote
  # builder a user runs beside a kind cluster reaches 127.0.0.1 that way.
  setsid "$parts/buildkitd" "${args[@]}" \
    --addr "unix://$sock" \
    --root "$bdir/root" \
    --containerd-worker=false \
    --oci-worker-net=host \
    </dev/null >>"$log_file" 2>&1 &
  local launcher=$! deadline=$((SECONDS + READY_TIMEOUT))
  echo "$launcher" >"$pid_file"
  until ready; do
    if ! kill -0 "$launcher" 2>/dev/null; then
      log "buildkitd exited; last log lines:"
      tail -n 15 "$log_file" >&2
      rm -f "$pid_file"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "buildkitd not ready in ${READY_TIMEOUT}s; last log lines:"
      tail -n 15 "$log_file" >&2
      stop_pid_file "$STOP_TIMEOUT"
      return 1
    fi
    sleep 0.1
  done
  write_env_file
  log "buildkitd $BUILDKIT_VERSION ready (PID $(<"$pid_file"), unix://$sock) in $((SECONDS - start)) s"
}

cmd_status() {
  if is_running && ready; then
    echo "running (PID $(<"$pid_file"))"
  else
    echo "stopped"
    return 1
  fi
}

main() {
  setup_vars
  case ${1:-} in
    image) cmd_image ;;
    up) cmd_up ;;
    down) stop_pid_file "$STOP_TIMEOUT" ;;
    status) cmd_status ;;
    *) die "usage: $0 image|up|down|status" ;;
  esac
}

main "$@"
