#!/usr/bin/env bash
# `make run`: start the trading-system simulator and the platform on SQLite.
# Demo data is loaded on the first start only (marker: "$INSTANCE/.demo-loaded").
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-127.0.0.1}
PORT=${2:-5000}
TRADE_PORT=${3:-5001}
DEMO_PASSWORD=${4:-Demo@2026}
INSTANCE=${JM_INSTANCE_DIR:-$PWD/instance}
mkdir -p "$INSTANCE"
export FLASK_APP=run.py PYTHONPATH="$PWD"
export TRADE_BASE_URL="http://127.0.0.1:${TRADE_PORT}"
export TRADE_TOKEN="${TRADE_TOKEN:-dev-trade-token}"
export TRADESIM_TOKEN="$TRADE_TOKEN"
export TRADESIM_DB="${TRADESIM_DB:-$INSTANCE/tradesim.sqlite}"

.venv/bin/python -m tradesim --host 127.0.0.1 --port "$TRADE_PORT" >"$INSTANCE/tradesim.log" 2>&1 &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null || true' EXIT INT TERM

if [ ! -f "$INSTANCE/.demo-loaded" ]; then
  .venv/bin/flask demo load --password "$DEMO_PASSWORD"
  touch "$INSTANCE/.demo-loaded"
  FIRST=1
fi

cat <<TXT

  江门市物业管理公众服务平台  http://${HOST}:${PORT}
  交易系统模拟器 (trading-system simulator)  ${TRADE_BASE_URL}   log: $INSTANCE/tradesim.log

  Demo accounts${FIRST:+ (created now)}, password ${DEMO_PASSWORD}:
    admin        platform administrator
    officer      fund officer (维修资金管理部门)
    teller       bank teller (专户银行)
    dev_a        developer admin of 江门市华信置业有限公司
    dev_a_staff  staff of 江门市华信置业有限公司
    dev_b        developer admin of 江门市锦江房地产开发有限公司

TXT
JM_SERVING=1 .venv/bin/flask run --host "$HOST" --port "$PORT" --with-threads
