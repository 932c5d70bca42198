"""Failure injection for tests: make the simulator slow, fail, or fail after it has stored a push.

The state lives in memory, shared by the server's threads and guarded by a lock; admin endpoints
change it (see docs/trading.md). "Refuse connections" needs no switch: stop the server.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

MODE_BEFORE = "before"  # fail before doing anything: nothing is stored
MODE_AFTER = "after"    # do the work, then answer 500: the caller cannot tell it was stored
MODES = (MODE_BEFORE, MODE_AFTER)


@dataclass
class Faults:
    delay_seconds: float = 0.0
    fail_next: int = 0
    fail_all: bool = False
    fail_mode: str = MODE_BEFORE


@dataclass(frozen=True)
class Decision:
    """What to do with one API request."""

    delay_seconds: float
    fail_before: bool
    fail_after: bool


class FaultState:
    """Thread-safe holder of the current ``Faults``; ``decide()`` consumes one ``fail_next``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults = Faults()

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return asdict(self._faults)

    def update(self, *, delay_seconds: float | None = None, fail_next: int | None = None,
               fail_all: bool | None = None, fail_mode: str | None = None) -> dict[str, object]:
        """Change the given settings, keep the others; ValueError on out-of-range values."""
        if delay_seconds is not None and not 0 <= delay_seconds <= 120:
            raise ValueError("delay_seconds must be between 0 and 120")
        if fail_next is not None and fail_next < 0:
            raise ValueError("fail_next must not be negative")
        if fail_mode is not None and fail_mode not in MODES:
            raise ValueError(f"fail_mode must be one of {', '.join(MODES)}")
        with self._lock:
            if delay_seconds is not None:
                self._faults.delay_seconds = float(delay_seconds)
            if fail_next is not None:
                self._faults.fail_next = fail_next
            if fail_all is not None:
                self._faults.fail_all = fail_all
            if fail_mode is not None:
                self._faults.fail_mode = fail_mode
            return asdict(self._faults)

    def reset(self) -> dict[str, object]:
        with self._lock:
            self._faults = Faults()
            return asdict(self._faults)

    def delay(self) -> float:
        """The configured delay alone, consuming nothing (a batch decides failures per item)."""
        with self._lock:
            return self._faults.delay_seconds

    def decide(self) -> Decision:
        with self._lock:
            f = self._faults
            fail = f.fail_all or f.fail_next > 0
            if f.fail_next > 0:
                f.fail_next -= 1
            return Decision(
                delay_seconds=f.delay_seconds,
                fail_before=fail and f.fail_mode == MODE_BEFORE,
                fail_after=fail and f.fail_mode == MODE_AFTER,
            )
