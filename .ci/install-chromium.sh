#!/usr/bin/env bash
# Debian's chromium for the view tests (Playwright drives it with executable_path; its own browser
# download cannot work offline). Idempotent and quiet; needs root or sudo for apt-get.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
chromium --version 2>/dev/null | head -n 1
