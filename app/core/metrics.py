"""What Uppsikt counts for Prometheus, and how a count waits for its commit.

Counters and histograms live in the process (prometheus_client's default registry, with
its process, platform and garbage-collector collectors): each replica counts what it did
and Prometheus sums the replicas. Queue depths are not counted here; they are read from
the database at scrape time (``app/core/queue_metrics.py``), so that every replica
reports the same truth.

A count means something was committed: work done inside a transaction is counted by
``on_commit``, which runs the increment after the outermost commit and drops it on a
rollback. A savepoint that rolls back drops its own counts with ``since``/``forget``.

Label values come from small fixed sets (results, kinds, decisions, rule categories, job
names); nothing a user or Facebook wrote ever becomes a label.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Histogram, Info, disable_created_metrics
from sqlalchemy import event
from sqlalchemy.orm import Session

NAMESPACE = "uppsikt"
# The *_created series double the output and say only when the process started counting.
disable_created_metrics()

# -- webhook intake --------------------------------------------------------------------
DELIVERY_REASONS = {
    "accepted": ("stored",),
    "refused": ("missing_signature", "bad_signature", "too_large", "client_disconnected",
                "storage_unavailable"),
}
WEBHOOK_DELIVERIES = Counter(
    "webhook_deliveries", "Webhook POSTs answered: accepted (stored and committed) or "
    "refused, by reason.", ["result", "reason"], namespace=NAMESPACE)
_REFUSED_BY_STATUS = {401: "missing_signature", 403: "bad_signature", 413: "too_large",
                      400: "client_disconnected", 503: "storage_unavailable"}

# -- processing ------------------------------------------------------------------------
DELIVERIES_PROCESSED = Counter(
    "deliveries_processed", "Stored deliveries split into changes (split) or kept with "
    "their error (failed).", ["result"], namespace=NAMESPACE)
CHANGES_PROCESSED = Counter(
    "changes_processed", "Changes applied to the archive, by result (retried: an "
    "unexpected error, tried again later).", ["result"], namespace=NAMESPACE)
CHANGE_RESULTS = ("done", "ignored", "failed", "held", "retried")
DECISIONS = Counter(
    "decisions", "Rule decisions stored, by decision and category (one count per category "
    "matched; 'none' when nothing matched).", ["decision", "category"], namespace=NAMESPACE)

# -- actions on Facebook ---------------------------------------------------------------
ACTIONS = Counter(
    "actions", "Hide, unhide and delete actions, by kind and result (retried: an attempt "
    "that failed and waits for another).", ["kind", "result"], namespace=NAMESPACE)
ACTION_KINDS = ("hide", "unhide", "delete")
ACTION_RESULTS = ("done", "failed", "cancelled", "retried")
TIME_TO_ACT = Histogram(
    "time_to_act_seconds", "Seconds from the receipt of the change that led to a rule's "
    "hide or delete until Facebook confirmed it (source: webhook or poll; decision when no "
    "stored delivery led to it and the clock starts at the decision).",
    ["kind", "source"], namespace=NAMESPACE,
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600))

# -- scheduled jobs --------------------------------------------------------------------
JOB_RUNS = Counter(
    "job_runs", "Scheduled or manual job runs in this process, by job and status (skipped: "
    "another replica held the lease).", ["job", "status"], namespace=NAMESPACE)
JOB_DURATION = Histogram(
    "job_duration_seconds", "How long job runs took (runs that ran, ok or failed).",
    ["job"], namespace=NAMESPACE,
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))

BUILD = Info("build", "The running version of Uppsikt.", namespace=NAMESPACE)


def _initialise() -> None:
    """Create the label sets that are known up front, so a rate() starts from zero."""
    for result, reasons in DELIVERY_REASONS.items():
        for reason in reasons:
            WEBHOOK_DELIVERIES.labels(result, reason)
    for result in ("split", "failed"):
        DELIVERIES_PROCESSED.labels(result)
    for result in CHANGE_RESULTS:
        CHANGES_PROCESSED.labels(result)
    for kind in ACTION_KINDS:
        for result in ACTION_RESULTS:
            ACTIONS.labels(kind, result)


_initialise()


# -- counting ----------------------------------------------------------------------------
# Bound once: the intake path pays for one increment, not for a label lookup.
_ANSWERED = {200: WEBHOOK_DELIVERIES.labels("accepted", "stored"),
             **{status: WEBHOOK_DELIVERIES.labels("refused", reason)
                for status, reason in _REFUSED_BY_STATUS.items()}}


def webhook_answered(status: int) -> None:
    """One webhook POST answered with ``status``: a counter increment, nothing more."""
    child = _ANSWERED.get(status)
    if child is None:
        child = WEBHOOK_DELIVERIES.labels("refused", "other")
    child.inc()


def decision_counts(decision: str, categories: Any) -> list[tuple[str, str]]:
    """The (decision, category) label pairs one stored decision counts under."""
    return [(decision, str(c)) for c in categories] or [(decision, "none")]


def job_finished(job: str, status: str, seconds: float | None) -> None:
    JOB_RUNS.labels(job, status).inc()
    if seconds is not None:
        JOB_DURATION.labels(job).observe(seconds)


# -- after the commit ----------------------------------------------------------------------
_PENDING = "uppsikt.metrics.pending"


def on_commit(session: Session, count: Callable[[], None]) -> None:
    """Run ``count`` once the session's transaction commits; never if it rolls back."""
    session.info.setdefault(_PENDING, []).append(count)


def since(session: Session) -> int:
    """A mark to forget back to, taken before a savepoint that may roll back."""
    return len(session.info.get(_PENDING, ()))


def forget(session: Session, mark: int) -> None:
    """Drop the counts added after ``mark`` (their savepoint rolled back)."""
    del session.info.get(_PENDING, [])[mark:]


@event.listens_for(Session, "after_commit")
def _counted(session: Session) -> None:
    for count in session.info.pop(_PENDING, ()):
        count()


@event.listens_for(Session, "after_rollback")
def _dropped(session: Session) -> None:
    # A savepoint's rollback fires this too, while the savepoint is still current: the
    # outer transaction's counts stand (the savepoint's own are dropped with ``forget``).
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)
