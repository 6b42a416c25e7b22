from __future__ import annotations

import random
from datetime import datetime, timedelta


def backoff(now: datetime, attempts: int, *, base: float, cap: float,
            rng: random.Random | None = None) -> datetime:
    """Exponential backoff with full-range jitter between half and all of the step."""
    step = min(cap, base * 2 ** max(0, attempts - 1))
    jitter = (rng or random).uniform(0.5, 1.0)
    return now + timedelta(seconds=step * jitter)
