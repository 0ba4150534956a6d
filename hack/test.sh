#!/usr/bin/env bash
# Run the tests: unit (pure, next to the code), integration (real etcd,
# started per test file by hack/etcd.sh), e2e (real etcd and Docker).
#   hack/test.sh unit|integration|e2e|all
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
unit() { find pkg cmd -name '*.test.ts' | sort; }
integration() { find test/integration -name '*.test.ts' 2>/dev/null | sort; }
e2e() { find test/e2e -name '*.test.ts' 2>/dev/null | sort; }
run() {
  local files=("$@")
  [ ${#files[@]} = 0 ] && return 0
  node --import tsx --test --test-reporter=spec --test-concurrency="${TEST_CONCURRENCY:-2}" "${files[@]}"
}
case "$what" in
  unit) mapfile -t f < <(unit); run "${f[@]}" ;;
  integration) hack/install-deps.sh etcd; mapfile -t f < <(integration); run "${f[@]}" ;;
  e2e) hack/install-deps.sh etcd docker busybox; hack/dockerd.sh start >/dev/null; hack/build-image.sh >/dev/null
       mapfile -t f < <(e2e); run "${f[@]}" ;;
  all) "$0" unit; "$0" integration; "$0" e2e ;;
  *) echo "usage: hack/test.sh unit|integration|e2e|all" >&2; exit 2 ;;
esac
