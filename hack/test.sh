#!/usr/bin/env bash
# Run the tests: unit (pure, next to the code, the UI's pure parts included, and promtool's offline checks
# of manifests/prometheus), integration (real etcd, started per test file by
# hack/etcd.sh), e2e (real etcd and Docker; test/e2e/prometheus.test.ts
# scrapes a live server and agent with promtool and a real Prometheus), chaos
# (test/chaos: every kind of process killed during a rollout, on a private dockerd).
#   hack/test.sh unit|integration|e2e|chaos|all
# Nothing waits forever: each test has TEST_TIMEOUT_S (default 300) and each
# phase PHASE_TIMEOUT_S (default 900); a failed phase prints the ends of the
# logs the tests left in .run/test-logs and of the engine's log. Processes run from the sources
# through tsx unless STOWAGE_BIN / STOWCTL_BIN name binaries (`make test` gives bin/stowage, bin/stowctl).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
unit() { find pkg cmd ui -name '*.test.ts' | sort; }
integration() { find test/integration -name '*.test.ts' 2>/dev/null | sort; }
e2e() { find test/e2e -name '*.test.ts' 2>/dev/null | sort; }
chaos() { find test/chaos -name '*.test.ts' 2>/dev/null | sort; }

diagnose() {
  echo "--- hack/test.sh $what failed; the ends of the logs written during it:" >&2
  find .run/test-logs -type f -newer .run/test.start 2>/dev/null | sort | while read -r f; do
    echo "--- $f" >&2; tail -n 8 "$f" >&2
  done
  [ "$what" = e2e ] && [ -f .run/dockerd.log ] && { echo "--- .run/dockerd.log" >&2; tail -n 15 .run/dockerd.log >&2; }
  return 0
}

# node --test starts files in name order, whatever order they are given in: a file much longer
# than the others (the 2-minute soak) would start near the end and run alone after the rest.
# Those run beside the others instead, in a node --test of their own started first.
BESIDE=(test/integration/soak.test.ts)

# --test-force-exit: a file whose tests are done ends even if a handle is left open.
node_test() {
  timeout -k 20 "${PHASE_TIMEOUT_S:-900}" node --import tsx --test --test-reporter=spec \
    --test-concurrency="$1" --test-timeout=$((${TEST_TIMEOUT_S:-300} * 1000)) --test-force-exit "${@:2}"
}

run() {
  local files=("$@") beside=() rest=() f pid=""
  [ ${#files[@]} = 0 ] && return 0
  mkdir -p .run; touch .run/test.start
  for f in "${files[@]}"; do
    if printf '%s\n' "${BESIDE[@]}" | grep -qxF "$f"; then beside+=("$f"); else rest+=("$f"); fi
  done
  local n=${TEST_CONCURRENCY:-$CONCURRENCY} ok=0
  if [ ${#beside[@]} -gt 0 ]; then
    node_test 1 "${beside[@]}" > .run/test-beside.out 2>&1 & pid=$!
    n=$((n > 1 ? n - 1 : 1))
  fi
  [ ${#rest[@]} = 0 ] || node_test "$n" "${rest[@]}" || ok=1
  if [ -n "$pid" ]; then
    wait "$pid" || ok=1
    cat .run/test-beside.out
  fi
  [ $ok = 0 ] || { diagnose; return 1; }
}

# The engine runs a container within a minute, or the e2e tests cannot pass: say so at once.
docker_works() {
  local out
  if ! out=$(timeout 60 docker run --rm --network host localhost/stowage-busybox:1 true 2>&1); then
    echo "the Docker engine does not run a container: ${out:-no answer within 60 s}" >&2
    [ -f .run/dockerd.log ] && tail -n 15 .run/dockerd.log >&2
    return 1
  fi
}

# The Prometheus config and rules, offline: syntax, and the rules' unit tests.
promtool_checks() {
  hack/install-deps.sh prometheus
  local d=manifests/prometheus
  timeout 60 promtool check config "$d/prometheus.yml" >/dev/null || { promtool check config "$d/prometheus.yml"; return 1; }
  timeout 60 promtool check rules "$d/rules.yml"
  timeout 120 promtool test rules "$d/rules.test.yml"
}

# Files at once, per phase (TEST_CONCURRENCY overrides; the files in BESIDE count): on 2 cores, more
# kept the cores busier than the tests' timing bounds are measured for (a run at 4 and 3 here failed
# a timing-bound case in each phase once); the unit files are pure and take 3.
case "$what" in unit) CONCURRENCY=3 ;; integration) CONCURRENCY=3 ;; *) CONCURRENCY=2 ;; esac

case "$what" in
  unit) mapfile -t f < <(unit); run "${f[@]}"; promtool_checks ;;
  integration) hack/install-deps.sh etcd dig; mapfile -t f < <(integration); run "${f[@]}" ;;
  e2e) hack/install-deps.sh etcd docker busybox chromium dig; hack/dockerd.sh start >/dev/null; hack/build-image.sh >/dev/null; docker_works
       mapfile -t f < <(e2e); run "${f[@]}" ;;
  # the chaos test starts a dockerd of its own (and the test image in it): the shared one is not touched
  chaos) hack/install-deps.sh etcd docker busybox
       mapfile -t f < <(chaos); run "${f[@]}" ;;
  # then the secrets scan: no secret value or token a test made is in any log a spawned process wrote
  all) rm -rf .run/scan-logs; "$0" unit; "$0" integration; "$0" e2e; "$0" chaos; node --import tsx test/scan-suite.ts ;;
  *) echo "usage: hack/test.sh unit|integration|e2e|chaos|all" >&2; exit 2 ;;
esac
