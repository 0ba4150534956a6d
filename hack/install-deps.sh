#!/usr/bin/env bash
# Install what is missing, from Debian's packages and npm. Safe to run again.
#   hack/install-deps.sh [etcd] [docker] [busybox] [prometheus] [chromium] [dig] [npm]   (no argument: all but prometheus, chromium and dig)
set -euo pipefail
cd "$(dirname "$0")/.."
want=("$@"); [ ${#want[@]} = 0 ] && want=(etcd docker busybox npm)
pkgs=()
for w in "${want[@]}"; do
  case "$w" in
    etcd) command -v etcd >/dev/null && command -v etcdctl >/dev/null || pkgs+=(etcd-server etcd-client) ;;
    docker) command -v dockerd >/dev/null || pkgs+=(docker.io) ;;
    busybox) { [ -x /bin/busybox ] && /bin/busybox --list | grep -x httpd >/dev/null; } || pkgs+=(busybox-static) ;;
    prometheus) command -v promtool >/dev/null || pkgs+=(prometheus) ;;
    chromium) command -v chromium >/dev/null || pkgs+=(chromium) ;;
    dig) command -v dig >/dev/null || pkgs+=(bind9-dnsutils) ;;   # the DNS tests ask with dig, as a user would
    npm) ;;
    *) echo "hack/install-deps.sh: unknown component $w" >&2; exit 2 ;;
  esac
done
command -v curl >/dev/null || pkgs+=(curl)
if [ ${#pkgs[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "installing ${pkgs[*]} needs root" >&2; exit 1; }
  echo "installing ${pkgs[*]} ..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
# node_modules is current when it was installed from this very package-lock.json
# (its hash, not its mtime: a fresh checkout or a second worktree has a new mtime).
npm_current='[ -x node_modules/.bin/tsc ] && [ "$(cat node_modules/.stowage-lock.sha256 2>/dev/null)" = "$(sha256sum < package-lock.json)" ]'
for w in "${want[@]}"; do
  [ "$w" = npm ] || continue
  if ! sh -c "$npm_current"; then
    # one install at a time: two builds at once must not both rewrite node_modules
    mkdir -p .run
    flock .run/npm.lock sh -c "$npm_current"' || { npm ci --no-audit --no-fund && sha256sum < package-lock.json > node_modules/.stowage-lock.sha256; }' >&2
  fi
done
exit 0
