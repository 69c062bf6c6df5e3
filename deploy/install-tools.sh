#!/usr/bin/env bash
# Installs the tools that `go test ./deploy/...` runs:
#   nginx     from Debian's packages (nginx -t, and a live proxy test on loopback)
#   cfn-lint  AWS's CloudFormation linter (Python, 1.x) is part of the machine
#             image; this script only checks that it is there: missing, it
#             fails under CI=true and warns otherwise (the tests then skip)
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

if ! command -v cfn-lint >/dev/null 2>&1; then
  msg="install-tools: cfn-lint not found (pip install 'cfn-lint>=1.51,<2')"
  if [ "${CI:-}" = "true" ]; then
    echo "$msg" >&2
    exit 1
  fi
  echo "$msg; its tests will be skipped" >&2
fi
