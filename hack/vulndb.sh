#!/usr/bin/env bash
# Builds the Go vulnerability database that `make vulncheck` gives govulncheck
# (-db file://FOLDER), offline: vuln.go.dev is not reachable here, the Go module
# proxy is. Usage: hack/vulndb.sh VERSION; prints the folder.
#
# The module golang.org/x/vulndb at VERSION (a pseudo-version: the module has
# no tags) holds every report as an OSV file, data/osv/GO-YYYY-NNNN.json, but
# not the layout govulncheck reads from a folder (index/db.json,
# index/modules.json, ID/<id>.json). The module's own generator,
# cmd/indexdb at the same VERSION, writes that layout from those files.
# The result is cached by version in ${RIG_CACHE:-~/.cache/idpbuilder-rig}/vulndb/VERSION.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 VULNDB_VERSION" >&2
  exit 2
fi
version=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
db_dir=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}/vulndb
out=$db_dir/$version

if [[ -f $out/index/modules.json ]]; then
  echo "$out"
  exit 0
fi

start=$SECONDS
echo "vulndb: golang.org/x/vulndb@$version from the Go module proxy ..." >&2
# `go mod download -json` prints Dir (the unpacked module) and Info (a file
# holding the commit time); outside any module (cd /).
dl=$(cd / && GOTOOLCHAIN=local go mod download -json "golang.org/x/vulndb@$version")
field() { sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" <<<"$dl"; }
src=$(field Dir)
info=$(field Info)
[[ -d $src/data/osv ]] || { echo "vulndb: golang.org/x/vulndb@$version has no data/osv folder (did the layout change?)" >&2; exit 1; }
modified=$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$info")
[[ -n $modified ]] || { echo "vulndb: no commit time in $info" >&2; exit 1; }

indexdb=$("$repo/hack/gotool.sh" indexdb golang.org/x/vulndb/cmd/indexdb "$version")
mkdir -p "$db_dir"
tmp=$(mktemp -d "$db_dir/.$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$indexdb" -vulns "$src/data/osv" -out "$tmp"
# govulncheck reads a folder's .json files only, not the .gz copies.
find "$tmp" -name '*.json.gz' -delete
# The reports in the module carry a zero "modified" time (the published
# database fills it in from git history), so index/db.json would say the
# database is from year 1: give it the commit time of the pinned version.
printf '{"modified":"%s"}\n' "$modified" >"$tmp/index/db.json"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "vulndb: $(find "$out/ID" -name '*.json' | wc -l) reports as of $modified in $out ($((SECONDS - start)) s)" >&2
echo "$out"
