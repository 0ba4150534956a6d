#!/usr/bin/env bash
# `make up`: everything on this machine, on loopback, in the background:
# etcd on 127.0.0.1:2379, dockerd (if none answers), the test image, one
# `stowage server` on 127.0.0.1:7070 (DNS on 127.0.0.1:8600), one agent, one `stowage proxy` (service ports
# on 127.0.0.1, its /metrics on 127.0.0.1:7072), Prometheus on 127.0.0.1:9090
# (PROMETHEUS_LISTEN; scraping both, with manifests/prometheus/rules.yml),
# and manifests/examples applied.
# PIDs and logs go to .run/; `make down` stops exactly what this started.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .run
ETCD_PORT=${ETCD_PORT:-2379}
API=${STOWAGE_LISTEN:-127.0.0.1:7070}
PROXY=${PROXY_LISTEN:-127.0.0.1:7072}
DNS=${DNS_LISTEN:-127.0.0.1:8600}
NODE=${STOWAGE_NODE:-$(hostname | tr 'A-Z' 'a-z' | tr -c 'a-z0-9.\n-' '-')}
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

hack/install-deps.sh etcd docker busybox prometheus npm

say "etcd on 127.0.0.1:$ETCD_PORT"
if ! alive .run/etcd-$ETCD_PORT.pid; then
  mkdir -p .run/etcd-data
  hack/etcd.sh start --port "$ETCD_PORT" --dir "$PWD/.run/etcd-data" >/dev/null
fi

say "Docker engine"
hack/dockerd.sh start
hack/build-image.sh

say "stowage server on $API (DNS on $DNS)"
if ! alive .run/server.pid; then
  bin/stowage server --etcd "http://127.0.0.1:$ETCD_PORT" --listen "$API" --dns-listen "$DNS" >.run/server.log 2>&1 &
  echo $! >.run/server.pid
fi
for _ in $(seq 100); do curl -sf "http://$API/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://$API/readyz" >/dev/null || { echo "server did not become ready: $(tail -3 .run/server.log)" >&2; exit 1; }

say "stowage agent (node $NODE)"
if ! alive .run/agent.pid; then
  bin/stowage agent --etcd "http://127.0.0.1:$ETCD_PORT" --node "$NODE" >.run/agent.log 2>&1 &
  echo $! >.run/agent.pid
  echo "$NODE" >.run/agent.node
fi
export STOWAGE_SERVER="http://$API"
for _ in $(seq 100); do bin/stowctl get nodes 2>/dev/null | grep "^$NODE " >/dev/null && break; sleep 0.1; done

say "stowage proxy (service ports on 127.0.0.1; /metrics on $PROXY)"
if ! alive .run/proxy.pid; then
  bin/stowage proxy --server "http://$API" --listen "$PROXY" >.run/proxy.log 2>&1 &
  echo $! >.run/proxy.pid
fi
# Not fatal: it keeps trying the server's endpoints watch by itself.
for _ in $(seq 50); do curl -sf "http://$PROXY/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
if curl -sf "http://$PROXY/healthz" >/dev/null 2>&1; then
  proxy_msg="Proxy: a service port P answers at 127.0.0.1:P; metrics: curl -s http://$PROXY/metrics | grep ^stowage_proxy_"
else
  proxy_msg="The proxy has no endpoints list yet (see .run/proxy.log); it keeps trying"
fi

PROM=${PROMETHEUS_LISTEN:-127.0.0.1:9090}
say "Prometheus on $PROM"
# Not fatal: the cluster is up without it (say, when something else holds the port).
if STOWAGE_SERVER="http://$API" PROMETHEUS_LISTEN="$PROM" hack/prometheus.sh start >/dev/null; then
  prom_msg="Prometheus: http://$PROM (targets: /targets, alerts: /alerts; it finds every server and agent itself)"
else
  prom_msg="Prometheus did not start (see above); set PROMETHEUS_LISTEN and run hack/prometheus.sh start"
fi

say "applying manifests/examples/"
bin/stowctl apply -f manifests/examples/
for _ in $(seq 60); do
  h=$(bin/stowctl get service hello -o json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).status?.healthy??0)}catch{console.log(0)}})')
  [ "${h:-0}" -ge 1 ] && break
  sleep 0.5
done
bin/stowctl get services
cat <<MSG

Stowage is up. Try:
  export STOWAGE_SERVER=http://$API
  bin/stowctl get tasks -o wide             # the example's instances, their node and ports
  bin/stowctl get nodes
  docker kill \$(docker ps -q --filter label=stowage.task | head -1)
  bin/stowctl get tasks -w                  # watch a replacement come up
  bin/stowctl scale service/hello --instances 3
  curl -s http://$API/metrics | grep ^stowage_
$prom_msg
$proxy_msg
DNS: dig @${DNS%:*} -p ${DNS##*:} +short SRV _<port>._tcp.<service>.default.stowage
Logs are in .run/; \`make down\` stops everything this started.
MSG
