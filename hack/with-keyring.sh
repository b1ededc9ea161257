#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked
# gnome-keyring (Secret Service), the way a desktop login provides one.
# Usage: hack/with-keyring.sh COMMAND [ARGS...]
# The keyring files live in a temporary folder removed afterwards, so the
# user's own keyrings are never touched.
set -euo pipefail

if [[ "${1:-}" != "--inside" ]]; then
  for tool in dbus-run-session gnome-keyring-daemon dbus-send; do
    command -v "$tool" >/dev/null || { echo "with-keyring: $tool not found (apt-get install dbus gnome-keyring)" >&2; exit 1; }
  done
  exec dbus-run-session -- "$0" --inside "$@"
fi
shift

data_home=$(mktemp -d)
trap 'kill "${keyring_pid:-}" 2>/dev/null || true; rm -rf "$data_home"' EXIT
export XDG_DATA_HOME=$data_home

# The unlock password only protects the throwaway login collection.
eval "$(printf 'rig-keyring\n' | gnome-keyring-daemon --unlock --components=secrets)"
keyring_pid=${GNOME_KEYRING_PID:-}

# Wait until the daemon owns the bus name: a call before that makes D-Bus
# activate a second daemon.
for _ in $(seq 1 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    "$@"
    exit $?
  fi
  sleep 0.05
done
echo "with-keyring: gnome-keyring-daemon did not take org.freedesktop.secrets within 5s" >&2
exit 1
