"""API: /deliveries and /deliveries/{id}/retry (API.md "Messages").

OWNER: the staff-pages helper.
"""

from __future__ import annotations

from ninja import Router

router = Router(tags=["messages"])
