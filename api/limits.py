"""Per-key rate limiting: a token bucket per key, in this process's memory.

One bucket per API key (per client address for anonymous calls), holding up to a minute's
allowance and refilled continuously. In-process means each API worker counts on its own: with
one uvicorn worker (``make run``) the limit is exact; with N workers a key may get up to N
times its rate. A shared limiter (Redis, or a table) would be needed for more workers.
"""

from __future__ import annotations

import threading
import time


class TokenBuckets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, last refill)
        self._clock = time.monotonic

    def take(self, key: str, *, per_minute: int) -> bool:
        """Spend one token of ``key``'s bucket; False when it is empty (answer 429)."""
        capacity = float(max(1, per_minute))
        rate = capacity / 60.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True

    def retry_after_s(self, key: str, *, per_minute: int) -> int:
        tokens, _ = self._buckets.get(key, (0.0, 0.0))
        return max(1, int((1.0 - tokens) / (max(1, per_minute) / 60.0)) + 1)
