"""The baseline for ``bench/intake.py``: the least a FastAPI webhook endpoint can do.

``POST /webhooks/meta`` reads the whole body and answers 200; nothing is verified or
stored. It is served exactly as ``uppsikt serve`` serves the real app: ``uvicorn.run`` with
one worker, the default loop and HTTP implementations ("auto": uvloop and httptools when
installed), ``log_config=None`` and ``proxy_headers=True``, access log level WARNING.

    python bench/bare_app.py --host 127.0.0.1 --port 8001
"""

from __future__ import annotations

import argparse
import logging

from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI(title="bare")


@app.post("/webhooks/meta")
async def receive(request: Request) -> Response:
    await request.body()
    return Response(status_code=200)


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    # Same as app.core.logging.configure_logging(level="WARNING"): no access log lines.
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, proxy_headers=True)


if __name__ == "__main__":
    main()
