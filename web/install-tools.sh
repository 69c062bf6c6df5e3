#!/usr/bin/env bash
# Installs what the browser tests need: Chromium from Debian and axe-core
# (pinned by web/package.json and package-lock.json) into web/node_modules.
# Idempotent: skips Chromium when /usr/bin/chromium exists and npm when the
# pinned axe-core is already installed; runs apt-get update only when the
# package is not known to apt yet.
set -euo pipefail
cd "$(dirname "$0")"
want=$(node -p 'require("./package-lock.json").packages["node_modules/axe-core"].version' 2>/dev/null || true)
have=$(node -p 'require("./node_modules/axe-core/package.json").version' 2>/dev/null || true)
if [ -z "$have" ] || [ "$have" != "$want" ]; then
  echo "==> npm ci (axe-core $want)" >&2
  npm ci --no-audit --no-fund --silent
fi
[ -x /usr/bin/chromium ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show chromium >/dev/null 2>&1; then
  echo "==> apt-get update" >&2
  $SUDO apt-get update -qq
fi
echo "==> apt-get install chromium" >&2
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
