"""API for courses, runs, sessions and enrollments (shared/API.md)."""

from ninja import Router

router = Router(tags=["programmes"])
