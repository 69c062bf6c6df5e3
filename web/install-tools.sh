#!/usr/bin/env bash
# Installs what the browser and PDF tests need: Chromium and poppler-utils
# (pdfinfo, pdftotext: the printed week and the schedule PDF are read back)
# from Debian, and axe-core (pinned by web/package.json and
# package-lock.json) into web/node_modules. Idempotent: skips what is
# already there; runs apt-get update only when a package is not known to
# apt yet.
set -euo pipefail
cd "$(dirname "$0")"
want=$(node -p 'require("./package-lock.json").packages["node_modules/axe-core"].version' 2>/dev/null || true)
have=$(node -p 'require("./node_modules/axe-core/package.json").version' 2>/dev/null || true)
if [ -z "$have" ] || [ "$have" != "$want" ]; then
  echo "==> npm ci (axe-core $want)" >&2
  npm ci --no-audit --no-fund --silent
fi
pkgs=()
[ -x /usr/bin/chromium ] || pkgs+=(chromium fonts-dejavu-core)
command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1 || pkgs+=(poppler-utils)
[ ${#pkgs[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show "${pkgs[@]}" >/dev/null 2>&1; then
  echo "==> apt-get update" >&2
  $SUDO apt-get update -qq
fi
echo "==> apt-get install ${pkgs[*]}" >&2
if ! $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
