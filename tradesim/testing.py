"""Run the simulator as a real HTTP server on a loopback port, for tests and scripts.

``stop()`` closes the listening socket, so calls then fail with "connection refused" exactly as
they would against a trading system that is down; ``start()`` brings it back on the same port.
"""
from __future__ import annotations

import threading
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, make_server

from tradesim import create_app
from tradesim.admin import ADMIN_HEADER


class SimulatorServer:
    """One simulator app (seeded once) served by a werkzeug threaded server in a daemon thread."""

    def __init__(self, db_path: str, *, token: str = "test-trade-token",
                 admin_token: str = "test-admin-token") -> None:
        self.token = token
        self.admin_token = admin_token
        self.app = create_app({"TRADESIM_DB": db_path, "TRADESIM_TOKEN": token,
                               "TRADESIM_ADMIN_TOKEN": admin_token})
        self.port = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> "SimulatorServer":
        """Listen on the port used before (or an ephemeral one the first time) and serve."""
        if self._server is not None:
            return self
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket: new connections are refused."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def _admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.url}/_admin{path}", timeout=5,
                                    headers={ADMIN_HEADER: self.admin_token}, **kwargs)
        response.raise_for_status()
        return response.json()

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """``delay_seconds``, ``fail_next``, ``fail_all``, ``fail_mode`` ("before" / "after")."""
        return self._admin("PUT", "/faults", json=faults)

    def reset_faults(self) -> dict[str, Any]:
        return self._admin("DELETE", "/faults")

    def pushes(self, *, house_code: str | None = None, key: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("house_code", house_code), ("idempotency_key", key)) if v}
        return self._admin("GET", "/pushes", params=params)["items"]

    def clear_pushes(self) -> None:
        self._admin("DELETE", "/pushes")
