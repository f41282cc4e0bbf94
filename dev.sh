#!/usr/bin/env bash
# Burrow's one entry point for a fresh Debian 12 machine.
#
#   ./dev.sh demo   install what is missing, build, start a local coturn and
#                   run NAT discovery against it (and, as root, from behind
#                   an emulated NAT in the lab), get a relayed address from
#                   it, and connect two peers with burrow-ice through it
#   ./dev.sh test   install what is missing, build, run the whole test suite,
#                   then again under AddressSanitizer/UBSan
#   ./dev.sh build  install and build only
#
# Re-runnable: it installs only missing packages and reuses the build trees.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")"
SRC=$PWD
BUILD=${BURROW_BUILD_DIR:-$SRC/_build}
ASAN_BUILD=${BURROW_ASAN_BUILD_DIR:-$SRC/_build-asan}

PACKAGES=(
  gcc meson ninja-build pkg-config
  libglib2.0-dev libssl-dev zlib1g-dev libgupnp-igd-1.0-dev
  gobject-introspection libgirepository1.0-dev gir1.2-glib-2.0 gi-docgen
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  python3 python3-gi gjs
  coturn miniupnpd nftables iproute2 procps
  libnice-dev gir1.2-nice-0.1 python3-aioice
)

log() { printf '\n==> %s\n' "$*"; }

sudo_cmd() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "All build and test dependencies are installed"
    return
  fi
  log "Installing: ${missing[*]}"
  sudo_cmd apt-get update -qq
  # miniupnpd asks debconf questions; coturn must not start a system daemon.
  sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}

# The pyenv/venv python3 on PATH may lack PyGObject; meson and the tests use
# Debian's.
export PATH=/usr/bin:$PATH

setup_build() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
  ninja -C "$dir"
}

build() {
  local docs=disabled
  [ "${CI:-}" = "true" ] && docs=enabled
  log "Building in $BUILD"
  setup_build "$BUILD" -Ddocs=$docs
}

# Prints a closing 'N passed, N failed' line from meson's test log and fails
# on failures, and (under CI=true) on skipped lab or interop tests.
summarize() {
  local dir=$1 label=$2
  /usr/bin/python3 - "$dir/meson-logs/testlog.json" "$label" <<'PY'
import json, os, sys
path, label = sys.argv[1], sys.argv[2]
counts = {"passed": 0, "failed": 0, "skipped": 0}
skipped = []
with open(path) as f:
    for line in f:
        r = json.loads(line)
        res = r.get("result")
        if res in ("OK", "EXPECTEDFAIL"):
            counts["passed"] += 1
        elif res == "SKIP":
            counts["skipped"] += 1
            skipped.append(r["name"])
        else:
            counts["failed"] += 1
print(f"{label}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
if os.environ.get("CI") == "true" and skipped:
    print(f"{label}: tests skipped under CI=true: {', '.join(skipped)}")
    sys.exit(1)
sys.exit(1 if counts["failed"] else 0)
PY
}

run_tests() {
  local dir=$1 label=$2 rc=0
  shift 2
  log "Running the $label tests"
  meson test -C "$dir" --print-errorlogs "$@" || rc=$?
  summarize "$dir" "$label" || rc=1
  return $rc
}

DEMO_PID=
DEMO_DIR=
demo_cleanup() {
  # Under set -e: statuses here must not end the script (wait returns 143).
  if [ -n "$DEMO_PID" ]; then
    kill "$DEMO_PID" 2>/dev/null || true
    wait "$DEMO_PID" 2>/dev/null || true
  fi
  if [ -n "$DEMO_DIR" ]; then
    rm -rf "$DEMO_DIR"
  fi
  return 0
}

demo() {
  local turn_dir port
  turn_dir=$(mktemp -d)
  DEMO_DIR=$turn_dir
  port=$(/usr/bin/python3 -c 'import random; print(random.randrange(20000, 40000, 2))')
  log "Starting coturn on 127.0.0.1:$port and 127.0.0.2:$((port + 1)) (RFC 5780)"
  # TURN with long-term credentials demo/demopass; loopback peers allowed
  turnserver -n --no-cli --no-tls --no-dtls --simple-log --log-file="$turn_dir/turn.log" \
    --pidfile="$turn_dir/turn.pid" --db="$turn_dir/turndb" \
    --listening-ip=127.0.0.1 --listening-ip=127.0.0.2 --relay-ip=127.0.0.1 \
    --listening-port="$port" --alt-listening-port="$((port + 1))" \
    --lt-cred-mech --user=demo:demopass --realm=burrow.demo --allow-loopback-peers \
    >/dev/null 2>&1 &
  DEMO_PID=$!
  trap demo_cleanup EXIT
  for _ in $(seq 50); do
    "$BUILD/tools/burrow-stun" --rto 100 -r 1 "127.0.0.1:$port" >/dev/null 2>&1 && break
    sleep 0.2
  done

  log "burrow-stun 127.0.0.1:$port   (what is my address?)"
  "$BUILD/tools/burrow-stun" "127.0.0.1:$port"
  log "burrow-stun --discover 127.0.0.1:$port   (what NAT am I behind? on loopback: none)"
  "$BUILD/tools/burrow-stun" --discover --rto 100 -r 3 "127.0.0.1:$port"

  if [ "$(id -u)" -eq 0 ] && ip netns list >/dev/null 2>&1; then
    log "From behind emulated NATs in the lab (tests/lab, network namespaces)"
    BURROW_STUN_TOOL="$BUILD/tools/burrow-stun" /usr/bin/python3 tests/lab/demo.py
  else
    log "Run as root to also see discovery from behind emulated NATs (tests/lab)"
  fi

  log "burrow-turn -u demo 127.0.0.1:$port   (give me a relayed address)"
  BURROW_TURN_PASSWORD=demopass "$BUILD/tools/burrow-turn" -u demo "127.0.0.1:$port"

  log "burrow-ice: connect two peers (tests/lab/demo_connect.py drives two processes)"
  BURROW_ICE_TOOL="$BUILD/tools/burrow-ice" /usr/bin/python3 tests/lab/demo_connect.py \
    "127.0.0.1:$port" demo demopass
}

cmd=${1:-}
case "$cmd" in
  demo)
    install_deps
    build
    demo
    ;;
  build)
    install_deps
    build
    ;;
  test)
    install_deps
    build
    rc=0
    run_tests "$BUILD" "main" || rc=1
    log "Building with AddressSanitizer and UBSan in $ASAN_BUILD"
    setup_build "$ASAN_BUILD" -Dsanitize=true -Dintrospection=disabled -Ddocs=disabled
    run_tests "$ASAN_BUILD" "sanitizer" || rc=1
    exit $rc
    ;;
  *)
    echo "usage: $0 demo|test|build" >&2
    exit 2
    ;;
esac
