#!/usr/bin/env bash
# `make up`: everything on this machine, on loopback, in the background, locked:
# a throw-away CA (hack/ca.sh, .run/pki), etcd on https://127.0.0.1:2379 that
# answers only holders of its client certificate (ETCD_TLS=0: plain; ETCD_MEMBERS=3:
# three members on 2379..2381), dockerd
# (if none answers), the test image, API tokens (.run/tokens.yaml holds their
# sha256 only; the tokens are in .run/tokens/, mode 0600), one `stowage server`
# on https://127.0.0.1:7070 with --tokens (DNS on 127.0.0.1:8600), one agent
# (HTTPS endpoint; on the agent API with a node token, no etcd credentials), one `stowage proxy`
# (service ports on 127.0.0.1, its /metrics on 127.0.0.1:7072), Prometheus on
# 127.0.0.1:9090 (PROMETHEUS_LISTEN; scraping both over TLS, with
# manifests/prometheus/rules.yml), stowctl's config (`stowctl login`: server,
# admin token and CA in ~/.stowage/config, or $STOWAGE_CONFIG; mode 0600) and
# manifests/examples applied.
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

say "certificates in .run/pki (a throw-away CA)"
PKI=$(hack/ca.sh "$PWD/.run/pki")
CA=$PKI/ca.pem

# ETCD_MEMBERS=3: a three-member cluster, clients on ETCD_PORT..ETCD_PORT+2
# (peers on the next three); the server gets every member's endpoint
# (the agent is on the server's API and takes none).
export ETCD_MEMBERS=${ETCD_MEMBERS:-1}
EPS=$(hack/etcd.sh endpoints --port "$ETCD_PORT")
case "${ETCD_TLS:-1}" in
  0|off|false|no) ETCD=(--etcd "$EPS"); etcd_msg="plain http, no credentials (ETCD_TLS=0)" ;;
  *) ETCD=(--etcd "$EPS" --etcd-ca "$CA" --etcd-cert "$PKI/etcd-client.pem" --etcd-key "$PKI/etcd-client-key.pem")
     etcd_msg="TLS, client certificates of .run/pki only" ;;
esac
say "etcd: $ETCD_MEMBERS member(s), $EPS ($etcd_msg)"
# starts only the members not running (all of them the first time)
mkdir -p .run/etcd-data
hack/etcd.sh start --port "$ETCD_PORT" --dir "$PWD/.run/etcd-data" --pki "$PKI" >/dev/null

say "API tokens (.run/tokens.yaml: their sha256 only)"
# one token per user, kept across runs; the file the server reads holds hashes
( umask 077; mkdir -p .run/tokens )
token() { local f=.run/tokens/$1.token; [ -s "$f" ] || ( umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f" ); printf %s "$f"; }
sha() { sha256sum <"$1" | cut -d' ' -f1; }
ADMIN_TOKEN=$(token admin); PROXY_TOKEN=$(token stowage-proxy); PROM_TOKEN=$(token prometheus); NODE_TOKEN=$(token "node-$NODE")
( umask 077; cat >.run/tokens.yaml.tmp <<Y
# Who may call the API (stowage server --tokens): sha256 of each token, never the token.
tokens:
  - {user: admin, role: admin, sha256: $(sha "$ADMIN_TOKEN")}
  - {user: stowage-proxy, role: viewer, sha256: $(sha "$PROXY_TOKEN")}
  - {user: prometheus, role: viewer, sha256: $(sha "$PROM_TOKEN")}
  - {user: $NODE, role: node, sha256: $(sha "$NODE_TOKEN")}
Y
)
mv .run/tokens.yaml.tmp .run/tokens.yaml
ready() { curl -sf --cacert "$CA" "https://$API/readyz" >/dev/null 2>&1; }

say "Docker engine"
hack/dockerd.sh start
hack/build-image.sh

say "stowage server on https://$API (DNS on $DNS)"
if ! alive .run/server.pid; then
  bin/stowage server "${ETCD[@]}" --listen "$API" --dns-listen "$DNS" --tokens .run/tokens.yaml \
    --tls-cert "$PKI/api.pem" --tls-key "$PKI/api-key.pem" --agent-ca "$CA" >.run/server.log 2>&1 &
  echo $! >.run/server.pid
fi
for _ in $(seq 100); do ready && break; sleep 0.1; done
ready || { echo "server did not become ready: $(tail -3 .run/server.log)" >&2; exit 1; }

say "stowctl login (server, admin token and CA in ${STOWAGE_CONFIG:-~/.stowage/config})"
# the config's server is the one every later stowctl talks to
unset STOWAGE_SERVER
bin/stowctl login --server "https://$API" --token-file "$ADMIN_TOKEN" --ca "$CA"

say "stowage agent (node $NODE)"
if ! alive .run/agent.pid; then
  # on the servers' agent API with a node token: the agent holds no etcd credentials
  bin/stowage agent --server "https://$API" --server-ca "$CA" --token-file "$NODE_TOKEN" --node "$NODE" \
    --tls-cert "$PKI/agent.pem" --tls-key "$PKI/agent-key.pem" >.run/agent.log 2>&1 &
  echo $! >.run/agent.pid
  echo "$NODE" >.run/agent.node
fi
for _ in $(seq 100); do bin/stowctl get nodes 2>/dev/null | grep "^$NODE " >/dev/null && break; sleep 0.1; done

say "stowage proxy (service ports on 127.0.0.1; /metrics on $PROXY)"
if ! alive .run/proxy.pid; then
  bin/stowage proxy --server "https://$API" --server-ca "$CA" --token-file "$PROXY_TOKEN" --listen "$PROXY" >.run/proxy.log 2>&1 &
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
if STOWAGE_SERVER="https://$API" STOWAGE_CA="$CA" STOWAGE_TOKEN_FILE="$PWD/$PROM_TOKEN" PROMETHEUS_LISTEN="$PROM" hack/prometheus.sh start >/dev/null; then
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

Stowage is up at https://$API: stowctl finds the server, the admin token and the CA
in ${STOWAGE_CONFIG:-~/.stowage/config} (bin/stowctl config view). Try:
  bin/stowctl get tasks -o wide             # the example's instances, their node and ports
  bin/stowctl get nodes
  docker kill \$(docker ps -q --filter label=stowage.task | head -1)
  bin/stowctl get tasks -w                  # watch a replacement come up
  bin/stowctl scale service/hello --instances 3
  curl -s --cacert $CA https://$API/metrics | grep ^stowage_
The web UI: https://$API/ (trust $CA, or accept the warning; sign in with the token in $ADMIN_TOKEN)
Tokens: .run/tokens/ (the server reads only their hashes, .run/tokens.yaml); etcd answers only .run/pki's client certificate
$prom_msg
$proxy_msg
DNS: dig @${DNS%:*} -p ${DNS##*:} +short SRV _<port>._tcp.<service>.default.stowage
Logs are in .run/; \`make down\` stops everything this started.
MSG
