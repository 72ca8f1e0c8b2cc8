"""The interactive API docs, with Swagger UI's files served from this site, not a CDN.

FastAPI's own docs page loads Swagger UI from a CDN with an inline script; this one
reads the files the swagger-ui-bundle-v2 package installs and starts Swagger UI from a
script file of ours, so it works offline and under the site's Content-Security-Policy.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from dailypapers.web.dependencies import RendererDep

SWAGGER_UI_URL = "/static/swagger-ui"

router = APIRouter(include_in_schema=False)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(renderer: RendererDep) -> Response:
    """Show the API's description as Swagger UI, from files this site serves."""
    return renderer.page(
        "api_docs.html", swagger_ui_url=SWAGGER_UI_URL, openapi_url="/api/openapi.json"
    )


def install_api_docs(app: FastAPI, static_folder: str) -> None:
    """Add the docs page, Swagger UI's files and the favicon; call before mounting /static."""
    app.include_router(router)
    app.mount(SWAGGER_UI_URL, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """Answer browsers that ask for the icon at the root."""
        return FileResponse(f"{static_folder}/favicon.ico", media_type="image/x-icon")
