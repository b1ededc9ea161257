#!/usr/bin/env bash
# The rig's dockerd runs containers through this wrapper around runc (its
# default runtime, see dockerd.sh). It removes from the container's
# capability sets every capability this machine's bounding set lacks, then
# runs runc with the same arguments.
#
# Why: some sandboxed machines (this one: CapBnd 000001fffeffffff, no
# CAP_SYS_RESOURCE) cannot grant every capability, and runc then fails any
# --privileged container with "unable to apply caps: operation not
# permitted". buildx's docker-container driver always starts BuildKit
# privileged. On a machine with the full set this only execs runc.
set -euo pipefail

runc=$(command -v runc || echo /usr/sbin/runc)

# Capability names in kernel order (bit i of CapBnd is caps[i]).
caps=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
  LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
  SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
  SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
  MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF
  CHECKPOINT_RESTORE)
bnd=$((16#$(awk '/^CapBnd:/ {print $2}' /proc/self/status)))
missing=()
for i in "${!caps[@]}"; do
  (((bnd >> i) & 1)) || missing+=("CAP_${caps[$i]}")
done
((${#missing[@]} > 0)) || exec "$runc" "$@"

# drop FILE FILTER: removes the missing capabilities from each set under
# FILTER (a jq path) in the JSON file, in place.
drop() {
  local file=$1 path=$2 tmp
  [[ -f $file ]] || return 0
  tmp=$(mktemp "$file.XXXXXX")
  jq --argjson m "$(printf '%s\n' "${missing[@]}" | jq -R . | jq -s .)" \
    "if $path then $path |= map_values(map(select(. as \$c | \$m | index(\$c) | not))) else . end" \
    "$file" >"$tmp" && mv "$tmp" "$file" || { rm -f "$tmp"; return 1; }
}

# create/run get --bundle DIR (DIR/config.json); exec gets --process FILE.
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[$i]} in
    --bundle | -b) drop "${args[$((i + 1))]}/config.json" .process.capabilities ;;
    --bundle=*) drop "${args[$i]#--bundle=}/config.json" .process.capabilities ;;
    --process | -p) drop "${args[$((i + 1))]}" .capabilities ;;
    --process=*) drop "${args[$i]#--process=}" .capabilities ;;
  esac
done
exec "$runc" "$@"
