"""A fake Graph API served over real HTTP (uvicorn in a thread) for end-to-end tests."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class FakeGraphState:
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    # object id -> list of (status, error body) answered first, one per call
    failures: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    token: str = "page-token-secret"

    def reset(self) -> None:
        self.objects.clear()
        self.failures.clear()
        self.requests.clear()


def graph_error(code: int, message: str = "error", subcode: int | None = None,
                status: int = 400) -> tuple[int, dict[str, Any]]:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    return status, {"error": error}


def build_app(state: FakeGraphState) -> FastAPI:
    app = FastAPI()

    @app.get("/{version}/{object_id}")
    async def get_object(version: str, object_id: str, request: Request) -> JSONResponse:
        state.requests.append({"method": "GET", "path": request.url.path,
                               "query": str(request.url.query),
                               "authorization": request.headers.get("authorization")})
        if request.headers.get("authorization") != f"Bearer {state.token}":
            return JSONResponse(graph_error(190, "Invalid OAuth access token")[1], 400)
        queued = state.failures.get(object_id)
        if queued:
            status, body = queued.pop(0)
            return JSONResponse(body, status)
        if object_id not in state.objects:
            status, body = graph_error(100, "Unsupported get request", subcode=33)
            return JSONResponse(body, status)
        wanted = request.query_params.get("fields", "")
        obj = state.objects[object_id]
        names = {f.split("{", 1)[0] for f in wanted.split(",") if f}
        return JSONResponse({"id": object_id, **{k: v for k, v in obj.items()
                                                if not names or k in names}})

    return app


class FakeGraphServer:
    def __init__(self) -> None:
        self.state = FakeGraphState()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(build_app(self.state), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeGraphServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake Graph server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)
