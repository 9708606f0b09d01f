#!/usr/bin/env bash
# `make demo`: the whole story against the local sandbox, with the commands a user would type.
# The Makefile has started the sandbox (realistic profile) and activates nothing: tools come from .venv.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
INVENTORY=inventories/local
IMAGES=.sandbox/images
ENDPOINT="http://127.0.0.1:${ECSOPS_SANDBOX_PORT:-4566}"
STOP="make sandbox-stop"
if [ "${SANDBOX_PIDFILE:-.sandbox/sandbox.pid}" != .sandbox/sandbox.pid ]; then
  STOP="make sandbox-stop SANDBOX_PIDFILE=$SANDBOX_PIDFILE"
fi

step() { printf '\n\033[1;36m==> %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }
build() {  # build <version>: the api and web images of one release as OCI layouts (no Docker engine)
  run "$BIN/python" examples/build_image.py "$IMAGES/api/$1" "$1" --service api --port 8000 >/dev/null
  run "$BIN/python" examples/build_image.py "$IMAGES/web/$1" "$1" --service web --port 3000 >/dev/null
}
trap 'printf "\n\033[1;31mThe demo stopped early.\033[0m The sandbox keeps running for a look around; stop it with: %s\n" "$STOP"' ERR

step "1/6  Build release v1 of the example app (examples/app: api on 8000, web on 3000 calling api)"
build v1

step "2/6  Deploy v1: the ALB role, the cluster role, then api, then web (web calls api, so it goes second)"
run "$BIN/ansible-playbook" playbooks/deploy.yml -i "$INVENTORY" -e ecsops_release=v1

step "3/6  Requests through the load balancer: who answers"
run "$BIN/ansible-playbook" playbooks/demo_traffic.yml -i "$INVENTORY"

step "4/6  Release v2: build, deploy (a rolling deployment per service, waited on to the end), ask again"
build v2
run "$BIN/ansible-playbook" playbooks/deploy.yml -i "$INVENTORY" -e ecsops_release=v2
run "$BIN/ansible-playbook" playbooks/demo_traffic.yml -i "$INVENTORY"

step "5/6  Release v3 of web is bad: its container exits at start (a sandbox fault); deploy.yml must fail"
build v3
digest=$("$BIN/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$IMAGES/web/v3/index.json")
run curl -sS -o /dev/null -X POST "$ENDPOINT/_sandbox/faults" -H 'Content-Type: application/json' \
  -d "{\"match\": {\"image\": \"$digest\"}, \"effect\": \"crash\"}"
if run "$BIN/ansible-playbook" playbooks/deploy.yml -i "$INVENTORY" -e ecsops_release=v3 --limit web; then
  echo "demo: deploying a crashing release succeeded, which it must not"; exit 1
fi
echo "deploy.yml failed, as it should: the circuit breaker rolled web back, and web still runs v2:"
run "$BIN/ansible-playbook" playbooks/demo_traffic.yml -i "$INVENTORY" -e demo_requests=2

step "6/6  Done"
cat <<DONE
In the sandbox at $ENDPOINT, deploy.yml laid a VPC, an ALB with an HTTPS listener and host rules, an ECS
cluster with log groups, roles and a Cloud Map namespace; published each release of api and web to ECR;
and rolled them out, waiting for each deployment's real outcome. v3 failed and was rolled back.
The sandbox keeps running, so you can look around, e.g.:
  $BIN/ansible-playbook playbooks/demo_traffic.yml -i $INVENTORY
  $BIN/ansible-playbook playbooks/rollback.yml -i $INVENTORY --limit api
Stop it with:  $STOP
DONE
