#!/usr/bin/env bash
# Deploys one environment from this tree: builds and uploads the release
# (release.sh), packages the nested templates, runs `aws cloudformation
# deploy` (which waits until the stack is done), then smoke-tests the result:
#   - GET https://<domain>/readyz answers 200 (MySQL and Redis reached)
#   - a WebSocket handshake on /api/v1/ws answers 101, signed in as the
#     first admin (AdminEmail, password from the AdminPasswordSecretArn output)
#   - the alert topic's https://<domain>/hooks/sns subscription is confirmed
#
# Usage: deploy/deploy.sh [--dry-run] ENV VERSION
#   ENV        dev, staging or prod (stack crumb-ENV unless CRUMB_STACK_NAME)
#   VERSION    release version, e.g. v1.4.0
#   --dry-run  print the commands instead of running them
# Environment:
#   CRUMB_DEPLOY_BUCKET   (required) S3 bucket for release archives (releases/)
#                         and packaged templates (cfn/)
#   CRUMB_PARAMS_FILE     Key=Value lines passed as parameter overrides; needed
#                         on the first deploy (DomainName, CertificateArn,
#                         AlarmEmail, AdminEmail, MailFromAddress, ...); later
#                         deploys keep the stack's values for keys not given
#   CRUMB_STACK_NAME      default crumb-ENV
#   CRUMB_BINARY, GOARCH  as for release.sh
set -euo pipefail

dry_run=false
if [ "${1:-}" = --dry-run ]; then
  dry_run=true
  shift
fi
usage="usage: deploy/deploy.sh [--dry-run] ENV VERSION"
env=${1:?$usage}
version=${2:?$usage}
case "$env" in dev | staging | prod) ;; *)
  echo "deploy.sh: ENV must be dev, staging or prod, not $env" >&2
  exit 2
  ;;
esac
bucket=${CRUMB_DEPLOY_BUCKET:?deploy.sh: set CRUMB_DEPLOY_BUCKET (S3 bucket for releases and templates)}
stack=${CRUMB_STACK_NAME:-crumb-$env}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# run prints a command to stderr (--dry-run) or runs it.
run() {
  if $dry_run; then
    {
      printf '+'
      printf ' %q' "$@"
      printf '\n'
    } >&2
  else
    "$@"
  fi
}

# query runs a read-only command whose output later steps use; in a dry run
# it prints the command and answers the placeholder $1 (@Name@) instead.
query() {
  local placeholder=$1
  shift
  if $dry_run; then
    run "$@"
    echo "$placeholder"
  else
    "$@"
  fi
}

output() { # the stack output named $1
  query "@$1@" aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

overrides=("Environment=$env" "ReleaseBucket=$bucket")
if [ -n "${CRUMB_PARAMS_FILE:-}" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '' | '#'*) continue ;; esac
    overrides+=("$line")
  done <"$CRUMB_PARAMS_FILE"
fi

echo "== release $version" >&2
key=$(query "releases/crumb-$version-linux-${GOARCH:-arm64}.tar.gz" \
  "$here/release.sh" "$version" "s3://$bucket/releases")
overrides+=("ReleaseKey=$key")

echo "== stack $stack" >&2
packaged=$(mktemp --suffix .yaml)
trap 'rm -f "$packaged"' EXIT
run aws cloudformation package --template-file "$here/cloudformation/crumb.yaml" \
  --s3-bucket "$bucket" --s3-prefix "cfn/$stack" --output-template-file "$packaged"
run aws cloudformation deploy --template-file "$packaged" --stack-name "$stack" \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
  --tags Project=crumb "Environment=$env" --parameter-overrides "${overrides[@]}"

echo "== smoke test" >&2
url=$(output Url)
run curl -fsS -o /dev/null --max-time 10 --retry 10 --retry-delay 6 --retry-all-errors "$url/readyz"

admin_email=$(query "@AdminEmail@" aws cloudformation describe-stacks --stack-name "$stack" \
  --query "Stacks[0].Parameters[?ParameterKey=='AdminEmail'].ParameterValue" --output text)
admin_secret=$(output AdminPasswordSecretArn)
admin_password=$(query "@AdminPassword@" aws secretsmanager get-secret-value --secret-id "$admin_secret" \
  --query SecretString --output text)
login=$(jq -cn --arg e "$admin_email" --arg p "$admin_password" '{email: $e, password: $p}')
signin=(curl -fsS --max-time 10 -H 'Content-Type: application/json' --data "$login" "$url/api/v1/auth/login")
if $dry_run; then
  run "${signin[@]}"
  token="@token@"
else
  token=$("${signin[@]}" | jq -r .token)
fi
# curl cannot speak WebSocket: it sends the handshake, prints the status and
# gives up after --max-time on the open socket (exit 28, expected).
ws_key=$(head -c 16 /dev/urandom | base64)
status=$(query 101 curl -sS -o /dev/null -w '%{http_code}' --http1.1 --max-time 5 \
  -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
  -H "Sec-WebSocket-Key: $ws_key" -H "Origin: $url" -H "Authorization: Bearer $token" \
  "$url/api/v1/ws" || true)
if [ "$status" != 101 ]; then
  echo "deploy.sh: WebSocket handshake answered $status, want 101" >&2
  exit 1
fi

topic=$(output AlertTopicArn)
sub=$(query "arn:aws:sns:@region@:@account@:@topic@:@id@" aws sns list-subscriptions-by-topic --topic-arn "$topic" \
  --query "Subscriptions[?Protocol=='https'].SubscriptionArn" --output text)
case "$sub" in
  arn:*) ;;
  *)
    echo "deploy.sh: the https://<domain>/hooks/sns subscription is '$sub', not confirmed (deploy/README.md, After it)" >&2
    exit 1
    ;;
esac
if $dry_run; then
  echo "dry run: nothing was built, uploaded or deployed" >&2
else
  echo "deployed $version to $stack: $url" >&2
fi
