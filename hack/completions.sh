#!/usr/bin/env bash
# Writes the shell completion scripts the release archives and packages
# carry into completions/ (GoReleaser's before hook). The companion writes
# them, as for `docker-credential-idpbuilder completion SHELL`.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf completions
mkdir -p completions
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
# As GoReleaser builds it, so the compiled packages are shared.
CGO_ENABLED=0 go build -trimpath -o "$bin/" ./cmd/docker-credential-idpbuilder-cluster
for shell in bash zsh fish; do
  "$bin/docker-credential-idpbuilder-cluster" completion "$shell" >"completions/docker-credential-idpbuilder.$shell"
done
