"""The domain's one error type: a message a person can act on, and what kind of failure it is.

Field-level input problems use Django's ValidationError (forms show them beside the field,
the API answers 422 naming the field). A DomainError is a state conflict or a refused action.
"""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    status = 400

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)


class Conflict(DomainError):
    """The request clashes with the current state (already enrolled, checked out twice)."""

    status = 409


class Refused(DomainError):
    """The action is forbidden by a safety rule, whoever asks (a restricted adult)."""

    status = 403
