#!/usr/bin/env bash
# Installs the tools that `go test ./deploy/...` runs:
#   nginx     from Debian's packages (nginx -t, and a live proxy test on loopback)
#   cfn-lint  the npm CloudFormation validator and the resource specification it
#             is run with, pinned by deploy/cfnlint/package-lock.json, into
#             deploy/.tools/cfnlint (ignored by git)
# systemd-analyze is used when present (Debian's systemd package); nothing here
# installs it.
# Safe to run again: each step is skipped when its tool is already in place.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! sudo_if_needed apt-get install -y -q --no-install-recommends "$@" >/dev/null; then
    sudo_if_needed apt-get update -qq
    sudo_if_needed apt-get install -y -q --no-install-recommends "$@" >/dev/null
  fi
}

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "install-tools: installing nginx" >&2
  apt_install nginx
  # Where package scripts may start services, stop the one just installed: the
  # tests run their own nginx on loopback ports.
  if [ -s /run/nginx.pid ]; then
    sudo_if_needed /usr/sbin/nginx -s quit || true
  fi
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "install-tools: installing nodejs and npm" >&2
  apt_install nodejs npm
fi

dest="$here/.tools/cfnlint"
if ! cmp -s "$here/cfnlint/package-lock.json" "$dest/package-lock.json" ||
  [ ! -f "$dest/node_modules/cfn-lint/package.json" ] ||
  [ ! -f "$dest/node_modules/@aws-cdk/cfnspec/spec/specification.json" ]; then
  echo "install-tools: installing cfn-lint into $dest" >&2
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$here/cfnlint/package.json" "$here/cfnlint/package-lock.json" "$dest/"
  (cd "$dest" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
fi
