#!/usr/bin/env bash
# Runs a private Docker daemon (Debian docker.io, dockerd 20.10) for the
# end-to-end rig, apart from any system daemon: its own data root, exec root,
# PID file and socket under $RIG_DIR/docker/, no iptables, no bridge (builds
# and pushes need no container network).
#
# Usage: test/rig/dockerd.sh up|down|status
#
# Environment:
#   RIG_DIR             absolute, made by the caller (mode 0700)
#   RIG_CACHE           default $HOME/.cache/idpbuilder-rig (for the buildx plugin)
#   RIG_DOCKER_STORAGE  storage driver; default: overlay2, falling back to vfs
#
# up writes $RIG_DIR/docker.env:
#   DOCKER_HOST              unix://$RIG_DIR/docker/docker.sock
#   RIG_DOCKER_CLI_PLUGINS   folder holding docker-buildx; a test's own DOCKER_CONFIG
#                            gets it as "$DOCKER_CONFIG/cli-plugins" (a symlink works)
#   RIG_DOCKER_CONFIG        a ready DOCKER_CONFIG with only cli-plugins (no config.json)
#   RIG_DOCKERD_PID_FILE, RIG_DOCKERD_LOG
#
# The credential helper runs in the docker CLI (or the buildx plugin), never in
# dockerd, so the daemon needs no configuration for it. dockerd treats
# 127.0.0.0/8 registries as insecure: it does not verify TLS for a name that
# resolves to loopback, so no certs.d is needed for the rig's Gitea.
set -euo pipefail
# shellcheck source=test/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

READY_TIMEOUT=30   # seconds; dockerd is ready in about 0.4 s here
STOP_TIMEOUT=20    # seconds between TERM and KILL

log() { echo "rig(docker): $*" >&2; }
die() { log "error: $*"; exit 1; }

setup_vars() {
  script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  [[ ${RIG_DIR:-} == /* ]] || die "RIG_DIR must be set to an absolute path"
  [[ -d $RIG_DIR ]] || die "RIG_DIR $RIG_DIR does not exist"
  cache=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}
  ddir=$RIG_DIR/docker
  sock=$ddir/docker.sock
  pid_file=$ddir/dockerd.pid
  log_file=$ddir/dockerd.log
  env_file=$RIG_DIR/docker.env
  plugins_dir=$cache/docker-cli-plugins
}

# ping: the Engine API answers OK on /_ping once the daemon serves requests.
ping() {
  [[ $(curl -s --max-time 2 --unix-socket "$sock" http://docker/_ping 2>/dev/null) == OK ]]
}

# start_dockerd DRIVER: starts dockerd and waits until it answers or exits.
start_dockerd() {
  local driver=$1
  # Our own daemon.json keeps the machine's /etc/docker/daemon.json out. The
  # default runtime is runc through runc-caps.sh, which drops capabilities
  # this machine cannot grant: without it every --privileged container (the
  # BuildKit container of buildx's docker-container driver) fails to start.
  printf '{"runtimes": {"rig-runc": {"path": "%s"}}, "default-runtime": "rig-runc"}\n' \
    "$script_dir/runc-caps.sh" >"$ddir/daemon.json"
  rm -f "$pid_file" "$sock"
  # setsid: the daemon outlives this script and ignores the caller's Ctrl-C.
  # The exec root stays short: containerd's socket path must fit in 108 bytes.
  setsid dockerd \
    --config-file "$ddir/daemon.json" \
    --data-root "$ddir/data" \
    --exec-root "$ddir/exec" \
    --pidfile "$pid_file" \
    -H "unix://$sock" \
    --storage-driver "$driver" \
    --iptables=false --ip6tables=false --bridge=none \
    --userland-proxy=false \
    </dev/null >>"$log_file" 2>&1 &
  local deadline=$((SECONDS + READY_TIMEOUT)) launcher=$!
  until ping; do
    if ! kill -0 "$launcher" 2>/dev/null; then
      log "dockerd ($driver) exited; last log lines:"
      tail -n 15 "$log_file" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "dockerd ($driver) not ready in ${READY_TIMEOUT}s; last log lines:"
      tail -n 15 "$log_file" >&2
      kill -TERM "$launcher" 2>/dev/null || true
      return 1
    fi
    sleep 0.1
  done
}

write_env_file() {
  local cfg=$ddir/config
  mkdir -p "$cfg"
  ln -sfn "$plugins_dir" "$cfg/cli-plugins"
  [[ -e $plugins_dir/docker-buildx ]] ||
    log "warning: no buildx plugin in $plugins_dir (run test/rig/build-clients.sh)"
  local tmp
  tmp=$(mktemp "$RIG_DIR/.docker.env.XXXXXX")
  {
    echo "# Written by test/rig/dockerd.sh up"
    printf 'export %s=%q\n' \
      DOCKER_HOST "unix://$sock" \
      RIG_DOCKER_CLI_PLUGINS "$plugins_dir" \
      RIG_DOCKER_CONFIG "$cfg" \
      RIG_DOCKERD_PID_FILE "$pid_file" \
      RIG_DOCKERD_LOG "$log_file"
  } >"$tmp"
  chmod 0644 "$tmp"
  mv "$tmp" "$env_file"
}

cmd_up() {
  local start=$SECONDS
  command -v dockerd >/dev/null || die "dockerd not found: apt-get install docker.io (test/rig/build-clients.sh)"
  command -v curl >/dev/null || die "curl not found"
  if is_running; then
    die "dockerd is already running (PID $(<"$pid_file")); run down first"
  fi
  mkdir -p "$ddir"
  chmod 0700 "$ddir"
  local driver=${RIG_DOCKER_STORAGE:-}
  if [[ -n $driver ]]; then
    start_dockerd "$driver" || die "dockerd did not start with $driver"
  elif start_dockerd overlay2; then
    driver=overlay2
  else
    # overlay2 needs a backing file system that supports it (not overlayfs
    # itself); vfs works anywhere, only slower and larger.
    log "overlay2 failed; trying vfs"
    cmd_down >/dev/null 2>&1 || true
    start_dockerd vfs || die "dockerd did not start"
    driver=vfs
  fi
  write_env_file
  log "dockerd $(dockerd --version | sed 's/^Docker version //') ready ($driver, PID $(<"$pid_file")) in $((SECONDS - start)) s; source $env_file"
}

cmd_down() {
  # dockerd stops its own containerd on TERM.
  stop_pid_file "$STOP_TIMEOUT"
  # A host-network container (buildx's BuildKit with network=host) leaves
  # the host's network namespace bound at exec/netns/default after dockerd
  # exits; unbound, the rig folder can be removed.
  local ns
  for ns in "$ddir"/exec/netns/*; do
    if [[ -e $ns ]] && grep -qF " $ns " /proc/self/mountinfo; then
      umount "$ns" || log "warning: could not unmount $ns"
    fi
  done
}

cmd_status() {
  if is_running && ping; then
    echo "running (PID $(<"$pid_file"))"
  else
    echo "stopped"
    return 1
  fi
}

main() {
  setup_vars
  case ${1:-} in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) die "usage: $0 up|down|status" ;;
  esac
}

main "$@"
