"""Fortnox's rate limit: 25 requests per 5-second sliding window per client id + tenant (fortnox-api.md)."""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Hashable

FORTNOX_LIMIT = 25
FORTNOX_WINDOW_SECONDS = 5.0


class SlidingWindowRateLimit:
    """Admits at most `limit` requests per key in any `window_seconds`; safe across threads.

    Only admitted requests take a place in the window: a client that keeps getting 429s
    gets in again once its admitted requests have aged out, as on the real service.
    The clock is the limiter's own (monotonic by default), not the sandbox's business clock,
    which tests freeze at a date.
    """

    def __init__(self, limit: int = FORTNOX_LIMIT, window_seconds: float = FORTNOX_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._admitted: dict[Hashable, deque[float]] = defaultdict(deque)

    def admit(self, key: Hashable) -> bool:
        """True and take a place in the window, or False: the caller answers 429."""
        with self._lock:
            now = self.clock()
            admitted = self._admitted[key]
            while admitted and admitted[0] <= now - self.window_seconds:
                admitted.popleft()
            if len(admitted) >= self.limit:
                return False
            admitted.append(now)
            return True
