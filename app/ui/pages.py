"""Web UI: pages."""

from fastapi import APIRouter

router = APIRouter(prefix="/ui", include_in_schema=False)
