#!/usr/bin/env bash
# Installs a Go program at a pinned version with `go install` into the tool
# cache, ${RIG_CACHE:-~/.cache/idpbuilder-rig}/bin/NAME-VERSION/NAME (skipped
# when present), and prints its path. The Makefile's lint and vulncheck use it.
# Usage: hack/gotool.sh NAME PACKAGE VERSION
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 NAME PACKAGE VERSION" >&2
  exit 2
fi
name=$1 pkg=$2 version=$3
bin_dir=${RIG_CACHE:-$HOME/.cache/idpbuilder-rig}/bin
dir=$bin_dir/$name-$version

if [[ ! -x $dir/$name ]]; then
  start=$SECONDS
  echo "gotool: go install $pkg@$version ..." >&2
  mkdir -p "$bin_dir"
  tmp=$(mktemp -d "$bin_dir/.$name.XXXXXX")
  # Outside any module (cd /), so no go.mod or go.work nearby applies.
  (cd / && GOTOOLCHAIN=local GOBIN=$tmp go install -trimpath "$pkg@$version") ||
    { rm -rf "$tmp"; echo "gotool: go install $pkg@$version failed" >&2; exit 1; }
  chmod 0755 "$tmp"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  echo "gotool: $name $version installed in $((SECONDS - start)) s" >&2
fi
echo "$dir/$name"
