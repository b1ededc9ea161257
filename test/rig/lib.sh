# Shared by the rig scripts (sourced, not run). The caller defines log() and
# pid_file.

# is_running: the process named by $pid_file is alive.
is_running() {
  [[ -f $pid_file ]] || return 1
  local pid
  pid=$(<"$pid_file")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# stop_pid_file TIMEOUT: stops the process whose PID $pid_file holds: TERM,
# up to TIMEOUT seconds for it to exit, then KILL. Never by name, so nothing
# but the rig's own daemons is touched. Removes the file; fine if nothing
# runs.
stop_pid_file() {
  local timeout=$1 start=$SECONDS pid
  if [[ ! -f $pid_file ]]; then
    log "not running"
    return 0
  fi
  pid=$(<"$pid_file")
  if is_running; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "still running after ${timeout}s; KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pid_file"
  log "stopped in $((SECONDS - start)) s"
}
