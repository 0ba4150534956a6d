#!/usr/bin/env bash
# Start or stop one throw-away etcd member on loopback.
#   hack/etcd.sh start [--port 2379] [--dir DIR] [--name NAME] [--pki DIR]   prints the PID once healthy
#   hack/etcd.sh stop  [--port 2379]                              SIGKILL by recorded PID, waits for it
# The PID is recorded in .run/etcd-<port>.pid; the data dir is removed on stop
# unless it was given with --dir.
#
# By default etcd serves https://127.0.0.1:<port> and only answers clients with a
# certificate of the CA in --pki (default $STOWAGE_PKI or .run/pki, made by
# hack/ca.sh when missing): `--client-cert-auth`. Servers open it with
#   --etcd https://127.0.0.1:<port> --etcd-ca PKI/ca.pem --etcd-cert PKI/etcd-client.pem --etcd-key PKI/etcd-client-key.pem
# ETCD_TLS=0 starts a plain http:// member that asks for no credentials (the tests' etcd).
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}; shift || true
port=2379; dir=""; name=s1; pki=${STOWAGE_PKI:-.run/pki}
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --pki) pki=$2; shift 2 ;;
    *) echo "hack/etcd.sh: unknown flag $1" >&2; exit 2 ;;
  esac
done
mkdir -p .run
pidf=.run/etcd-$port.pid
case "$cmd" in
  start)
    command -v etcd >/dev/null || hack/install-deps.sh etcd
    if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
      echo "etcd already running on 127.0.0.1:$port (pid $(cat "$pidf"))" >&2; cat "$pidf"; exit 0
    fi
    own=0
    if [ -z "$dir" ]; then dir=$(mktemp -d /tmp/stowage-etcd-$port.XXXX); own=1; fi
    peer=$((port + 1))
    scheme=http; tls=(); ctl=()
    case "${ETCD_TLS:-1}" in
      0|off|false|no) ;;
      1|on|true|yes)
        pki=$(hack/ca.sh "$pki")
        scheme=https
        tls=(--client-cert-auth --trusted-ca-file "$pki/ca.pem" --cert-file "$pki/etcd.pem" --key-file "$pki/etcd-key.pem")
        ctl=(--cacert "$pki/ca.pem" --cert "$pki/etcd-client.pem" --key "$pki/etcd-client-key.pem") ;;
      *) echo "hack/etcd.sh: ETCD_TLS=\"$ETCD_TLS\" is not 1 (client-certificate TLS, the default) or 0 (plain http)" >&2; exit 2 ;;
    esac
    etcd --name "$name" --data-dir "$dir" "${tls[@]}" \
      --listen-client-urls "$scheme://127.0.0.1:$port" --advertise-client-urls "$scheme://127.0.0.1:$port" \
      --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
      --initial-cluster "$name=http://127.0.0.1:$peer" \
      --auto-compaction-retention 5m >"$dir.log" 2>&1 &
    pid=$!
    echo "$pid" >"$pidf"
    [ $own = 1 ] && echo "$dir" >".run/etcd-$port.dir"
    for _ in $(seq 100); do
      if ETCDCTL_API=3 etcdctl --endpoints "$scheme://127.0.0.1:$port" "${ctl[@]}" endpoint health >/dev/null 2>&1; then echo "$pid"; exit 0; fi
      kill -0 "$pid" 2>/dev/null || { echo "etcd exited: $(tail -3 "$dir.log")" >&2; exit 1; }
      sleep 0.1
    done
    echo "etcd on 127.0.0.1:$port did not become healthy; log: $dir.log" >&2; exit 1 ;;
  stop)
    [ -f "$pidf" ] || exit 0
    pid=$(cat "$pidf")
    kill -9 "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    rm -f "$pidf"
    if [ -f ".run/etcd-$port.dir" ]; then d=$(cat ".run/etcd-$port.dir"); rm -rf "$d" "$d.log"; rm -f ".run/etcd-$port.dir"; fi ;;
  *) echo "usage: hack/etcd.sh start|stop [--port PORT] [--dir DIR] [--name NAME] [--pki DIR]" >&2; exit 2 ;;
esac
