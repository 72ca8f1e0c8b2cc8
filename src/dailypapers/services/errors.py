"""The ways a community action can be refused, which the web turns into status codes."""

from __future__ import annotations


class ActionRefused(Exception):
    """An action the services will not take; the message says why, for the person asking."""


class NotAllowed(ActionRefused):
    """The member may not do this (403)."""


class NotFound(ActionRefused):
    """What the action names does not exist (404)."""


class Conflict(ActionRefused):
    """The action clashes with what is already there (409)."""


class InvalidInput(ActionRefused, ValueError):
    """What was sent cannot be used as it is (400)."""
