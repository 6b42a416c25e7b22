"""The FastAPI application: webhook intake, JSON API, health; worker and scheduler beside."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app.content.endpoints import router as items_router
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.errors import install_error_handlers
from app.core.health import router as health_router
from app.core.logging import configure_logging, get_logger
from app.core.metrics import BUILD
from app.core.migrate import head_revision
from app.core.openapi import document_common_responses
from app.core.queue_metrics import queue_registry
from app.core.queue_metrics import router as metrics_router
from app.graph.client import GraphClient
from app.jobs.registry import JobEnv
from app.jobs.scheduler import start_scheduler
from app.moderation.endpoints import router as moderation_router
from app.processing.processor import Processor
from app.processing.worker import Worker
from app.records.endpoints import router as records_router
from app.registration.endpoints import router as registration_router
from app.registration.export_endpoints import router as export_router
from app.rules.endpoints import router as rules_router
from app.rules.engine import RuleEngine
from app.rules.policy_endpoints import router as policy_router
from app.search.endpoints import router as search_router
from app.ui.setup import install_ui
from app.webhooks.api import router as inbox_router
from app.webhooks.asgi import OPENAPI_OPERATION, WEBHOOK_PATH, WebhookIntakeMiddleware
from app.webhooks.endpoints import router as webhook_router
from app.webhooks.intake import IntakeWriter

log = get_logger("uppsikt")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        graph = GraphClient.from_settings(settings)
        worker = Worker(Processor(db, settings, graph, app.state.rules),
                        poll_seconds=settings.worker_poll_seconds)
        intake = IntakeWriter(db, max_batch=settings.intake_max_batch, on_commit=worker.wake)
        app.state.db, app.state.intake, app.state.worker = db, intake, worker
        app.state.migration_head = head_revision()
        app.state.queue_registry = queue_registry(db)
        await intake.start()
        # Everything allocated so far lives as long as the process: keep the collector
        # from walking it again and again (it showed as latency spikes under load).
        gc.collect()
        gc.freeze()
        app.state.job_env = JobEnv(db=db, settings=settings, graph=graph, rules=app.state.rules)
        scheduler = None
        if settings.worker_enabled:
            worker.start()
            scheduler = start_scheduler(app.state.job_env)
        log.info("app.started", database=db.engine.dialect.name, worker=settings.worker_enabled)
        try:
            yield
        finally:
            await intake.stop()
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            worker.stop()
            graph.close()
            db.dispose()

    configure_logging(settings.log_level, json=settings.log_json)
    app = FastAPI(
        title="Uppsikt",
        version="0.1.0",
        summary="Moderation and preservation for a public authority's Facebook Pages",
        lifespan=lifespan,
    )
    app.state.settings = settings
    BUILD.info({"version": app.version})
    # Word lists are read once; a list that cannot be parsed stops the start with its line.
    app.state.rules = RuleEngine.from_directory()
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(webhook_router)
    app.include_router(items_router)
    app.include_router(inbox_router)
    app.include_router(rules_router)
    app.include_router(moderation_router)
    app.include_router(registration_router)
    app.include_router(export_router)
    app.include_router(search_router)
    app.include_router(policy_router)
    app.include_router(records_router)
    install_ui(app)
    app.add_middleware(WebhookIntakeMiddleware)
    _document_webhook_post(app)
    return app


def _document_webhook_post(app: FastAPI) -> None:
    """Add the ASGI-level POST route to the OpenAPI schema FastAPI generates."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            # The framework's own answers first: the webhook POST is served before it.
            document_common_responses(schema)
            schema["paths"].setdefault(WEBHOOK_PATH, {})["post"] = OPENAPI_OPERATION
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
