"""A fake Meta Graph API for tests and local runs (`uppsikt fake-graph`)."""

from app.fakegraph.server import (
    DEFAULT_TOKEN,
    FakeGraphServer,
    FakeGraphState,
    build_app,
    gone_error,
    graph_error,
    rate_limit_error,
    usage_header,
)

__all__ = [
    "DEFAULT_TOKEN",
    "FakeGraphServer",
    "FakeGraphState",
    "build_app",
    "gone_error",
    "graph_error",
    "rate_limit_error",
    "usage_header",
]
