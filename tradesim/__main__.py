"""``python -m tradesim --port 5001``: serve the simulator with werkzeug's threaded server."""
from __future__ import annotations

import argparse
import os

from werkzeug.serving import run_simple

from tradesim import DEFAULT_DB, create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tradesim",
                                     description="房地产交易系统 simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("TRADESIM_PORT", "5001")))
    parser.add_argument("--db", help="SQLite file (default: $TRADESIM_DB or instance/tradesim.sqlite)")
    parser.add_argument("--reset", action="store_true",
                        help="delete the SQLite file first, so the seed data is loaded afresh")
    args = parser.parse_args(argv)

    config = {"TRADESIM_DB": args.db} if args.db else {}
    if args.reset:
        db = args.db or os.environ.get("TRADESIM_DB") or DEFAULT_DB
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
    run_simple(args.host, args.port, create_app(config), threaded=True)


if __name__ == "__main__":
    main()
