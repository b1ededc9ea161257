# Shared by the rig scripts (sourced, not run). The caller defines log().

# stop_pid_file FILE TIMEOUT: stops the process whose PID FILE holds: TERM,
# up to TIMEOUT seconds for it to exit, then KILL. Never by name, so nothing
# but the rig's own daemons is touched. Removes FILE; fine if nothing runs.
stop_pid_file() {
  local file=$1 timeout=$2 pid
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
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
  rm -f "$file"
}
