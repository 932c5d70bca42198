#!/usr/bin/env bash
# `make run` (MODE=serve: gunicorn) and `make dev` (MODE=dev: the Flask development server): start
# the trading-system simulator, one queue consumer (imports, fetches, outbox, nightly backup) and
# the platform; Ctrl-C stops all three. Demo data is loaded on the first start only (marker:
# "$INSTANCE/.demo-loaded"). The database and the queue follow DATABASE_URL and REDIS_URL (README).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-serve}
HOST=${2:-127.0.0.1}
PORT=${3:-5000}
TRADE_PORT=${4:-5001}
DEMO_PASSWORD=${5:-Demo@2026}
QUEUE_WORKERS=${QUEUE_WORKERS:-2}
INSTANCE=${JM_INSTANCE_DIR:-$PWD/instance}
mkdir -p "$INSTANCE"
export FLASK_APP=run.py PYTHONPATH="$PWD"
export TRADE_BASE_URL="http://127.0.0.1:${TRADE_PORT}"
export TRADE_TOKEN="${TRADE_TOKEN:-dev-trade-token}"
export TRADESIM_TOKEN="$TRADE_TOKEN"
export TRADESIM_DB="${TRADESIM_DB:-$INSTANCE/tradesim.sqlite}"

PIDS=()
stop_all() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

.venv/bin/python -m tradesim --host 127.0.0.1 --port "$TRADE_PORT" >"$INSTANCE/tradesim.log" 2>&1 &
PIDS+=($!)

if [ ! -f "$INSTANCE/.demo-loaded" ]; then
  .venv/bin/flask demo load --password "$DEMO_PASSWORD"
  touch "$INSTANCE/.demo-loaded"
  FIRST=1
fi

# One consumer process; its thread workers let a long import run beside outbox deliveries.
.venv/bin/huey_consumer app.worker.huey --workers "$QUEUE_WORKERS" --worker-type thread \
  >>"$INSTANCE/worker.log" 2>&1 &
PIDS+=($!)

if [ -n "${HUEY_REDIS_URL:-${REDIS_URL:-}}" ]; then QUEUE="Redis"; else QUEUE="SQLite ${HUEY_SQLITE_PATH:-$INSTANCE/queue.sqlite}"; fi
if [ "$MODE" = "dev" ]; then SERVER="Flask development server"; else
  SERVER="gunicorn, $(.venv/bin/python -c "import runpy; c = runpy.run_path('gunicorn.conf.py')
print(c['workers'], 'workers x', c['threads'], 'threads')")"; fi
cat <<TXT

  江门市物业管理公众服务平台  http://${HOST}:${PORT}   ($SERVER)
  交易系统模拟器 (trading-system simulator)  ${TRADE_BASE_URL}   log: $INSTANCE/tradesim.log
  queue consumer ($QUEUE)   log: $INSTANCE/worker.log

  Demo accounts${FIRST:+ (created now)}, password ${DEMO_PASSWORD}:
    admin        platform administrator
    officer      fund officer (维修资金管理部门)
    teller       bank teller (专户银行)
    dev_a        developer admin of 江门市华信置业有限公司
    dev_a_staff  staff of 江门市华信置业有限公司
    dev_b        developer admin of 江门市锦江房地产开发有限公司

TXT
if [ "$MODE" = "dev" ]; then
  .venv/bin/flask run --host "$HOST" --port "$PORT" --with-threads &
else
  # Workers, threads and timeout: gunicorn.conf.py (WEB_WORKERS, WEB_THREADS, WEB_TIMEOUT).
  .venv/bin/gunicorn --bind "$HOST:$PORT" 'run:app' &
fi
PIDS+=($!)
# Whichever of the three ends first ends the others (trap above).
wait -n "${PIDS[@]}"
