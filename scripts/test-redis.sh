#!/usr/bin/env bash
# The queue path against a real Redis: a throwaway redis-server on a free loopback port, started
# and stopped here (Debian's redis-server, installed by scripts/system-deps.sh).
# Runs the tests marked `redis` (tests/test_queue*.py by default, or the given paths).
set -euo pipefail
cd "$(dirname "$0")/.."
REDIS_SERVER=$(command -v redis-server || true)
if [ -z "$REDIS_SERVER" ]; then
  echo "redis-server not found (install the 'redis-server' Debian package)" >&2
  exit 1
fi
REDIS_PORT=${REDIS_PORT:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
REDIS_DIR=$(mktemp -d /tmp/jm-redis.XXXXXX)
"$REDIS_SERVER" --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" --save "" --appendonly no \
  --protected-mode yes --logfile "$REDIS_DIR/redis.log" --daemonize no &
REDIS_PID=$!
cleanup() {
  kill "$REDIS_PID" 2>/dev/null || true
  wait "$REDIS_PID" 2>/dev/null || true
  rm -rf "$REDIS_DIR"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  if .venv/bin/python -c "import redis, sys; redis.Redis(port=$REDIS_PORT).ping()" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
echo "== Redis $("$REDIS_SERVER" --version | awk '{print $3}' | cut -d= -f2) on port $REDIS_PORT"
if [ $# -eq 0 ]; then set -- tests/test_queue*.py; fi
.venv/bin/python -m pytest -q -m redis "$@"
