#!/usr/bin/env bash
# `make down`: stop what `make up` started (by the PIDs it recorded),
# remove the agent's containers by their stowage.node label, and forget the
# throw-away CA, the tokens and the stowctl config `make up` wrote (only if it
# still holds make up's admin token).
set -uo pipefail
cd "$(dirname "$0")/.."
stop_pid() {
  local f=$1; [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$f"
}
PROMETHEUS_LISTEN=${PROMETHEUS_LISTEN:-127.0.0.1:9090} hack/prometheus.sh stop --purge
stop_pid .run/proxy.pid
stop_pid .run/agent.pid
if [ -f .run/agent.node ] && docker info >/dev/null 2>&1; then
  ids=$(docker ps -aq --filter "label=stowage.node=$(cat .run/agent.node)")
  [ -n "$ids" ] && docker rm -f $ids >/dev/null
  rm -f .run/agent.node
fi
stop_pid .run/server.pid
for f in .run/etcd-*.pid; do [ -f "$f" ] || continue; p=${f#.run/etcd-}; hack/etcd.sh stop --port "${p%.pid}"; done
rm -rf .run/etcd-data
cfg=${STOWAGE_CONFIG:-$HOME/.stowage/config}
if [ -s .run/tokens/admin.token ] && [ -f "$cfg" ] && grep -qF "$(cat .run/tokens/admin.token)" "$cfg"; then rm -f "$cfg"; fi
rm -rf .run/tokens .run/tokens.yaml .run/pki
hack/dockerd.sh stop
echo "stopped"
