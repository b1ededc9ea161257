#!/usr/bin/env bash
# Runs a real Gitea (built by test/rig/build-gitea.sh) the way idpbuilder
# exposes it: HTTPS with the rig's self-signed certificate, host
# gitea.$RIG_HOST, an admin user giteaAdmin, and the OCI registry at /v2/.
#
# Usage: test/rig/gitea.sh up|set-password|down|status
#
# Environment:
#   RIG_DIR         absolute, mode 0700, made by the caller; holds:
#                     tls/tls.crt, tls/tls.key           (test/rig/gitea-cert.sh)
#                     secret/gitea-password              (0600, by the caller; trailing
#                                                         newlines are ignored, as in kube.sh)
#                     secret/gitea-token                 (0600, written here: token "admin", all scopes)
#                     gitea/                             (app.ini, data, logs, PID file)
#                     gitea.env                          (export lines, written by up)
#   RIG_GITEA_PORT  HTTPS port on 127.0.0.1 (required for up)
#   RIG_HOST        default cnoe.localtest.me; Gitea's name is gitea.$RIG_HOST
#   RIG_CACHE       default $HOME/.cache/idpbuilder-rig (where the Gitea build is)
#
# gitea.$RIG_HOST must resolve to 127.0.0.1 for clients (a private /etc/hosts in
# a mount namespace); this script itself uses curl --resolve and needs none.
#
# Secret hygiene: the admin password never appears in a command line, in a
# child's environment, or in a file outside $RIG_DIR/secret/ (Gitea's DB holds
# only its hash). The admin is created with a random throwaway password that
# Gitea generates itself, and the real one is set through Gitea's HTTP API, with
# the credentials in a curl config read from a pipe and the JSON body on stdin.
set -euo pipefail
# shellcheck source=test/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GITEA_VERSION=1.26.1
ADMIN_USER=giteaAdmin
ADMIN_EMAIL=admin@cnoe.localtest.me
TOKEN_NAME="admin"
HEALTH_TIMEOUT=60   # seconds; a fresh DB answers in about 1 s
STOP_TIMEOUT=15     # seconds between TERM and KILL

log() { echo "rig(gitea): $*" >&2; }
die() { log "error: $*"; exit 1; }

