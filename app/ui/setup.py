"""The web UI under /ui/: its routers, static files, error pages and headers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from app.core.errors import AppError
from app.ui import (
    account,
    digest,
    jobs,
    oidc,
    pages,
    policies,
    questions,
    registrar,
    reports,
    retention,
    review,
    search,
    snapshots,
    start,
)
from app.ui.web import HERE, LoginRequired, SecurityHeaders, UiError, error_page, login_redirect

ROUTERS = (account.router, start.router, review.router, registrar.router, search.router,
           pages.router, policies.router, oidc.router, questions.router, digest.router,
           snapshots.router, reports.router, retention.router, jobs.router)


def install_ui(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    app.add_middleware(SecurityHeaders, hsts=app.state.settings.secure_cookies)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        return login_redirect(request)

    @app.exception_handler(UiError)
    async def _ui_error(request: Request, exc: UiError) -> Response:
        return error_page(request, exc.status, exc.message)

    # Errors raised by shared services, shown as pages under /ui and as JSON elsewhere.
    json_app_error = app.exception_handlers[AppError]
    json_http_error = app.exception_handlers[HTTPException]
    json_validation_error = app.exception_handlers[RequestValidationError]

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        if request.url.path.startswith("/ui"):
            return error_page(request, exc.status, exc.message)
        return await json_app_error(request, exc)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/ui"):
            message = "Sidan finns inte." if exc.status_code == 404 else str(exc.detail)
            return error_page(request, exc.status_code, message)
        return await json_http_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/ui"):
            return error_page(request, 422, "Felaktiga uppgifter i formuläret.")
        return await json_validation_error(request, exc)
