#!/usr/bin/env bash
# Build the test image localhost/stowage-busybox:1 with `docker import` (no
# registry is reachable, so nothing is pulled): Debian's static busybox, one
# symlink per applet at its usual path (/bin/sh, /bin/sleep, /usr/sbin/httpd,
# /usr/bin/nc, /usr/bin/wget, ...), /www/index.html containing "ok", /tmp.
#   hack/build-image.sh [--force] [--socket PATH]
# Does nothing when the image exists, unless --force.
set -euo pipefail
cd "$(dirname "$0")/.."
image=localhost/stowage-busybox:1
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    --socket) export DOCKER_HOST="unix://$2"; shift 2 ;;
    *) echo "hack/build-image.sh: unknown flag $1" >&2; exit 2 ;;
  esac
done
mkdir -p .run
exec 9>".run/build-image.lock"; flock 9
if [ $force = 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image already present" >&2; exit 0
fi
hack/install-deps.sh busybox
bb=/bin/busybox
"$bb" --list | grep -x httpd >/dev/null || { echo "$bb is not the full static busybox (no httpd applet)" >&2; exit 1; }

root=$(mktemp -d /tmp/stowage-image.XXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,www,root} "$root/tmp"
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
# --list-full gives each applet's usual place (bin/sh, usr/sbin/httpd, ...).
"$bb" --list-full | while read -r p; do
  [ "$p" = bin/busybox ] && continue
  ln -sf /bin/busybox "$root/$p"
done
echo ok >"$root/www/index.html"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["sh"]' \
  - "$image" >/dev/null
echo "built $image ($("$bb" --list | wc -l) applets)" >&2
