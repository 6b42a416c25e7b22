"""A fake Graph API served over real HTTP, for the test suite and for local use.

It answers what Uppsikt asks of Meta: `GET /{version}/{id}?fields=…`, `POST /{version}/{id}`
with `is_hidden`, `DELETE /{version}/{id}`, media downloads from expiring CDN-style URLs,
and for reconciliation a page's feed (`/{page}/feed`, `/{page}/posts`), an object's
comments (`/{id}/comments`, with `filter=stream`, `since`/`until`, `limit` and `after`
cursors in `paging.next`) and the page's webhook subscription (`GET`/`POST
/{page}/subscribed_apps`). Everything it receives is recorded on `FakeGraphState`, and
failures, slowness and usage headers can be injected per object or for the next requests.

Order of handling for a Graph request: record it (and, for POST/DELETE, the action), run
`before_action`, wait the delays, then answer the first that applies of: `fail_next`, for
a POST or DELETE the random `action_failure_rate`, a wrong token (190), the object's
`failures` queue, the object itself.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

DEFAULT_TOKEN = "page-token-secret"
APP_ID = "100000000000001"
APP_NAME = "Uppsikt"

# (status, Graph error body) or (status, Graph error body, response headers)
Failure = tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], dict[str, str]]


def graph_error(code: int, message: str = "error", subcode: int | None = None,
                status: int = 400, *, error_type: str = "OAuthException",
                ) -> tuple[int, dict[str, Any]]:
    """A Graph API error answer as (status, body)."""
    error: dict[str, Any] = {"message": message, "type": error_type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    return status, {"error": error}


def usage_header(business_id: str = "0", *, call_count: int = 100, total_time: int = 100,
                 total_cputime: int = 100, regain_minutes: int = 1) -> dict[str, str]:
    """An `X-Business-Use-Case-Usage` header as Meta sends it for Page tokens."""
    usage = {business_id: [{"type": "pages", "call_count": call_count,
                            "total_cputime": total_cputime, "total_time": total_time,
                            "estimated_time_to_regain_access": regain_minutes}]}
    return {"X-Business-Use-Case-Usage": json.dumps(usage, separators=(",", ":"))}


def rate_limit_error(code: int = 32, *, business_id: str = "0", regain_minutes: int = 1,
                     status: int = 400) -> Failure:
    """A rate-limit answer (4, 17, 32, 613 or 80001) with its usage header."""
    status, body = graph_error(code, f"({code}) Request limit reached", status=status)
    return status, body, usage_header(business_id, regain_minutes=regain_minutes)


def gone_error(method: str, object_id: str) -> tuple[int, dict[str, Any]]:
    """Meta's answer for an object that was removed, never existed or cannot be seen."""
    return graph_error(
        100, f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not "
        "exist, cannot be loaded due to missing permissions, or does not support this "
        "operation.", subcode=33, error_type="GraphMethodException")


