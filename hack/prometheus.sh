#!/usr/bin/env bash
# Start or stop a Prometheus (Debian's `prometheus`, 2.42) that scrapes Stowage.
#   hack/prometheus.sh start|stop|status [--purge]
# Environment:
#   STOWAGE_SERVER              a server's URL (default http://127.0.0.1:7070): Prometheus asks it
#                               for targets (GET /api/v1/sd/targets) and finds every server and agent;
#                               with https:// it scrapes every target over https too
#   STOWAGE_CA                  PEM CA the server and agents are verified against (https)
#   STOWAGE_TOKEN_FILE          a file holding an API token (a server with --tokens asks for one;
#                               role viewer is enough); sent to the server and on every scrape
#   PROMETHEUS_LISTEN           where Prometheus listens (default 127.0.0.1:9090)
#   PROMETHEUS_SCRAPE_INTERVAL  scrape and rule evaluation interval (default 5s)
#   PROMETHEUS_SD_REFRESH       how often it asks for targets again (default 10s)
#
# start: installs prometheus if missing (hack/install-deps.sh prometheus), renders
#   manifests/prometheus/prometheus.yml into .run/prometheus-<port>/ (checked by
#   promtool with manifests/prometheus/rules.yml), starts Prometheus with its data in
#   .run/prometheus-<port>/data, records its PID in .run/prometheus-<port>.pid, waits
#   until /-/ready answers and prints its URL. A Prometheus this script started on that
#   address and still running is reloaded with the newly rendered config instead.
# stop: SIGTERM by the recorded PID (SIGKILL after 15 s); --purge also deletes its data.
# status: says whether the recorded Prometheus runs and is ready.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}; shift || true
purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --purge) purge=1; shift ;;
    *) echo "hack/prometheus.sh: unknown flag $1" >&2; exit 2 ;;
  esac
