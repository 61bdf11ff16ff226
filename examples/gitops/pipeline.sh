#!/usr/bin/env bash
# The GitOps pipeline of a pulumi-vast project: the one script CI runs, one verb per event.
#
#   pipeline.sh preview STACK   pull request: what merging it would change (pulumi preview --diff)
#   pipeline.sh up STACK        merge to main: apply it (pulumi up --yes --skip-preview)
#   pipeline.sh reap STACK      schedule: destroy what is past its TTL or over budget, and
#                               what the stack rented but lost track of (pulumi-vast reap)
#
# It runs in its own folder (the Pulumi project; stacks/Pulumi.<STACK>.yaml is the stack's
# config) and takes everything else from the environment, which CI fills from its secrets:
#
#   PULUMI_BACKEND_URL        the state bucket, e.g. s3://team-state (AWS) or, on an
#                             S3-compatible store, s3://team-state?endpoint=minio.example.com:9000&s3ForcePathStyle=true
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION
#                             the state bucket's credentials
#   PULUMI_CONFIG_PASSPHRASE  encrypts the stacks' secrets in the state
#   VAST_API_KEY              the Vast API key
#
# While an `up` (or a reap's destroy) runs, the stack's state is locked in the bucket: a
# second one of the same stack fails at once ("the stack is currently locked") instead of
# racing it. Stacks do not lock each other.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

usage() {
    echo "usage: $0 preview|up|reap STACK" >&2
    exit 2
}
[ $# -eq 2 ] || usage
verb=$1
stack=$2

: "${PULUMI_BACKEND_URL:?set PULUMI_BACKEND_URL to the state bucket (s3://...)}"
: "${PULUMI_CONFIG_PASSPHRASE?set PULUMI_CONFIG_PASSPHRASE (it encrypts the secrets of the stacks)}"
: "${VAST_API_KEY:?set VAST_API_KEY from the CI secrets}"
export PULUMI_SKIP_UPDATE_CHECK=true
PULUMI=${PULUMI:-pulumi}
PULUMI_VAST=${PULUMI_VAST:-pulumi-vast}

select_stack() {
    # The first run of a stack creates its state in the bucket.
    "$PULUMI" stack select --create "$stack" --non-interactive
}

case $verb in
    preview)
        select_stack
        "$PULUMI" preview --diff --non-interactive --stack "$stack"
        ;;
    up)
        select_stack
        "$PULUMI" up --yes --skip-preview --non-interactive --stack "$stack"
        ;;
    reap)
        "$PULUMI_VAST" reap --stack "$stack"
        ;;
    *)
        usage
        ;;
esac
