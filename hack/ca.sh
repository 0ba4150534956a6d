#!/usr/bin/env bash
# A throw-away certificate authority for one machine (tests and `make up`), made with openssl.
#   hack/ca.sh [DIR]      default DIR: $STOWAGE_PKI or .run/pki
# Makes what is missing in DIR (an existing file is kept, so a second run changes nothing):
#   ca.pem, ca-key.pem                   the CA (valid 30 days)
#   etcd.pem, etcd-key.pem               etcd's server certificate, for 127.0.0.1 and localhost
#   etcd-client.pem, etcd-client-key.pem the client certificate servers (and --etcd agents) open etcd with
#   api.pem, api-key.pem                 the API server's certificate (--tls-cert/--tls-key), 127.0.0.1 and localhost
#   agent.pem, agent-key.pem             the agents' endpoint certificate, 127.0.0.1 and localhost
# Keys are mode 0600 and DIR 0700: only the user running the servers reads them.
# Prints DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-${STOWAGE_PKI:-.run/pki}}
command -v openssl >/dev/null || { echo "hack/ca.sh: openssl is not installed (apt-get install -y openssl)" >&2; exit 1; }
umask 077
mkdir -p "$dir"
chmod 700 "$dir"
dir=$(cd "$dir" && pwd)
log=$dir/openssl.log
days=30
# RSA keys: every TLS client can use them, even busybox wget (no signature_algorithms
# extension, so it can only agree with an RSA certificate on an RSA key exchange).
key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" >>"$log" 2>&1; chmod 600 "$1"; }

if [ ! -s "$dir/ca.pem" ] || [ ! -s "$dir/ca-key.pem" ]; then
  rm -f "$dir"/*.pem "$dir/ca.srl"
  key "$dir/ca-key.pem"
  openssl req -x509 -new -key "$dir/ca-key.pem" -out "$dir/ca.pem" -days "$days" -subj "/CN=stowage-throwaway-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" >>"$log" 2>&1 \
    || { echo "hack/ca.sh: openssl could not make the CA; see $log" >&2; exit 1; }
fi

# cert NAME CN USAGE [SAN]: NAME.pem and NAME-key.pem signed by the CA
cert() {
  local name=$1 cn=$2 usage=$3 san=${4:-}
  [ -s "$dir/$name.pem" ] && [ -s "$dir/$name-key.pem" ] && return 0
  key "$dir/$name-key.pem"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } >"$dir/$name.ext"
  openssl req -new -key "$dir/$name-key.pem" -subj "/CN=$cn" -out "$dir/$name.csr" >>"$log" 2>&1 &&
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial \
      -out "$dir/$name.pem" -days "$days" -extfile "$dir/$name.ext" >>"$log" 2>&1 ||
    { echo "hack/ca.sh: openssl could not make $name.pem; see $log" >&2; exit 1; }
  rm -f "$dir/$name.csr" "$dir/$name.ext"
  chmod 644 "$dir/$name.pem"
}
local_san="IP:127.0.0.1,DNS:localhost"
cert etcd 127.0.0.1 serverAuth,clientAuth "$local_san"
cert etcd-client stowage-server clientAuth
cert api 127.0.0.1 serverAuth "$local_san"
cert agent 127.0.0.1 serverAuth "$local_san"
chmod 644 "$dir/ca.pem"
echo "$dir"
