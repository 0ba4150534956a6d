#!/usr/bin/env bash
# Back up and restore Stowage's etcd with etcd's own tools (README, Backup and restore).
#   hack/backup.sh save FILE                 etcdctl snapshot save: one member's snapshot to FILE
#   hack/backup.sh restore FILE DIR [--name s1] [--peer-url http://127.0.0.1:2380]
#                                            the snapshot into DIR, a new data dir, for one
#                                            new member; then start etcd on DIR (printed)
# save reaches etcd at $ETCD_ENDPOINTS (default https://127.0.0.1:2379, hack/etcd.sh's) with
# the client certificate of $STOWAGE_PKI (default .run/pki) for https:// endpoints; etcdctl's own
# ETCDCTL_CACERT / ETCDCTL_CERT / ETCDCTL_KEY / ETCDCTL_USER win when set.
# `stowctl admin backup FILE` takes the same snapshot through the API, with an admin token.
# restore uses etcdutl where it exists (etcd 3.5+), else etcdctl (etcd 3.4, Debian 12's).
set -euo pipefail
export ETCDCTL_API=3
cmd=${1:-}; shift || true
usage() { echo "usage: hack/backup.sh save FILE | restore FILE DIR [--name NAME] [--peer-url URL]" >&2; exit 2; }
case "$cmd" in
  save)
    [ $# -eq 1 ] && [ -n "$1" ] || usage
    file=$1
    endpoints=${ETCD_ENDPOINTS:-https://127.0.0.1:2379}
    tls=()
    case "$endpoints" in
      https://*)
        pki=${STOWAGE_PKI:-$(dirname "$0")/../.run/pki}
        [ -n "${ETCDCTL_CACERT:-}" ] || tls+=(--cacert "$pki/ca.pem")
        [ -n "${ETCDCTL_CERT:-}" ] || tls+=(--cert "$pki/etcd-client.pem" --key "$pki/etcd-client-key.pem") ;;
    esac
    # one endpoint: a snapshot is one member's (etcdctl refuses several)
    first=${endpoints%%,*}
    # etcdctl writes FILE.part and renames it once whole, so FILE is never half-written
    umask 077
    etcdctl --endpoints "$first" "${tls[@]}" snapshot save "$file" >&2
    etcdctl --write-out table snapshot status "$file" ;;
  restore)
    [ $# -ge 2 ] || usage
    file=$1 dir=$2; shift 2
    name=s1 peer=http://127.0.0.1:2380
    while [ $# -gt 0 ]; do
      case "$1" in
        --name) name=$2; shift 2 ;;
        --peer-url) peer=$2; shift 2 ;;
        *) echo "hack/backup.sh: unknown flag $1" >&2; exit 2 ;;
      esac
    done
    [ -f "$file" ] || { echo "hack/backup.sh: FILE: no snapshot at $file" >&2; exit 2; }
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
      echo "hack/backup.sh: DIR: $dir exists and is not empty; restore into a new data dir (etcd's own stays untouched until you switch)" >&2; exit 2
    fi
    [ -d "$dir" ] && rmdir "$dir"
    tool=etcdctl; command -v etcdutl >/dev/null && tool=etcdutl
    "$tool" snapshot restore "$file" --data-dir "$dir" --name "$name" \
      --initial-cluster "$name=$peer" --initial-advertise-peer-urls "$peer" >&2
    echo "restored $file into $dir (member $name, peer $peer); start etcd on it:"
    echo "  etcd --name $name --data-dir $dir --listen-peer-urls $peer --initial-advertise-peer-urls $peer --listen-client-urls URL --advertise-client-urls URL" ;;
  *) usage ;;
esac