@dataclass
class FakeGraphState:
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    # object id -> answers given first, one per request (GET, POST or DELETE)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    token: str = DEFAULT_TOKEN
    # Comments whose "from" id is one of these were written by the page: they cannot be hidden.
    page_ids: set[str] = field(default_factory=set)
    actions: list[dict[str, Any]] = field(default_factory=list)
    deleted_ids: set[str] = field(default_factory=set)
    # Called with (method, object_id) as each POST or DELETE arrives; raising makes it a 500.
    before_action: Callable[[str, str], None] | None = None
    hook_failures: list[str] = field(default_factory=list)
    delay_seconds: float = 0.0
    # object id or media name -> extra seconds before answering
    delays: dict[str, float] = field(default_factory=dict)
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    # media name -> HTTP statuses answered first, one per request
    media_failures: dict[str, list[int]] = field(default_factory=dict)
    media_requests: list[dict[str, Any]] = field(default_factory=list)
    # Set by FakeGraphServer: the root that media URLs are built on.
    base_url: str | None = None
    # page id -> its posts (visitors' posts included), oldest first
    feeds: dict[str, list[str]] = field(default_factory=dict)
    # post or comment id -> the comments directly under it, oldest first
    comment_lists: dict[str, list[str]] = field(default_factory=dict)
    # page id -> the fields this app is subscribed to (absent: not subscribed)
    subscriptions: dict[str, list[str]] = field(default_factory=dict)
    # When set, every POST /{page}/subscribed_apps is answered with this error.
    subscribe_failure: Failure | None = None
    # Headers added to every Graph answer (e.g. X-App-Usage), unless the answer has its own.
    usage_headers: dict[str, str] = field(default_factory=dict)
    # Meta caps `limit`; lowered in tests to see pagination with few objects.
    max_page_size: int = 100
    # This share of POSTs and DELETEs, drawn from `rng`, is answered with `random_failure`
    # (by default a passing error, as Meta gives under load); counted in injected_failures.
    action_failure_rate: float = 0.0
    random_failure: Failure = field(default_factory=lambda: graph_error(
        2, "An unexpected error has occurred. Please retry your request later.", status=503))
    rng: random.Random = field(default_factory=random.Random)
    injected_failures: int = 0
    _next_failures: list[Failure] = field(default_factory=list)
    _media_links: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    _post_of: dict[str, str] = field(default_factory=dict)  # comment id -> its post
    _times: dict[str, float] = field(default_factory=dict)  # object id -> created (Unix)

    def reset(self) -> None:
        """Forget everything but the token and the server address."""
        for collection in (self.objects, self.failures, self.requests, self.page_ids,
                           self.actions, self.deleted_ids, self.hook_failures, self.delays,
                           self.media, self.media_failures, self.media_requests,
                           self.feeds, self.comment_lists, self.subscriptions,
                           self.usage_headers, self._next_failures, self._media_links,
                           self._post_of, self._times):
            collection.clear()
        self.before_action = None
        self.delay_seconds = 0.0
        self.subscribe_failure = None
        self.max_page_size = 100
        self.action_failure_rate = 0.0
        self.injected_failures = 0

    def add_post(self, page_id: str, post_id: str, message: str | None = None, *,
                 created: datetime | float | None = None, sender: dict[str, str] | None = None,
                 status_type: str = "mobile_status_update",
                 **fields: Any) -> dict[str, Any]:
        """A post on the page's feed (by the page unless ``sender`` says otherwise)."""
        at = _unix(created)
        obj: dict[str, Any] = {"created_time": _graph_time(at), "updated_time": _graph_time(at),
                               "from": sender or {"id": page_id, "name": "Sidan"},
                               "status_type": status_type, **fields}
        if message is not None:
            obj["message"] = message
        self.objects[post_id] = obj
        self._times[post_id] = at
        self.feeds.setdefault(page_id, []).append(post_id)
        self.page_ids.add(page_id)
        return obj

    def add_comment(self, parent_id: str, comment_id: str, message: str | None = None, *,
                    created: datetime | float | None = None,
                    sender: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        """A comment on a post, or a reply when ``parent_id`` is a comment; the post's
        ``updated_time`` moves on as Meta's does."""
        at = _unix(created)
        post_id = self._post_of.get(parent_id, parent_id)
        obj: dict[str, Any] = {"created_time": _graph_time(at),
                               "from": sender or {"id": "555", "name": "Åsa Öberg"}, **fields}
        if message is not None:
            obj["message"] = message
        if parent_id != post_id:
            obj["parent"] = {"id": parent_id}
        self.objects[comment_id] = obj
        self._times[comment_id] = at
        self._post_of[comment_id] = post_id
        self.comment_lists.setdefault(parent_id, []).append(comment_id)
        self._touch(post_id, at)
        return obj

    def edit(self, object_id: str, message: str, *, at: datetime | float | None = None) -> None:
        """The author changed the text (a comment keeps its created_time, as on Meta)."""
        self.objects[object_id]["message"] = message
        self._touch(self._post_of.get(object_id, object_id), _unix(at))

    def _touch(self, post_id: str, at: float) -> None:
        post = self.objects.get(post_id)
        if post is not None and "updated_time" in post:
            post["updated_time"] = _graph_time(max(at, _parse_time(post["updated_time"])))

    def feed_of(self, page_id: str, *, own: bool = False) -> list[str]:
        """The page's posts, latest activity first; ``own``: only those by the page."""
        posts = [p for p in self.feeds.get(page_id, []) if p not in self.deleted_ids
                 and (not own or str((self.objects[p].get("from") or {}).get("id")) == page_id)]
        return sorted(posts, key=lambda p: _parse_time(self.objects[p]["updated_time"]),
                      reverse=True)

    def comments_of(self, object_id: str, *, stream: bool) -> list[str]:
        """Comments under an object, oldest first; ``stream``: replies too, as Meta's
        ``filter=stream`` gives them."""
        if stream:
            found = [c for c, post in self._post_of.items() if post == object_id]
            found += [c for c in self._descendants(object_id) if c not in found]
        else:
            found = list(self.comment_lists.get(object_id, []))
        return sorted((c for c in found if c not in self.deleted_ids),
                      key=lambda c: (self._times.get(c, 0.0), c))

    def _descendants(self, object_id: str) -> list[str]:
        out: list[str] = []
        for child in self.comment_lists.get(object_id, []):
            out += [child, *self._descendants(child)]
        return out

    def created_at(self, object_id: str) -> float:
        return self._times.get(object_id, 0.0)

    def fail_next(self, n: int, status: int, body: dict[str, Any],
                  headers: dict[str, str] | None = None) -> None:
        """Answer the next `n` Graph requests, whatever their object, with this error."""
        entry: Failure = (status, body, headers) if headers else (status, body)
        self._next_failures.extend([entry] * n)

    def hidden(self, object_id: str) -> bool | None:
        """The object's hidden state, or None if it is unknown or was never set."""
        obj = self.objects.get(object_id)
        return None if obj is None else obj.get("is_hidden")

    def deleted(self, object_id: str) -> bool:
        return object_id in self.deleted_ids

    def action_calls(self, object_id: str) -> list[dict[str, Any]]:
        """Every POST and DELETE received for the object, answered or refused, in order."""
        return [a for a in self.actions if a["object_id"] == object_id]

    def by_page(self, object_id: str) -> bool:
        obj = self.objects.get(object_id) or {}
        sender = obj.get("from")
        sender_id = sender.get("id") if isinstance(sender, dict) else None
        return bool(obj.get("by_page")) or (sender_id is not None
                                            and str(sender_id) in self.page_ids)

    def media_url(self, name: str, ttl_seconds: float | None = None) -> str:
        """A CDN-style URL for `state.media[name]` that answers 403 once the TTL is over."""
        if self.base_url is None:
            raise RuntimeError("the state is not served yet: start a FakeGraphServer first")
        expires = None if ttl_seconds is None else time.time() + ttl_seconds
        signature = secrets.token_hex(16)
        self._media_links[signature] = (name, expires)
        oe = 0xFFFFFFFF if expires is None else math.ceil(expires)
        return f"{self.base_url}/media/{name}?oe={oe:08X}&oh={signature}"


def _answer(entry: Failure) -> JSONResponse:
    status, body, *rest = entry
    return JSONResponse(body, status, headers=rest[0] if rest else None)


def _unix(value: datetime | float | None) -> float:
    if value is None:
        return time.time()
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _graph_time(seconds: float) -> str:
    """Graph's time format: ``2026-01-10T09:00:00+0000``."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _parse_time(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").timestamp()


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{position}".encode()).decode()


def _position(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return max(0, int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":")[1]))
    except (ValueError, IndexError, UnicodeDecodeError):
        return 0


async def _form_value(request: Request, name: str) -> str | None:
    if name in request.query_params:
        return request.query_params[name]
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(name)
        return value if isinstance(value, str) else None
    return None


def _hidden_value(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    return {"true": True, "false": False}.get(str(raw).strip().lower()) if raw else None


async def _is_hidden_param(request: Request) -> bool | None:
    """`is_hidden` from the query, a form body or a JSON body, as Meta takes it."""
    if "is_hidden" in request.query_params:
        return _hidden_value(request.query_params["is_hidden"])
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            return None
        return _hidden_value(body.get("is_hidden")) if isinstance(body, dict) else None
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return _hidden_value((await request.form()).get("is_hidden"))
    return None


def _select(object_id: str, obj: dict[str, Any], fields: str) -> dict[str, Any]:
    # "from{id,name}" asks for "from": nested selections are not narrowed further.
    wanted = {f.split("{", 1)[0].strip() for f in fields.split(",") if f.strip()}
    return {"id": object_id, **{k: v for k, v in obj.items()
                               if k != "by_page" and (not wanted or k in wanted)}}


def build_app(state: FakeGraphState) -> FastAPI:
    app = FastAPI(title="Fake Graph API", openapi_url=None)

    async def pause(key: str) -> None:
        seconds = state.delay_seconds + state.delays.get(key, 0.0)
        if seconds > 0:
            await asyncio.sleep(seconds)

    # Registered before the Graph routes so that "/media/…" never reads as a version.
    @app.get("/media/{name}")
    async def get_media(name: str, request: Request) -> Response:
        state.media_requests.append({"method": "GET", "path": request.url.path,
                                     "query": str(request.url.query)})
        await pause(name)
        queued = state.media_failures.get(name)
        if queued:
            return PlainTextResponse(f"injected failure for {name}", queued.pop(0))
        signature = request.query_params.get("oh")
        if signature is not None:  # a URL from media_url(); a bare /media/{name} never expires
            link = state._media_links.get(signature)
            if link is None or link[0] != name:
                return PlainTextResponse("Bad URL hash", 403)
            if link[1] is not None and time.time() >= link[1]:
                return PlainTextResponse("URL signature expired", 403)
        if name not in state.media:
            return PlainTextResponse("Not found", 404)
        content_type, content = state.media[name]
        return Response(content, media_type=content_type)

    async def handle(method: str, object_id: str, request: Request) -> JSONResponse:
        authorization = request.headers.get("authorization")
        state.requests.append({"method": method, "path": request.url.path,
                               "query": str(request.url.query),
                               "authorization": authorization})
        if method == "GET":
            return await answer(method, object_id, request, authorization, None, None)
        is_hidden = await _is_hidden_param(request) if method == "POST" else None
        action = {"method": method, "object_id": object_id, "is_hidden": is_hidden,
                  "at": time.monotonic(), "at_iso": datetime.now(UTC).isoformat(),
                  "authorization": authorization, "status": None, "injected": False}
        state.actions.append(action)
        response = await answer(method, object_id, request, authorization, is_hidden,
                                action)
        action["status"] = response.status_code
        return response

    async def answer(method: str, object_id: str, request: Request, authorization: str | None,
                     is_hidden: bool | None, action: dict[str, Any] | None) -> JSONResponse:
        if method != "GET" and state.before_action is not None:
            try:
                # In a worker thread: the hook may block (a database query, say).
                await asyncio.to_thread(state.before_action, method, object_id)
            except Exception as exc:  # noqa: BLE001 - any hook failure is the finding
                text = f"{method} {object_id}: {type(exc).__name__}: {exc}"
                state.hook_failures.append(text)
                return JSONResponse({"error": {"message": f"before_action hook failed: {text}",
                                               "type": "FakeGraphHookError", "code": 1}}, 500)
        await pause(object_id)
        if state._next_failures:
            return _answer(state._next_failures.pop(0))
        if action is not None and state.action_failure_rate > 0 \
                and state.rng.random() < state.action_failure_rate:
            state.injected_failures += 1
            action["injected"] = True
            return _answer(state.random_failure)
        # Only the header is accepted, never ?access_token=: a token in a URL fails loudly.
        if authorization != f"Bearer {state.token}":
            return _answer(graph_error(190, "Invalid OAuth access token - Cannot parse "
                                       "access token"))
        queued = state.failures.get(object_id)
        if queued:
            return _answer(queued.pop(0))
        if object_id not in state.objects or object_id in state.deleted_ids:
            return _answer(gone_error(method, object_id))
        if method == "GET":
            fields = request.query_params.get("fields", "")
            return JSONResponse(_select(object_id, state.objects[object_id], fields))
        if method == "DELETE":
            state.deleted_ids.add(object_id)
            return JSONResponse({"success": True})
        if is_hidden is None:
            return _answer(graph_error(100, "(#100) Param is_hidden must be a boolean"))
        if state.by_page(object_id):
            return _answer(graph_error(100, "(#100) Cannot hide or unhide a comment made by "
                                       "the page itself"))
        state.objects[object_id]["is_hidden"] = is_hidden
        return JSONResponse({"success": True})

    def with_usage(response: JSONResponse) -> JSONResponse:
        for name, value in state.usage_headers.items():
            if name.lower() not in response.headers:
                response.headers[name] = value
        return response

    async def edge(method: str, object_id: str, edge_name: str,
                   request: Request) -> JSONResponse:
        authorization = request.headers.get("authorization")
        state.requests.append({"method": method, "path": request.url.path,
                               "query": str(request.url.query), "edge": edge_name,
                               "authorization": authorization})
        await pause(object_id)
        if state._next_failures:
            return _answer(state._next_failures.pop(0))
        if authorization != f"Bearer {state.token}":
            return _answer(graph_error(190, "Invalid OAuth access token - Cannot parse "
                                       "access token"))
        queued = state.failures.get(object_id)
        if queued:
            return _answer(queued.pop(0))
        if edge_name == "subscribed_apps":
            return await subscribed_apps(method, object_id, request)
        if method != "GET" or edge_name not in ("feed", "posts", "comments"):
            return _answer(graph_error(2500, f"Unknown path components: /{edge_name}",
                                       error_type="OAuthException"))
        if edge_name == "comments":
            if object_id not in state.objects or object_id in state.deleted_ids:
                return _answer(gone_error(method, object_id))
            rows = state.comments_of(object_id,
                                     stream=request.query_params.get("filter") == "stream")
            if request.query_params.get("order") == "reverse_chronological":
                rows.reverse()
            times = {c: state.created_at(c) for c in rows}
        else:
            rows = state.feed_of(object_id, own=edge_name == "posts")
            times = {p: _parse_time(state.objects[p]["updated_time"]) for p in rows}
        since, until = _int_param(request, "since"), _int_param(request, "until")
        rows = [r for r in rows if (since is None or times[r] >= since)
                and (until is None or times[r] <= until)]
        return listing(request, rows)

    def listing(request: Request, rows: list[str]) -> JSONResponse:
        limit = _int_param(request, "limit") or 25
        limit = max(1, min(limit, state.max_page_size))
        start = _position(request.query_params.get("after"))
        chunk = rows[start:start + limit]
        fields = request.query_params.get("fields", "")
        body: dict[str, Any] = {"data": [_select(r, state.objects[r], fields) for r in chunk]}
        if chunk:
            body["paging"] = {"cursors": {"before": _cursor(start),
                                          "after": _cursor(start + len(chunk))}}
            if start + len(chunk) < len(rows):
                query = dict(request.query_params)
                query["after"] = _cursor(start + len(chunk))
                body["paging"]["next"] = str(request.url.replace_query_params(**query))
        return JSONResponse(body)

    async def subscribed_apps(method: str, page_id: str, request: Request) -> JSONResponse:
        if method == "GET":
            fields = state.subscriptions.get(page_id)
            return JSONResponse({"data": [] if fields is None else [
                {"link": "https://uppsikt.example/", "name": APP_NAME, "id": APP_ID,
                 "subscribed_fields": list(fields)}]})
        if state.subscribe_failure is not None:
            return _answer(state.subscribe_failure)
        raw = await _form_value(request, "subscribed_fields")
        fields = [f.strip() for f in (raw or "").split(",") if f.strip()]
        if not fields:
            return _answer(graph_error(100, "(#100) The parameter subscribed_fields is "
                                       "required"))
        state.subscriptions[page_id] = fields
        return JSONResponse({"success": True})

    @app.get("/{version}/{object_id}/{edge_name}")
    async def get_edge(version: str, object_id: str, edge_name: str,
                       request: Request) -> JSONResponse:
        return with_usage(await edge("GET", object_id, edge_name, request))

    @app.post("/{version}/{object_id}/{edge_name}")
    async def post_edge(version: str, object_id: str, edge_name: str,
                        request: Request) -> JSONResponse:
        return with_usage(await edge("POST", object_id, edge_name, request))

    @app.get("/{version}/{object_id}")
    async def get_object(version: str, object_id: str, request: Request) -> JSONResponse:
        return with_usage(await handle("GET", object_id, request))

    @app.post("/{version}/{object_id}")
    async def post_object(version: str, object_id: str, request: Request) -> JSONResponse:
        return with_usage(await handle("POST", object_id, request))

    @app.delete("/{version}/{object_id}")
    async def delete_object(version: str, object_id: str, request: Request) -> JSONResponse:
        return with_usage(await handle("DELETE", object_id, request))

    return app


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket, bound before the server runs so that its port is known at once."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


def server_config(state: FakeGraphState) -> uvicorn.Config:
    # No access log: a client that put a token in a query string would see it printed.
    return uvicorn.Config(build_app(state), log_level="warning", access_log=False,
                          lifespan="off", ws="none")


class FakeGraphServer:
    """The fake on 127.0.0.1 in a background thread; `base_url` is the server root (the API
    version is whatever the client puts in the path)."""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1",
                 state: FakeGraphState | None = None) -> None:
        self.state = state or FakeGraphState()
        self.host = host
        self.socket = bind(host, port)
        self.port: int = self.socket.getsockname()[1]
        self.state.base_url = self.base_url
        self.server = uvicorn.Server(server_config(self.state))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name=f"fake-graph-{self.port}", daemon=True)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> FakeGraphServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                self.stop()
                raise RuntimeError("fake Graph server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(5)
        self.socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
