"""Submit a paper to today's page from the browser."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from dailypapers.domain.rate_limits import Action
from dailypapers.services.arxiv import PaperNotFound
from dailypapers.services.submissions import (
    check_may_submit,
    feature_submission,
    fetch_from_arxiv,
    typed_paper,
)
from dailypapers.sources.arxiv_api import ArxivApiError
from dailypapers.sources.http import FetchError
from dailypapers.storage import Storage
from dailypapers.web.accounts.auth import AccountsDep, MemberDep, enforce_rate_limit, see_other
from dailypapers.web.dependencies import NowDep, RendererDep, SettingsDep, StorageDep

router = APIRouter(include_in_schema=False)
OptionalText = Annotated[str, Form()]


@router.get("/submit", response_class=HTMLResponse)
def submit_form(
    member: MemberDep, storage: StorageDep, renderer: RendererDep, config: AccountsDep
) -> Response:
    """Show the submission form, if the site's policy lets the member submit."""
    check_may_submit(storage=storage, user=member, policy=config.submit_policy, organization=None)
    return renderer.page(
        "submit.html", form={}, typed=config.fetcher is None, **_choices(storage, member.id)
    )


def _choices(storage: Storage, user_id: int) -> dict[str, Any]:
    """Return the organizations the member may submit for, for the form."""
    return {
        "organizations": [m.organization for m in storage.user_memberships(user_id) if m.accepted]
    }


@router.post("/submit", response_class=HTMLResponse)
def submit(
    request: Request,
    member: MemberDep,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    config: AccountsDep,
    now: NowDep,
    paper: Annotated[str, Form()],
    organization: OptionalText = "",
    typed: OptionalText = "",
    title: OptionalText = "",
    abstract: OptionalText = "",
    authors: OptionalText = "",
    link: OptionalText = "",
) -> Response:
    """Feature the paper today: from arXiv, or as typed in when arXiv cannot say."""
    enforce_rate_limit(request, Action.SUBMIT, account=member.id)
    organization = organization.strip()
    check_may_submit(
        storage=storage, user=member, policy=config.submit_policy, organization=organization or None
    )
    form = {
        "paper": paper, "organization": organization, "title": title,
        "abstract": abstract, "authors": authors, "link": link,
    }  # fmt: skip
    if typed or config.fetcher is None:
        found = typed_paper(text=paper, title=title, abstract=abstract, authors=authors, link=link)
        refresh = False
    else:
        try:
            found = fetch_from_arxiv(
                fetcher=config.fetcher, api_url=settings.arxiv_api_url, text=paper
            )
        except (PaperNotFound, FetchError, ArxivApiError) as error:
            return renderer.page(
                "submit.html",
                status=502 if not isinstance(error, PaperNotFound) else 404,
                form=form,
                typed=True,
                error=f"{error}. Type in the paper's details instead.",
                **_choices(storage, member.id),
            )
        refresh = True
    with storage.transaction():
        submitted = feature_submission(
            storage=storage,
            user=member,
            paper=found,
            organization=organization or None,
            now=now,
            refresh=refresh,
        )
    return see_other(f"/papers/{submitted.featured.paper.id}")
