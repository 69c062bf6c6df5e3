#!/usr/bin/env bash
# Installs what the browser tests need: Chromium from Debian. Idempotent:
# does nothing when /usr/bin/chromium exists; runs apt-get update only when
# the package is not known to apt yet.
set -euo pipefail
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
