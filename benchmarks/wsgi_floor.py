"""The smallest WSGI app: what gunicorn and locust alone reach on this machine (bench_load.py)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

BODY = b"<!doctype html><title>floor</title><p>ok</p>"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(BODY)))])
    return [BODY]