setup_vars() {
  [[ ${RIG_DIR:-} == /* ]] || die "RIG_DIR must be set to an absolute path"
  [[ -d $RIG_DIR ]] || die "RIG_DIR $RIG_DIR does not exist (the caller makes it, mode 0700)"
  host=${RIG_HOST:-cnoe.localtest.me}
  gitea_host=gitea.$host
  cache=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}
  gitea_bin=$cache/gitea-$GITEA_VERSION/gitea
  static_dir=$cache/gitea-$GITEA_VERSION/static
  gdir=$RIG_DIR/gitea
  ini=$gdir/app.ini
  pid_file=$gdir/gitea.pid
  ca=$RIG_DIR/tls/tls.crt
  password_file=$RIG_DIR/secret/gitea-password
  token_file=$RIG_DIR/secret/gitea-token
  env_file=$RIG_DIR/gitea.env
}

# The port is needed to talk to a running Gitea; up records it in gitea.env so
# set-password/status work even when RIG_GITEA_PORT is not set.
setup_port() {
  port=${RIG_GITEA_PORT:-}
  if [[ -z $port && -f $gdir/port ]]; then
    port=$(<"$gdir/port")
  fi
  [[ $port =~ ^[0-9]+$ ]] || die "RIG_GITEA_PORT must be set to a port number"
  url=https://$gitea_host:$port
}

gitea_cli() {
  "$gitea_bin" --config "$ini" --work-path "$gdir" "$@"
}

# Random values for app.ini, made once per rig dir so a second `up` keeps the
# same DB-encrypted data readable. Plain hex: Gitea takes any string for
# SECRET_KEY and INTERNAL_TOKEN; JWT_SECRET comes from Gitea's own generator
# because it must be base64 of 32 bytes.
ensure_internal_secrets() {
  local f=$gdir/internal-secrets
  if [[ ! -s $f ]]; then
    (
      umask 077
      {
        echo "SECRET_KEY=$(openssl rand -hex 32)"
        echo "INTERNAL_TOKEN=$(openssl rand -hex 48)"
        echo "JWT_SECRET=$("$gitea_bin" generate secret JWT_SECRET)"
      } >"$f"
    )
  fi
  # shellcheck disable=SC1090
  source "$f"
}

write_app_ini() {
  mkdir -p "$gdir/data" "$gdir/log" "$gdir/custom"
  (
    umask 077
    cat >"$ini" <<EOF
; Written by test/rig/gitea.sh; rewritten on every up.
APP_NAME = idpbuilder rig
RUN_MODE = prod
RUN_USER = $(id -un)
WORK_PATH = $gdir
; The rig runs as root on a throwaway machine.
I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true

[server]
PROTOCOL = https
DOMAIN = $gitea_host
HTTP_ADDR = 127.0.0.1
HTTP_PORT = $port
ROOT_URL = $url/
CERT_FILE = $RIG_DIR/tls/tls.crt
KEY_FILE = $RIG_DIR/tls/tls.key
APP_DATA_PATH = $gdir/data
STATIC_ROOT_PATH = $static_dir
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
ENABLE_GZIP = false

[database]
DB_TYPE = sqlite3
PATH = $gdir/data/gitea.db
LOG_SQL = false

[repository]
ROOT = $gdir/data/repositories
; git push to a new repository creates it (test/e2e/git_test.go).
ENABLE_PUSH_CREATE_USER = true

[security]
INSTALL_LOCK = true
SECRET_KEY = $SECRET_KEY
INTERNAL_TOKEN = $INTERNAL_TOKEN
PASSWORD_CHECK_PWN = false
PASSWORD_COMPLEXITY = off
; idpbuilder's --dev-password is "developer"; allow short test passwords too.
MIN_PASSWORD_LENGTH = 6

[oauth2]
JWT_SECRET = $JWT_SECRET

[packages]
ENABLED = true

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false
ENABLE_NOTIFY_MAIL = false

[actions]
ENABLED = false

[mailer]
ENABLED = false

[cron.update_checker]
ENABLED = false

[indexer]
REPO_INDEXER_ENABLED = false

[session]
PROVIDER = memory

[log]
MODE = file
LEVEL = Info
ROOT_PATH = $gdir/log
EOF
  )
}

# --- talking to Gitea's API ---------------------------------------------------

# gitea_api METHOD PATH AUTH: AUTH is the whole Authorization header value.
# It goes to curl in a config file read from a pipe (never argv); the request
# body, if any, is read from stdin. Prints the response body; fails on HTTP errors.
gitea_api() {
  local method=$1 path=$2 auth=$3
  curl -sS --fail-with-body --max-time 30 \
    --cacert "$ca" --resolve "$gitea_host:$port:127.0.0.1" \
    -X "$method" -H 'Content-Type: application/json' -H 'Accept: application/json' \
    -K <(printf 'header = "Authorization: %s"\n' "$auth") \
    --data-binary @- "$url/api/v1$path"
}

# basic_auth USER PASSWORD: prints "Basic base64(user:password)"; base64 reads
# the pair on stdin (printf is a bash builtin, so no command line holds it).
basic_auth() {
  printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"
}

# read_password: sets $password from $password_file. Trailing newlines are
# dropped, as `$(<file)` does, because kube.sh puts the same value in the
# cluster's secret that way (so a file written with echo works for both).
read_password() {
  [[ -f $password_file ]] || die "missing $password_file (the caller writes it, mode 0600)"
  local mode
  mode=$(stat -c %a "$password_file")
  [[ $mode == 600 || $mode == 400 ]] || die "$password_file must be mode 0600 (is $mode)"
  password=$(<"$password_file") # $(<...) is read by bash itself: no child process
  [[ -n $password ]] || die "$password_file is empty"
  [[ $password != *[[:cntrl:]]* ]] || die "$password_file holds a control character inside the password"
  ((${#password} >= 6)) || die "the password must have at least 6 characters (MIN_PASSWORD_LENGTH)"
}

# set_password_via_api AUTH: sets the admin password to $password. jq builds
# the JSON from stdin (printf is a builtin), so no command line holds it.
set_password_via_api() {
  local auth=$1
  printf '%s' "$password" |
    jq -Rs --arg u "$ADMIN_USER" '{login_name: $u, source_id: 0, password: ., must_change_password: false}' |
    gitea_api PATCH "/admin/users/$ADMIN_USER" "$auth" >/dev/null
}

# refresh_token: deletes the token named admin (if any) and creates it again
# with all scopes, like idpbuilder when the password changes. Gitea creates
# tokens only with basic auth, so this also proves the password works.
refresh_token() {
  local auth
  auth=$(basic_auth "$ADMIN_USER" "$password")
  gitea_api DELETE "/users/$ADMIN_USER/tokens/$TOKEN_NAME" "$auth" </dev/null >/dev/null 2>&1 || true
  local tmp
  tmp=$(mktemp "$RIG_DIR/secret/.gitea-token.XXXXXX") # mktemp makes it 0600
  jq -n --arg n "$TOKEN_NAME" '{name: $n, scopes: ["all"]}' |
    gitea_api POST "/users/$ADMIN_USER/tokens" "$auth" | jq -je .sha1 >"$tmp" ||
    { rm -f "$tmp"; die "could not create the access token"; }
  mv "$tmp" "$token_file"
}

# --- the admin user -----------------------------------------------------------

admin_exists() {
  gitea_cli admin user list --admin 2>/dev/null | awk 'NR > 1 {print $2}' | grep -qx "$ADMIN_USER"
}

# make_throwaway_admin: before the server starts, creates the admin (or resets
# an existing one) with a random password that Gitea generates and prints on
# stdout; sets $throwaway. Only this throwaway, never the real password, could
# appear on a command line: for an existing user it is passed to
# change-password in argv, and it is replaced moments later.
make_throwaway_admin() {
  throwaway=
  if admin_exists; then
    throwaway=$(openssl rand -hex 20)
    gitea_cli admin user change-password --username "$ADMIN_USER" \
      --password "$throwaway" --must-change-password=false >/dev/null
    return 0
  fi
  local out
  out=$(gitea_cli admin user create --admin --username "$ADMIN_USER" --email "$ADMIN_EMAIL" \
    --random-password --random-password-length 32 --must-change-password=false)
  throwaway=$(sed -n "s/^generated random password is '\(.*\)'\$/\1/p" <<<"$out")
  [[ -n $throwaway ]] || die "could not read the generated password from gitea admin user create"
}

# --- subcommands ---------------------------------------------------------------

# wait_healthy: until /api/healthz answers; fails early when Gitea exits or
# logs that its listener failed (it then keeps running without serving). Only
# the log written since this start counts: gitea.log is appended to.
wait_healthy() {
  local deadline=$((SECONDS + HEALTH_TIMEOUT)) why=
  until curl -sf --max-time 2 --cacert "$ca" --resolve "$gitea_host:$port:127.0.0.1" \
    -o /dev/null "$url/api/healthz"; do
    if ! is_running; then
      why="Gitea exited"
    elif tail -c "+$((log_offset + 1))" "$gdir/log/gitea.log" 2>/dev/null | grep -q 'Failed to start server'; then
      why="Gitea failed to start its server"
    elif ((SECONDS >= deadline)); then
      why="no healthy answer in ${HEALTH_TIMEOUT}s"
    fi
    if [[ -n $why ]]; then
      log "$why; last log lines:"
      tail -n 20 "$gdir/log/stdout.log" "$gdir/log/gitea.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.2
  done
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

write_env_file() {
  local tmp
  tmp=$(mktemp "$RIG_DIR/.gitea.env.XXXXXX")
  {
    echo "# Written by test/rig/gitea.sh up"
    printf 'export %s=%q\n' \
      RIG_HOST "$host" \
      GITEA_HOST "$gitea_host" \
      GITEA_PORT "$port" \
      GITEA_URL "$url" \
      GITEA_REGISTRY "$gitea_host:$port" \
      GITEA_ADMIN_USER "$ADMIN_USER" \
      GITEA_PASSWORD_FILE "$password_file" \
      GITEA_TOKEN_FILE "$token_file" \
      GITEA_PID_FILE "$pid_file" \
      GITEA_LOG_DIR "$gdir/log" \
      RIG_CA "$ca"
  } >"$tmp"
  chmod 0644 "$tmp"
  mv "$tmp" "$env_file"
}

cmd_up() {
  local start=$SECONDS t
  [[ -x $gitea_bin ]] || die "no Gitea build at $gitea_bin: run test/rig/build-gitea.sh"
  [[ -s $ca && -s $RIG_DIR/tls/tls.key ]] || die "no certificate in $RIG_DIR/tls: run test/rig/gitea-cert.sh"
  command -v jq >/dev/null || die "jq not found"
  read_password
  if is_running; then
    die "Gitea is already running (PID $(<"$pid_file")); run down first"
  fi
  port_free "$port" || die "port $port on 127.0.0.1 is in use"
  mkdir -p "$gdir" "$RIG_DIR/secret"
  chmod 0700 "$RIG_DIR/secret"
  echo "$port" >"$gdir/port"
  ensure_internal_secrets
  write_app_ini

  t=$SECONDS
  gitea_cli migrate >"$gdir/log/migrate.log" 2>&1 ||
    { tail -n 20 "$gdir/log/migrate.log" >&2; die "gitea migrate failed"; }
  make_throwaway_admin
  log "database ready, admin $ADMIN_USER prepared in $((SECONDS - t)) s"

  t=$SECONDS
  # setsid: Gitea outlives this script and is not hit by the caller's Ctrl-C;
  # --pid makes Gitea write its own PID file, which down relies on.
  rm -f "$pid_file"
  log_offset=$(stat -c %s "$gdir/log/gitea.log" 2>/dev/null || echo 0)
  setsid "$gitea_bin" web --config "$ini" --work-path "$gdir" --pid "$pid_file" \
    </dev/null >>"$gdir/log/stdout.log" 2>&1 &
  local deadline=$((SECONDS + 10))
  until [[ -s $pid_file ]]; do
    ((SECONDS < deadline)) || die "Gitea wrote no PID file; see $gdir/log/stdout.log"
    sleep 0.1
  done
  if ! wait_healthy; then
    cmd_down
    die "Gitea did not become healthy"
  fi
  log "Gitea $GITEA_VERSION healthy at $url (PID $(<"$pid_file")) in $((SECONDS - t)) s"

  t=$SECONDS
  set_password_via_api "$(basic_auth "$ADMIN_USER" "$throwaway")"
  throwaway=
  refresh_token
  log "admin password set and token '$TOKEN_NAME' written in $((SECONDS - t)) s"
  write_env_file
  log "up in $((SECONDS - start)) s; source $env_file"
}

cmd_set_password() {
  local start=$SECONDS
  read_password
  is_running || die "Gitea is not running"
  [[ -s $token_file ]] || die "no token in $token_file (made by up)"
  # The token from up (or the last set-password) authorises the change, so the
  # old password is not needed.
  local token
  IFS= read -r token <"$token_file" || true
  set_password_via_api "token $token"
  refresh_token
  log "admin password changed and token refreshed in $((SECONDS - start)) s"
}

cmd_down() {
  stop_pid_file "$STOP_TIMEOUT"
}

cmd_status() {
  if is_running; then
    echo "running (PID $(<"$pid_file"))"
  else
    echo "stopped"
    return 1
  fi
}

main() {
  setup_vars
  case ${1:-} in
    up) setup_port; cmd_up ;;
    set-password) setup_port; cmd_set_password ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) die "usage: $0 up|set-password|down|status" ;;
  esac
}

main "$@"
