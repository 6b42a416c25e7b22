from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.core.db import utcnow

if TYPE_CHECKING:
    from app.core.config import Settings


def backoff(now: datetime, attempts: int, *, base: float, cap: float,
            rng: random.Random | None = None) -> datetime:
    """Exponential backoff with full-range jitter between half and all of the step."""
    step = min(cap, base * 2 ** max(0, attempts - 1))
    jitter = (rng or random).uniform(0.5, 1.0)
    return now + timedelta(seconds=step * jitter)


def retry_at(settings: Settings, attempts: int, *, at_least: float | None = None) -> datetime:
    """When to try again after ``attempts`` failures, with the configured base and cap;
    never sooner than ``at_least`` seconds (what Meta asks for after a rate limit)."""
    when = backoff(utcnow(), attempts, base=settings.retry_base_seconds,
                   cap=settings.retry_max_seconds)
    if at_least is not None:
        when = max(when, utcnow() + timedelta(seconds=at_least))
    return when
