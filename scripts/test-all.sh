#!/usr/bin/env bash
# The whole suite: SQLite, then PostgreSQL, then the queue path on Redis, then the browser tests.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
echo "== unit and view tests on SQLite"
.venv/bin/python -m pytest -q -m "not browser" tests || status=1
echo "== unit and view tests on PostgreSQL"
bash scripts/test-postgres.sh || status=1
echo "== queue path on Redis (tests marked redis)"
bash scripts/test-redis.sh || status=1
echo "== browser tests (Playwright + Debian chromium)"
.venv/bin/python -m pytest -q -m browser tests || status=1
exit $status
