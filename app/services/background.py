"""A daemon thread of the serving process that loops until asked to stop (outbox delivery, the
nightly backup). /health asks each one whether it is ``alive``."""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod


class DaemonLoop(ABC):
    """Subclasses implement ``_loop`` and end it when ``self._stop`` is set."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> "DaemonLoop":
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to finish after the current run and wait for it."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @abstractmethod
    def _loop(self) -> None:
        """The thread's body."""
