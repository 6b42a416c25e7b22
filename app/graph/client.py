"""The one client for Meta's Graph API: explicit timeouts and classified errors.

The page token travels in the Authorization header, never in a URL, so that no log line or
error message can carry it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import httpx

from app.core.config import Settings


class GraphErrorKind(StrEnum):
    rate_limited = "rate_limited"  # back off, honour X-Business-Use-Case-Usage
    transient = "transient"  # retry with backoff
    token_invalid = "token_invalid"  # stop for this page, alert
    permission = "permission"  # stop, alert
    gone = "gone"  # the object no longer exists: treat as removed
    invalid = "invalid"  # our request was wrong: do not retry blindly


RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})
TRANSIENT_CODES = frozenset({1, 2, 341})
GONE_CODES = frozenset({33})


# Listing edges: never more than this many pages of one listing in one call of list_edge.
MAX_LIST_PAGES = 200


@dataclass(frozen=True)
class Usage:
    """How much of Meta's rate limits an answer said was used: the highest percentage of
    call count, CPU time and total time over ``X-App-Usage``, ``X-Page-Usage`` and
    ``X-Business-Use-Case-Usage``, and in how many seconds access comes back when Meta
    said it is blocked."""

    percent: float = 0.0
    regain_seconds: float | None = None

    def worse(self, other: Usage) -> Usage:
        regain = [s for s in (self.regain_seconds, other.regain_seconds) if s is not None]
        return Usage(max(self.percent, other.percent), max(regain) if regain else None)


@dataclass
class Listing:
    """One page of an edge (``/{id}/feed``, ``/{id}/comments`` ...) and its usage."""

    data: list[dict[str, Any]]
    usage: Usage = field(default_factory=Usage)


class GraphError(Exception):
    def __init__(self, kind: GraphErrorKind, message: str, *, code: int | None = None,
                 subcode: int | None = None, status: int | None = None,
                 retry_after: float | None = None, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.subcode = subcode
        self.status = status
        self.retry_after = retry_after  # seconds, from Meta's usage headers
        self.usage = usage or Usage()

    @property
    def retryable(self) -> bool:
        return self.kind in (GraphErrorKind.rate_limited, GraphErrorKind.transient)

    def __str__(self) -> str:
        detail = f" (code {self.code}" + (f"/{self.subcode}" if self.subcode else "") + ")"
        return f"{self.kind}: {self.args[0]}{detail if self.code is not None else ''}"


def classify(status: int, error: dict[str, Any]) -> GraphErrorKind:
    code = error.get("code")
    subcode = error.get("error_subcode")
    if code in RATE_LIMIT_CODES:
        return GraphErrorKind.rate_limited
    if code == 190:
        return GraphErrorKind.token_invalid
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        return GraphErrorKind.permission
    if code in GONE_CODES or (code == 100 and subcode == 33):
        return GraphErrorKind.gone
    if code == 100 and status == 404:
        return GraphErrorKind.gone
    if code in TRANSIENT_CODES or status >= 500 or error.get("is_transient"):
        return GraphErrorKind.transient
    return GraphErrorKind.invalid


class GraphClient:
    def __init__(self, base_url: str, *, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            headers={"User-Agent": "Uppsikt"},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> GraphClient:
        return cls(settings.graph_url, timeout=settings.graph_timeout_seconds)

    def close(self) -> None:
        self._http.close()

    def get_object(self, object_id: str, *, fields: str, token: str) -> dict[str, Any]:
        return self._request("GET", object_id, token=token, params={"fields": fields})

    def hide(self, object_id: str, *, hidden: bool, token: str) -> dict[str, Any]:
        """``POST /{comment-id}`` with ``is_hidden``: hides or shows a comment."""
        return self._request("POST", object_id, token=token,
                             data={"is_hidden": "true" if hidden else "false"})

    def delete(self, object_id: str, *, token: str) -> dict[str, Any]:
        """``DELETE /{comment-id}``."""
        return self._request("DELETE", object_id, token=token)

    def list_edge(self, object_id: str, edge: str, *, token: str,
                  params: dict[str, str] | None = None,
                  max_pages: int = MAX_LIST_PAGES) -> Iterator[Listing]:
        """Every page of ``GET /{object_id}/{edge}``, one ``Listing`` at a time, so that the
        caller can stop when the usage runs high. Follows ``paging.next`` only while it
        points at the same Graph host and edge; its parameters are sent again with the
        token in the header (a token Meta put in the link is dropped)."""
        query = dict(params or {})
        seen: set[tuple[tuple[str, str], ...]] = set()
        for _ in range(max_pages):
            data, headers = self._send("GET", object_id, edge=edge, token=token, params=query)
            rows = data.get("data")
            yield Listing([r for r in rows if isinstance(r, dict)]
                          if isinstance(rows, list) else [], usage_of(headers))
            query = self._next_query(data.get("paging"), object_id, edge)
            key = tuple(sorted(query.items())) if query is not None else ()
            if query is None or key in seen:
                return
            seen.add(key)

    def feed(self, page_id: str, *, token: str, since: int | None = None, limit: int = 50,
             fields: str = "id,message,created_time,updated_time,from{id,name},status_type,"
             "full_picture") -> Iterator[Listing]:
        """``GET /{page-id}/feed``: the page's posts and visitors' posts; ``since`` (Unix
        seconds) applies to a post's last activity (``updated_time``)."""
        params = {"fields": fields, "limit": str(limit)}
        if since is not None:
            params["since"] = str(since)
        return self.list_edge(page_id, "feed", token=token, params=params)

    def comments(self, object_id: str, *, token: str, since: int | None = None,
                 limit: int = 100, stream: bool = True,
                 fields: str = "id,message,created_time,from{id,name},parent{id},attachment",
                 ) -> Iterator[Listing]:
        """``GET /{object-id}/comments``; with ``stream`` every comment and reply of a post
        in the order they were written (``filter=stream``)."""
        params = {"fields": fields, "limit": str(limit), "order": "chronological"}
        if stream:
            params["filter"] = "stream"
        if since is not None:
            params["since"] = str(since)
        return self.list_edge(object_id, "comments", token=token, params=params)

    def subscribed_apps(self, page_id: str, *, token: str) -> tuple[list[dict[str, Any]], Usage]:
        """``GET /{page-id}/subscribed_apps``: the apps that get the page's webhooks."""
        data, headers = self._send("GET", page_id, edge="subscribed_apps", token=token)
        rows = data.get("data")
        return ([r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else [],
                usage_of(headers))

    def subscribe(self, page_id: str, fields: list[str] | tuple[str, ...], *,
                  token: str) -> tuple[dict[str, Any], Usage]:
        """``POST /{page-id}/subscribed_apps`` with ``subscribed_fields``: (re)subscribe the
        app to the page's webhooks."""
        data, headers = self._send("POST", page_id, edge="subscribed_apps", token=token,
                                   data={"subscribed_fields": ",".join(fields)})
        return data, usage_of(headers)

    def _next_query(self, paging: Any, object_id: str, edge: str) -> dict[str, str] | None:
        if not isinstance(paging, dict) or not isinstance(paging.get("next"), str):
            return None
        try:
            link = httpx.URL(paging["next"])
        except (httpx.InvalidURL, TypeError, ValueError):
            return None
        base = self._http.base_url
        wanted_path = base.path + quote(object_id, safe="") + "/" + edge
        if (link.scheme, link.host, link.port) != (base.scheme, base.host, base.port) \
                or link.path != wanted_path:
            return None
        return {k: v for k, v in link.params.items() if k != "access_token"}

    def download(self, url: str, *, max_bytes: int) -> tuple[bytes, str | None]:
        """A media file from its (expiring, unauthenticated) CDN URL: the bytes and their
        content type. Refuses more than ``max_bytes``."""
        if not url.startswith(("https://", "http://")):
            raise GraphError(GraphErrorKind.invalid, "not a web address")
        try:
            with self._http.stream("GET", url) as response:
                if response.status_code in (403, 404, 410):
                    raise GraphError(GraphErrorKind.gone, f"media URL answered "
                                     f"{response.status_code} (expired or removed)",
                                     status=response.status_code)
                if not response.is_success:
                    kind = GraphErrorKind.transient if response.status_code >= 500 or \
                        response.status_code == 429 else GraphErrorKind.invalid
                    raise GraphError(kind, f"media URL answered {response.status_code}",
                                     status=response.status_code)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise GraphError(GraphErrorKind.invalid,
                                         f"media larger than {max_bytes} bytes")
                    chunks.append(chunk)
                mime = response.headers.get("content-type")
                return b"".join(chunks), mime.split(";")[0].strip() if mime else None
        except httpx.TimeoutException as exc:
            raise GraphError(GraphErrorKind.transient, f"timeout: {type(exc).__name__}") from exc
        except (httpx.TransportError, httpx.HTTPError) as exc:
            raise GraphError(GraphErrorKind.transient, f"network: {type(exc).__name__}") from exc

    def _request(self, method: str, object_id: str, *, token: str,
                 params: dict[str, str] | None = None,
                 data: dict[str, str] | None = None) -> dict[str, Any]:
        return self._send(method, object_id, token=token, params=params, data=data)[0]

    def _send(self, method: str, object_id: str, *, token: str, edge: str | None = None,
              params: dict[str, str] | None = None,
              data: dict[str, str] | None = None) -> tuple[dict[str, Any], httpx.Headers]:
        # Ids come from webhook payloads: quoted whole, so that no id can reach another path.
        path = quote(object_id, safe="") + (f"/{edge}" if edge else "")
        try:
            response = self._http.request(
                method, path, params=params, data=data,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.InvalidURL as exc:
            raise GraphError(GraphErrorKind.invalid, f"unusable object id: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise GraphError(GraphErrorKind.transient, f"timeout: {type(exc).__name__}") from exc
        except (httpx.TransportError, httpx.HTTPError) as exc:
            raise GraphError(GraphErrorKind.transient, f"network: {type(exc).__name__}") from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success and isinstance(data, dict):
            return data, response.headers
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            kind = GraphErrorKind.transient if response.status_code >= 500 or response.is_success \
                else GraphErrorKind.invalid
            raise GraphError(kind, f"HTTP {response.status_code} without a Graph error",
                             status=response.status_code)
        kind = classify(response.status_code, error)
        raise GraphError(
            kind,
            str(error.get("message") or "Graph API error")[:500],
            code=error.get("code") if isinstance(error.get("code"), int) else None,
            subcode=error.get("error_subcode") if isinstance(error.get("error_subcode"), int)
            else None,
            status=response.status_code,
            retry_after=regain_after(response.headers) if kind is GraphErrorKind.rate_limited
            else None,
            usage=usage_of(response.headers),
        )


def regain_after(headers: httpx.Headers) -> float | None:
    """Seconds until Meta gives access back, from ``X-Business-Use-Case-Usage``
    (``{"<business id>": [{"estimated_time_to_regain_access": <minutes>, ...}]}``)."""
    raw = headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [entry.get("estimated_time_to_regain_access")
               for entries in (usage.values() if isinstance(usage, dict) else ())
               if isinstance(entries, list) for entry in entries if isinstance(entry, dict)]
    minutes = [m for m in minutes if isinstance(m, int | float) and m >= 0]
    return max(minutes) * 60.0 if minutes else None


USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-ad-account-usage")
USAGE_KEYS = ("call_count", "total_time", "total_cputime", "acc_id_util_pct")


def usage_of(headers: httpx.Headers) -> Usage:
    """The usage Meta reported on an answer (see ``Usage``); malformed headers count as
    nothing reported."""
    percents: list[float] = []
    for name in USAGE_HEADERS:
        doc = _json_header(headers, name)
        if isinstance(doc, dict):
            percents += [doc[k] for k in USAGE_KEYS if isinstance(doc.get(k), int | float)]
    business = _json_header(headers, "x-business-use-case-usage")
    for entries in business.values() if isinstance(business, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict):
                percents += [entry[k] for k in USAGE_KEYS
                             if isinstance(entry.get(k), int | float)]
    regain = regain_after(headers)
    return Usage(float(max(percents, default=0)), regain if regain else None)


def _json_header(headers: httpx.Headers, name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
