#!/usr/bin/env bash
# Installs the `docker compose` CLI plugin (v2) when the docker client lacks it, by building it
# from its Go module source (this workplace has the Go module proxy, not Docker's download site).
# Only `docker compose config` is used here (no Docker engine needed).
set -euo pipefail
VERSION=${COMPOSE_VERSION:-v2.40.3}
PLUGIN_DIR=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
if docker compose version >/dev/null 2>&1; then
  exit 0
fi
command -v go >/dev/null || { echo "docker compose is missing and Go is not installed" >&2; exit 1; }
echo "Building docker compose $VERSION from source (one-off, a few minutes)..."
src=$(go mod download -json "github.com/docker/compose/v2@$VERSION" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src" "$work/compose" && chmod -R u+w "$work/compose"
mkdir -p "$PLUGIN_DIR"
(cd "$work/compose" && go build -trimpath \
  -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$VERSION" \
  -o "$PLUGIN_DIR/docker-compose" ./cmd)
docker compose version
