#!/usr/bin/env bash
# Start, stop or check a throw-away etcd on loopback: one member, or a cluster of
# ETCD_MEMBERS members (3 for a cluster that survives the loss of one).
#   hack/etcd.sh start  [--port 2379] [--dir DIR] [--name NAME] [--pki DIR]   prints the PIDs once healthy
#   hack/etcd.sh stop   [--port 2379]                              SIGKILL by recorded PID, waits for it
#   hack/etcd.sh status [--port 2379]                              one line per member; non-zero if one is down
#   hack/etcd.sh endpoints [--port 2379]                           the client URLs, comma-separated (for --etcd)
# Member i (0-based) serves clients on <port>+i and talks to its peers on
# <port>+ETCD_MEMBERS+i: one member uses <port> and <port>+1; three use
# <port>..<port>+2 and <port>+3..<port>+5.
# Each member's PID is recorded in .run/etcd-<client port>.pid; its data dir is
# DIR (one member) or DIR/<name>-<i> (several), a temporary one kept in
# .run/etcd-<client port>.dir when --dir is not given, and removed on stop.
# `start` leaves running members alone and starts the others on their old data:
# after a member is killed, `start` again brings it back into its cluster.
#
# By default etcd serves https://127.0.0.1:<port> and only answers clients with a
# certificate of the CA in --pki (default $STOWAGE_PKI or .run/pki, made by
# hack/ca.sh when missing): `--client-cert-auth`. Servers open it with
#   --etcd https://127.0.0.1:<port>[,...] --etcd-ca PKI/ca.pem --etcd-cert PKI/etcd-client.pem --etcd-key PKI/etcd-client-key.pem
# ETCD_TLS=0 starts plain http:// members that ask for no credentials (the tests' etcd).
# Peers always talk plain http on loopback.
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
n=${ETCD_MEMBERS:-1}
[[ "$n" =~ ^[1-9]$ ]] || { echo "hack/etcd.sh: ETCD_MEMBERS=\"$n\" is not a member count from 1 to 9 (3 survives the loss of one)" >&2; exit 2; }
mkdir -p .run
scheme=http; tls=(); ctl=()
case "${ETCD_TLS:-1}" in
  0|off|false|no) ;;
  1|on|true|yes)
    scheme=https
    if [ "$cmd" = start ] || [ "$cmd" = status ]; then
      pki=$(hack/ca.sh "$pki")
      tls=(--client-cert-auth --trusted-ca-file "$pki/ca.pem" --cert-file "$pki/etcd.pem" --key-file "$pki/etcd-key.pem")
      ctl=(--cacert "$pki/ca.pem" --cert "$pki/etcd-client.pem" --key "$pki/etcd-client-key.pem")
    fi ;;
  *) echo "hack/etcd.sh: ETCD_TLS=\"$ETCD_TLS\" is not 1 (client-certificate TLS, the default) or 0 (plain http)" >&2; exit 2 ;;
esac
client() { echo $((port + $1)); }
peer() { echo $((port + n + $1)); }
mname() { if [ "$n" = 1 ]; then echo "$name"; else echo "$name-$1"; fi; }
alive() { local f=.run/etcd-$(client "$1").pid; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }
healthy() { ETCDCTL_API=3 etcdctl --endpoints "$scheme://127.0.0.1:$(client "$1")" "${ctl[@]}" --dial-timeout 1s --command-timeout 1s endpoint health >/dev/null 2>&1; }
endpoints() { local i eps=(); for ((i = 0; i < n; i++)); do eps+=("$scheme://127.0.0.1:$(client $i)"); done; (IFS=,; echo "${eps[*]}"); }

start_member() {
  local i=$1 c p d state=new cluster="" j
  c=$(client "$i"); p=$(peer "$i")
  for ((j = 0; j < n; j++)); do cluster+="${cluster:+,}$(mname $j)=http://127.0.0.1:$(peer $j)"; done
  if [ -f ".run/etcd-$c.dir" ]; then d=$(cat ".run/etcd-$c.dir")
  elif [ -n "$dir" ]; then if [ "$n" = 1 ]; then d=$dir; else d=$dir/$(mname "$i"); fi; mkdir -p "$(dirname "$d")"
  else d=$(mktemp -d "/tmp/stowage-etcd-$c.XXXX"); echo "$d" >".run/etcd-$c.dir"; fi
  # an existing member's data says which cluster it belongs to; the flag only matters for a new one
  [ -d "$d/member" ] && state=existing
  etcd --name "$(mname "$i")" --data-dir "$d" "${tls[@]}" \
    --listen-client-urls "$scheme://127.0.0.1:$c" --advertise-client-urls "$scheme://127.0.0.1:$c" \
    --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
    --initial-cluster "$cluster" --initial-cluster-state "$state" \
    --auto-compaction-retention 5m >>"$d.log" 2>&1 &
  echo $! >".run/etcd-$c.pid"
  echo "$d.log" >".run/etcd-$c.log"
}

case "$cmd" in
  start)
    command -v etcd >/dev/null || hack/install-deps.sh etcd
    started=()
    for ((i = 0; i < n; i++)); do
      if alive "$i"; then echo "etcd already running on 127.0.0.1:$(client $i) (pid $(cat .run/etcd-$(client $i).pid))" >&2
      else start_member "$i"; started+=("$i"); fi
    done
    # a member answers `endpoint health` once its cluster has a quorum
    for ((i = 0; i < n; i++)); do
      ok=0
      for _ in $(seq 150); do
        if healthy "$i"; then ok=1; break; fi
        alive "$i" || { echo "etcd on 127.0.0.1:$(client $i) exited: $(tail -15 "$(cat .run/etcd-$(client $i).log)")" >&2; exit 1; }
        sleep 0.1
      done
      [ $ok = 1 ] || { echo "etcd on 127.0.0.1:$(client $i) did not become healthy; log: $(cat .run/etcd-$(client $i).log)" >&2; exit 1; }
    done
    for ((i = 0; i < n; i++)); do cat ".run/etcd-$(client $i).pid"; done ;;
  stop)
    for ((i = 0; i < n; i++)); do
      c=$(client "$i"); pidf=.run/etcd-$c.pid
      [ -f "$pidf" ] || continue
      pid=$(cat "$pidf")
      kill -9 "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
      rm -f "$pidf" ".run/etcd-$c.log"
      if [ -f ".run/etcd-$c.dir" ]; then d=$(cat ".run/etcd-$c.dir"); rm -rf "$d" "$d.log"; rm -f ".run/etcd-$c.dir"; fi
    done ;;
  status)
    down=0
    for ((i = 0; i < n; i++)); do
      c=$(client "$i")
      if ! alive "$i"; then echo "$(mname $i) $scheme://127.0.0.1:$c stopped"; down=1
      elif healthy "$i"; then echo "$(mname $i) $scheme://127.0.0.1:$c healthy (pid $(cat .run/etcd-$c.pid))"
      else echo "$(mname $i) $scheme://127.0.0.1:$c running, unhealthy: no quorum (pid $(cat .run/etcd-$c.pid))"; down=1; fi
    done
    exit $down ;;
  endpoints) endpoints ;;
  *) echo "usage: [ETCD_MEMBERS=3] [ETCD_TLS=0] hack/etcd.sh start|stop|status|endpoints [--port PORT] [--dir DIR] [--name NAME] [--pki DIR]" >&2; exit 2 ;;
esac