done
server=${STOWAGE_SERVER:-http://127.0.0.1:7070}
server=${server%/}
listen=${PROMETHEUS_LISTEN:-127.0.0.1:9090}
interval=${PROMETHEUS_SCRAPE_INTERVAL:-5s}
refresh=${PROMETHEUS_SD_REFRESH:-10s}
ca=${STOWAGE_CA:-}
token_file=${STOWAGE_TOKEN_FILE:-}
for f in "$ca" "$token_file"; do
  [ -z "$f" ] || [ -r "$f" ] || { echo "hack/prometheus.sh: cannot read $f (STOWAGE_CA / STOWAGE_TOKEN_FILE)" >&2; exit 2; }
done
[ -z "$ca" ] || ca=$(readlink -f "$ca")
[ -z "$token_file" ] || token_file=$(readlink -f "$token_file")
[[ "$listen" =~ ^(\[[^]]+\]|[^:]+):([0-9]+)$ ]] || { echo "PROMETHEUS_LISTEN: \"$listen\" is not HOST:PORT" >&2; exit 2; }
port=${BASH_REMATCH[2]}
[[ "$server" =~ ^https?://[][A-Za-z0-9._:-]+$ ]] || { echo "STOWAGE_SERVER: \"$server\" is not a URL like http://127.0.0.1:7070" >&2; exit 2; }
for d in "$interval" "$refresh"; do
  [[ "$d" =~ ^[0-9]+(ms|s|m|h)$ ]] || { echo "hack/prometheus.sh: \"$d\" is not a Prometheus duration like 5s" >&2; exit 2; }
done
mkdir -p .run
run=$PWD/.run
dir=$run/prometheus-$port
pidf=$run/prometheus-$port.pid
url=http://$listen

# PID of the Prometheus this script started on this port, if it still runs.
our_pid() {
  [ -f "$pidf" ] || return 1
  local p; p=$(cat "$pidf" 2>/dev/null) || return 1
  [ -n "$p" ] && [ -r "/proc/$p/cmdline" ] || return 1
  local c; c=$(tr '\0' ' ' <"/proc/$p/cmdline")
  [[ "${c%% *}" == prometheus || "${c%% *}" == */prometheus ]] && [[ "$c" == *" --web.listen-address=$listen "* ]] && echo "$p"
}
ready() { curl -sf -m 2 "$url/-/ready" >/dev/null 2>&1; }

render() {
  local rules=$PWD/manifests/prometheus/rules.yml
  mkdir -p "$dir/data"
  sed -e "s#http://127.0.0.1:7070#$server#g" \
      -e "s#^\(  scrape_interval:\) .*#\1 $interval#" \
      -e "s#^\(  evaluation_interval:\) .*#\1 $interval#" \
      -e "s#^\(        refresh_interval:\) .*#\1 $refresh#" \
      -e "s#^  - rules.yml\$#  - $rules#" \
      manifests/prometheus/prometheus.yml |
    # TLS and the token: on each job (its scrapes) and on each http_sd_configs entry (the target lists)
    awk -v https="$([[ $server == https://* ]] && echo 1)" -v ca="$ca" -v tf="$token_file" '
      { print }
      /^  - job_name:/ {
        if (https) print "    scheme: https"
        if (ca) print "    tls_config: {ca_file: \"" ca "\"}"
        if (tf) print "    authorization: {type: Bearer, credentials_file: \"" tf "\"}"
      }
      /^        refresh_interval:/ {
        if (ca) print "        tls_config: {ca_file: \"" ca "\"}"
        if (tf) print "        authorization: {type: Bearer, credentials_file: \"" tf "\"}"
      }' >"$dir/prometheus.yml"
  local out
  out=$(timeout 30 promtool check config "$dir/prometheus.yml" 2>&1) || { echo "promtool check config $dir/prometheus.yml failed:" >&2; echo "$out" >&2; return 1; }
}

start() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null || hack/install-deps.sh prometheus
  # Two starts at once (two test files) must not race each other.
  exec 9>"$run/prometheus-$port.lock"; flock -w 60 9 || { echo "another hack/prometheus.sh holds $run/prometheus-$port.lock" >&2; return 1; }
  local p
  if p=$(our_pid); then
    render
    kill -HUP "$p"
    echo "Prometheus already running on $url (pid $p): reloaded its config" >&2
    echo "$url"; return 0
  fi
  if curl -s -m 2 -o /dev/null "$url/" 2>/dev/null; then
    echo "something else already answers on $url: not starting Prometheus there (set PROMETHEUS_LISTEN)" >&2; return 1
  fi
  render
  rm -f "$pidf"
  # setsid: Prometheus outlives the shell or test runner that started it. Every
  # descriptor but 0-2 is closed (9, the lock, first): a kept one would hold a
  # caller's pipe open, or make every later start wait for the lock.
  (
    for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done
    exec setsid prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
      --web.listen-address="$listen" --storage.tsdb.retention.time=2d
  ) </dev/null >"$dir/log" 2>&1 &
  local launched=$!
  echo "$launched" >"$pidf"
  for _ in $(seq 600); do
    if ready; then echo "Prometheus started on $url (pid $launched, data $dir/data, log $dir/log), scraping what $server lists" >&2; echo "$url"; return 0; fi
    if ! kill -0 "$launched" 2>/dev/null; then
      rm -f "$pidf"
      echo "prometheus exited before it was ready; last lines of $dir/log:" >&2; tail -15 "$dir/log" >&2; return 1
    fi
    sleep 0.1
  done
  echo "Prometheus on $url was not ready within 60 s; stopping it. Last lines of $dir/log:" >&2; tail -15 "$dir/log" >&2
  stop; return 1
}

stop() {
  local p
  if ! p=$(our_pid); then
    rm -f "$pidf"
  else
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
      echo "prometheus (pid $p) still running after 15 s: SIGKILL" >&2
      kill -KILL "$p" 2>/dev/null || true
      while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
    fi
    rm -f "$pidf"
    echo "Prometheus (pid $p) on $url stopped" >&2
  fi
  if [ $purge = 1 ]; then rm -rf "$dir" "$run/prometheus-$port.lock"; fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) if p=$(our_pid) && ready; then echo "ready on $url (pid $p)"; else echo "not running on $url"; exit 1; fi ;;
  *) echo "usage: hack/prometheus.sh start|stop|status [--purge]" >&2; exit 2 ;;
esac
