"""Say on the search pages when meaning-based search is off, and how to turn it on."""

from __future__ import annotations

from fastapi import FastAPI

from dailypapers.web.rendering import Renderer


def announce_semantic_search_off(app: FastAPI, reason: str) -> None:
    """Show the reason on every page that offers search by meaning."""
    renderer: Renderer = app.state.renderer
    renderer.environment.globals["semantic_off"] = reason
