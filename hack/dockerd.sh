#!/usr/bin/env bash
# Start or stop a Docker engine for Stowage on this machine.
#   hack/dockerd.sh start|stop|restart|status [--socket PATH] [--data-root DIR] [--exec-root DIR] [--purge]
#
# start: if an engine already answers on the socket (default /var/run/docker.sock),
#   say so and do nothing. Otherwise start `dockerd --bridge=none --iptables=false`
#   on it with a data root and exec root of its own and `--live-restore` (containers
#   keep running while the engine stops or restarts; a restarted engine takes them
#   back; DOCKERD_LIVE_RESTORE=0 in the environment starts it without: then an
#   engine's stop stops its containers), wait until `docker info` answers, and record it in .run/<tag>.pid (log: .run/<tag>.log), where <tag> is
#   "dockerd" for the default socket and "dockerd-<socket name>" otherwise.
# stop: stop only an engine this script started (SIGTERM, SIGKILL after 15 s).
#   An engine someone else started is left alone. --purge (not for the default
#   socket) first removes its containers (live-restore would leave them running),
#   then deletes its data root and exec root: for throw-away test engines.
# A second engine for tests that must restart it (so nobody else's containers
# die with it): hack/dockerd.sh start --socket /run/stowage-test.sock
#   (data root /var/lib/stowage-docker-<name>, exec root /run/stowage-docker-<name>).
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}; shift || true
sock=/var/run/docker.sock; data=""; exec_root=""; purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --socket) sock=$2; shift 2 ;;
    --data-root) data=$2; shift 2 ;;
    --exec-root) exec_root=$2; shift 2 ;;
    --purge) purge=1; shift ;;
    *) echo "hack/dockerd.sh: unknown flag $1" >&2; exit 2 ;;
  esac
done
case "$sock" in /var/run/docker.sock|/run/docker.sock) tag=dockerd; sfx="" ;;
  *) n=$(basename "$sock" .sock); tag=dockerd-$n; sfx=-$n ;;
esac
data=${data:-/var/lib/stowage-docker$sfx}
exec_root=${exec_root:-/run/stowage-docker$sfx}
mkdir -p .run
run=$PWD/.run
pidf=$run/$tag.pid
logf=$run/$tag.log

answers() { DOCKER_HOST="unix://$sock" timeout 10 docker info >/dev/null 2>&1; }

# PID of the dockerd this script started, if it still runs.
our_pid() {
  [ -f "$pidf" ] || return 1
  local p; p=$(cat "$pidf" 2>/dev/null) || return 1
  [ -n "$p" ] && [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep '^dockerd ' >/dev/null && echo "$p"
}

# PIDs of any dockerd serving this socket (ours or not): never start a second one on it.
holders() {
  local p c
  for p in /proc/[0-9]*; do
    c=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    case "$c" in dockerd\ *|*/dockerd\ *|dockerd|*/dockerd) ;; *) continue ;; esac
    if [[ "$c" == *"unix://$sock"* ]] || { [ "$tag" = dockerd ] && [[ "$c" != *"-H"* && "$c" != *"--host"* ]]; }; then
      echo "${p#/proc/}"
    fi
  done
}

start() {
  command -v dockerd >/dev/null || hack/install-deps.sh docker
  # Two test files starting at once must not race each other.
  exec 9>"$run/$tag.lock"; flock 9
  if answers; then
    if p=$(our_pid); then echo "dockerd already running on $sock (pid $p, started by hack/dockerd.sh)" >&2
    else echo "a Docker engine already answers on $sock: using it, not starting another" >&2; fi
    return 0
  fi
  local h; h=$(holders | head -1)
  if [ -n "$h" ]; then
    echo "dockerd (pid $h) holds $sock but does not answer yet; waiting" >&2
    for _ in $(seq 300); do answers && return 0; kill -0 "$h" 2>/dev/null || break; sleep 0.1; done
    answers && return 0
    echo "dockerd (pid $h) on $sock does not answer; not starting a second engine on it" >&2; return 1
  fi
  mkdir -p "$data" "$exec_root" "$(dirname "$sock")"
  rm -f "$pidf"
  # setsid: the engine outlives the shell and test runner that started it.
  # 9>&-: the engine must not inherit the lock, or every later start waits forever.
  local live=(--live-restore)
  [ "${DOCKERD_LIVE_RESTORE:-1}" = 0 ] && live=()
  setsid dockerd --bridge=none --iptables=false ${live[@]+"${live[@]}"} --host "unix://$sock" \
    --data-root "$data" --exec-root "$exec_root" --pidfile "$pidf" </dev/null >"$logf" 2>&1 9>&- &
  local launched=$!
  for _ in $(seq 300); do
    if answers; then echo "dockerd started on $sock (pid $(cat "$pidf"), data root $data, ${live[*]:-no live-restore}, log $logf)" >&2; return 0; fi
    if ! kill -0 "$launched" 2>/dev/null && ! our_pid >/dev/null; then
      echo "dockerd exited before answering on $sock; last lines of $logf:" >&2; tail -15 "$logf" >&2; return 1
    fi
    sleep 0.1
  done
  echo "dockerd on $sock did not answer within 30 s; last lines of $logf:" >&2; tail -15 "$logf" >&2; return 1
}

stop() {
  local p
  if ! p=$(our_pid); then
    rm -f "$pidf"
    answers && echo "the engine on $sock was not started by hack/dockerd.sh: leaving it alone" >&2
    return 0
  fi
  if [ $purge = 1 ] && [ "$tag" != dockerd ]; then
    # with --live-restore the containers would outlive the engine and its deleted data root
    local ids; ids=$(DOCKER_HOST="unix://$sock" timeout 30 docker ps -aq 2>/dev/null || true)
    [ -n "$ids" ] && DOCKER_HOST="unix://$sock" timeout 60 docker rm -f $ids >/dev/null 2>&1 || true
  fi
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then
    echo "dockerd (pid $p) still running after 15 s: SIGKILL" >&2
    kill -KILL "$p" 2>/dev/null || true
    while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
  fi
  rm -f "$pidf"
  echo "dockerd (pid $p) on $sock stopped" >&2
  if [ $purge = 1 ]; then
    [ "$tag" = dockerd ] && { echo "--purge: refusing to delete the default engine's data" >&2; return 1; }
    # A start cut by a restart of the engine can leave `runc init` waiting forever, its shim gone:
    # those of this engine name its exec root as their state dir. Killed by PID.
    local env orphan
    for env in /proc/[0-9]*/environ; do
      grep -qzF "_LIBCONTAINER_STATEDIR=$exec_root/" "$env" 2>/dev/null || continue
      orphan=${env#/proc/}; kill -KILL "${orphan%/environ}" 2>/dev/null || true
    done
    # Mounts left by a SIGKILLed engine would make rm fail: unmount what is under the roots first.
    grep -oE " ($data|$exec_root)/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$data" "$exec_root" "$logf" "$run/$tag.lock"
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) if answers; then p=$(our_pid || true); echo "up on $sock${p:+ (pid $p, started by hack/dockerd.sh)}"; else echo "down on $sock"; exit 1; fi ;;
  *) echo "usage: hack/dockerd.sh start|stop|restart|status [--socket PATH] [--data-root DIR] [--exec-root DIR]" >&2; exit 2 ;;
esac
