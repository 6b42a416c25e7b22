"""The fake Graph API now lives in app/fakegraph/; re-exported for the tests' imports."""

from app.fakegraph.server import (
    FakeGraphServer,
    FakeGraphState,
    build_app,
    gone_error,
    graph_error,
    rate_limit_error,
    usage_header,
)

__all__ = ["FakeGraphServer", "FakeGraphState", "build_app", "gone_error", "graph_error",
           "rate_limit_error", "usage_header"]
