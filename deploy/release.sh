#!/usr/bin/env bash
# Builds the release archive that the instances install (fleet.yaml user data):
#   crumb                          the binary, linux/arm64 for Graviton (t4g) by default
#   systemd/crumb-*.service        the units from deploy/systemd
# and, given an S3 prefix, uploads it. Prints the object key to pass as ReleaseKey.
#
# Usage: deploy/release.sh VERSION [s3://BUCKET/PREFIX]
#   GOARCH=amd64 deploy/release.sh ...   for x86 instance types (t3, m6i)
#   CRUMB_BINARY=path deploy/release.sh  packs an already built binary
# The archive is written to deploy/dist/ (CRUMB_DIST to change it).
set -euo pipefail

version=${1:?usage: deploy/release.sh VERSION [s3://BUCKET/PREFIX]}
dest=${2:-}
arch=${GOARCH:-arm64}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${CRUMB_DIST:-$root/deploy/dist}
name="crumb-$version-linux-$arch.tar.gz"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/systemd" "$out"

if [ -n "${CRUMB_BINARY:-}" ]; then
  install -m 0755 "$CRUMB_BINARY" "$stage/crumb"
else
  (cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -trimpath -ldflags "-s -w" -o "$stage/crumb" ./cmd/crumb)
fi
install -m 0644 "$root"/deploy/systemd/crumb-*.service "$stage/systemd/"
tar -C "$stage" -czf "$out/$name" crumb systemd

if [ -n "$dest" ]; then
  rest=${dest#s3://}
  bucket=${rest%%/*}
  prefix=${rest#"$bucket"}
  prefix=${prefix#/}
  key="${prefix:+${prefix%/}/}$name"
  aws s3 cp --only-show-errors "$out/$name" "s3://$bucket/$key"
  echo "$key"
else
  echo "$out/$name"
fi
