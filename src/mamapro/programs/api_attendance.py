"""API for attendance (shared/API.md: /sessions/{id}/attendance)."""

from ninja import Router

router = Router(tags=["attendance"])
