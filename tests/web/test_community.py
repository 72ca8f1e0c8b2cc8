"""Comments, organizations, submissions, authorship claims and moderation, through the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import httpx
import pytest
from fastapi.testclient import TestClient

from dailypapers.domain.accounts import Role
from dailypapers.domain.community import ClaimStatus
from dailypapers.sources.http import PoliteFetcher
from dailypapers.storage import Storage

from support.accounts import PAPER, add_member, make_site, member_client, post_form
from support.arxiv_server import recorded_api_body
from support.http_server import Reply, serving
from support.live_server import free_port
from support.sites import NOW


@pytest.fixture
def site(loaded_storage: Storage) -> TestClient:
    """Return a client signed in as 'ada', on the recorded days."""
    add_member(loaded_storage, "ada", fullname="Ada Lovelace")
    add_member(loaded_storage, "grace")
    add_member(loaded_storage, "boss", role=Role.ADMIN)
    add_member(loaded_storage, "mod", role=Role.MODERATOR)
    return member_client(make_site(loaded_storage), "ada")


def other(site: TestClient, username: str) -> TestClient:
    """Return a client of the same site signed in as another member."""
    return member_client(site.app, username)  # type: ignore[arg-type]


# -- comments ---------------------------------------------------------------------------------


def test_comments_render_markdown_and_drop_anything_unsafe(site: TestClient) -> None:
    body = (
        "**Nice** work, see [the code](https://example.org/code) and `x < y`.\n\n"
        "<script>window.__xss = 1</script> [click](javascript:alert(1))"
        ' <img src=x onerror="alert(1)">'
    )
    response = post_form(site, f"/papers/{PAPER}/comments", {"body": body})
    assert response.status_code == 303 and "#comment-" in response.headers["location"]
    page = site.get(f"/papers/{PAPER}").text
    assert "<strong>Nice</strong>" in page
    assert '<a href="https://example.org/code" rel="nofollow noopener ugc">the code</a>' in page
    assert "<code>x &lt; y</code>" in page
    assert "<script>window.__xss" not in page and "&lt;script&gt;window.__xss" in page
    assert 'href="javascript:' not in page and "<img src=x" not in page


def comment_count(html: str) -> str:
    """Return the count in a paper page's comments heading."""
    found = re.search(r'<span class="comment-count">(\d+)</span>', html)
    assert found, "the comments heading has no count"
    return found.group(1)


def test_comments_count_live_on_cards_pages_and_the_api(site: TestClient) -> None:
    def listed() -> int:
        entries = site.get("/api/daily_papers?date=2025-10-17&limit=100").json()
        return int(next(entry["numComments"] for entry in entries if entry["paper"]["id"] == PAPER))

    before = site.get(f"/api/papers/{PAPER}").json()["numComments"]
    assert listed() == before  # the listing and the cards are shown once before the comment
    assert "1 comment</a>" not in site.get("/papers/date/2025-10-17").text
    post_form(site, f"/papers/{PAPER}/comments", {"body": "First"})
    assert site.get(f"/api/papers/{PAPER}").json()["numComments"] == before + 1
    assert listed() == before + 1
    card = site.get("/papers/date/2025-10-17").text
    assert "1 comment</a>" in card and "2 on Hugging Face" in card


def test_counts_match_the_comments_a_reader_can_open(site: TestClient) -> None:
    # Hugging Face counted 2 comments on the paper; none came with the import.
    page = site.get(f"/papers/{PAPER}").text
    assert comment_count(page) == "0" and "No comments yet." in page
    assert "2 comments on Hugging Face, not shown here" in page
    markdown = site.get(f"/papers/{PAPER}.md").text
    assert "- **Comments:** 0 here, 2 on Hugging Face" in markdown

    # Posted with JavaScript: the section that replaces the old one counts the new comment.
    swapped = post_form(
        site, f"/papers/{PAPER}/comments", {"body": "Mine"}, headers={"HX-Request": "true"}
    )
    assert comment_count(swapped.text) == "1" and swapped.text.count('class="comment"') == 1
    post_form(site, f"/papers/{PAPER}/comments", {"body": "Another"})
    comment = site.app.state.storage.paper_comments(PAPER)[0]  # type: ignore[attr-defined]
    post_form(site, f"/comments/{comment.id}/delete")
    assert comment_count(site.get(f"/papers/{PAPER}").text) == "1"


def test_replies_are_one_level_deep(site: TestClient, loaded_storage: Storage) -> None:
    post_form(site, f"/papers/{PAPER}/comments", {"body": "Top"})
    (top,) = loaded_storage.paper_comments(PAPER)
    post_form(site, f"/papers/{PAPER}/comments", {"body": "Reply", "parent_id": str(top.id)})
    reply = loaded_storage.paper_comments(PAPER)[-1]
    post_form(site, f"/papers/{PAPER}/comments", {"body": "Deeper", "parent_id": str(reply.id)})
    deeper = loaded_storage.paper_comments(PAPER)[-1]
    assert reply.parent_id == top.id and deeper.parent_id == top.id


def test_members_edit_and_delete_their_own_comments_only(
    site: TestClient, loaded_storage: Storage
) -> None:
    post_form(site, f"/papers/{PAPER}/comments", {"body": "Original"})
    (comment,) = loaded_storage.paper_comments(PAPER)
    grace = other(site, "grace")
    assert grace.get(f"/comments/{comment.id}/edit").status_code == 403
    assert post_form(grace, f"/comments/{comment.id}/edit", {"body": "Hacked"}).status_code == 403
    assert post_form(grace, f"/comments/{comment.id}/delete").status_code == 403
    assert loaded_storage.get_comment(comment.id).body == "Original"  # type: ignore[union-attr]

    assert "Original" in site.get(f"/comments/{comment.id}/edit").text
    assert post_form(site, f"/comments/{comment.id}/edit", {"body": "Edited"}).status_code == 303
    assert "Edited" in site.get(f"/papers/{PAPER}").text
    assert post_form(site, f"/comments/{comment.id}/delete").status_code == 303
    assert "Edited" not in site.get(f"/papers/{PAPER}").text


def test_a_comment_posted_with_javascript_answers_with_the_section(site: TestClient) -> None:
    response = post_form(
        site, f"/papers/{PAPER}/comments", {"body": "Swapped in"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="comments-section"')
    assert "Swapped in" in response.text


# -- moderation ---------------------------------------------------------------------------------


def test_moderators_hide_comments_and_submissions(
    site: TestClient, loaded_storage: Storage
) -> None:
    post_form(site, f"/papers/{PAPER}/comments", {"body": "Rude words"})
    (comment,) = loaded_storage.paper_comments(PAPER)
    grace, mod = other(site, "grace"), other(site, "mod")
    assert post_form(grace, f"/comments/{comment.id}/hide").status_code == 403
    assert post_form(mod, f"/comments/{comment.id}/hide").status_code == 303
    assert "Rude words" not in grace.get(f"/papers/{PAPER}").text
    assert "A moderator hid this comment" in grace.get(f"/papers/{PAPER}").text
    assert "Rude words" in site.get(f"/papers/{PAPER}").text  # its author still sees it

    assert post_form(grace, f"/papers/{PAPER}/hide").status_code == 403
    assert post_form(mod, f"/papers/{PAPER}/hide").status_code == 303
    assert PAPER not in grace.get("/papers/date/2025-10-17").text
    assert grace.get(f"/papers/{PAPER}").status_code == 404
    assert grace.get(f"/api/papers/{PAPER}").status_code == 404
    assert "A moderator hid this submission" in mod.get(f"/papers/{PAPER}").text
    assert post_form(mod, f"/papers/{PAPER}/unhide").status_code == 303
    assert PAPER in grace.get("/papers/date/2025-10-17").text


def test_moderators_cannot_ban_admins_and_members_cannot_ban_anyone(site: TestClient) -> None:
    mod = other(site, "mod")
    assert post_form(site, "/users/grace/ban").status_code == 403
    assert post_form(mod, "/users/boss/ban").status_code == 403
    assert post_form(mod, "/users/grace/ban").status_code == 303
    assert "banned" in site.get("/users/grace").text


def test_admin_pages_are_for_admins(site: TestClient, loaded_storage: Storage) -> None:
    assert site.get("/admin").status_code == 403
    assert other(site, "mod").get("/admin").status_code == 403
    assert post_form(site, "/users/grace/role", {"role": "admin"}).status_code == 403
    assert loaded_storage.find_user("grace").role is Role.MEMBER  # type: ignore[union-attr]
    admin = other(site, "boss")
    assert admin.get("/admin").status_code == 200
    assert post_form(admin, "/users/grace/role", {"role": "moderator"}).status_code == 303
    assert loaded_storage.find_user("grace").role is Role.MODERATOR  # type: ignore[union-attr]


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for path in ("/settings", "/submit", "/admin", "/organizations/new"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/signin?next={path}"


# -- authorship and profiles ----------------------------------------------------------------------


def test_an_admin_approves_an_authorship_claim_and_the_profile_lists_it(
    site: TestClient, loaded_storage: Storage
) -> None:
    author = loaded_storage.get_papers([PAPER])[PAPER].authors[0]
    assert (
        post_form(site, f"/papers/{PAPER}/authorship", {"author_name": "Nobody"}).status_code == 400
    )
    assert (
        post_form(site, f"/papers/{PAPER}/authorship", {"author_name": author}).status_code == 303
    )
    assert (
        post_form(site, f"/papers/{PAPER}/authorship", {"author_name": author}).status_code == 409
    )
    (claim,) = loaded_storage.authorship_claims(status=ClaimStatus.PENDING)
    assert post_form(site, f"/admin/claims/{claim.id}", {"decision": "approve"}).status_code == 403
    admin = other(site, "boss")
    assert author in admin.get("/admin").text
    assert post_form(admin, f"/admin/claims/{claim.id}", {"decision": "approve"}).status_code == 303
    post_form(site, f"/papers/{PAPER}/upvote")
    profile = site.get("/users/ada").text
    title = loaded_storage.get_papers([PAPER])[PAPER].title
    papers, _, rest = profile.partition("<h2>Submissions</h2>")
    assert title in papers.partition("<h2>Papers</h2>")[2]
    assert title in rest.partition("<h2>Upvotes</h2>")[2]


# -- organizations ------------------------------------------------------------------------------


def test_an_organization_is_created_joined_by_invitation_and_credited_with_papers(
    site: TestClient, loaded_storage: Storage
) -> None:
    created = post_form(site, "/organizations", {"name": "lab", "fullname": "The Lab"})
    assert created.status_code == 303 and created.headers["location"] == "/organizations/lab"
    assert post_form(site, "/organizations", {"name": "LAB"}).status_code == 409
    grace = other(site, "grace")
    # Not a member yet: cannot claim for the lab or invite to it.
    assert (
        post_form(grace, f"/papers/{PAPER}/organization", {"organization": "lab"}).status_code
        == 403
    )
    assert (
        post_form(grace, "/organizations/lab/invitations", {"username": "mod"}).status_code == 403
    )

    assert (
        post_form(site, "/organizations/lab/invitations", {"username": "grace"}).status_code == 303
    )
    assert "Accept" in grace.get("/settings").text
    assert post_form(grace, "/organizations/lab/invitation/accept").status_code == 303
    # The paper was imported without an organization: a member credits it to the lab.
    paper_id = next(
        r.paper_id
        for r in loaded_storage.rankables()
        if not loaded_storage.get_entries([r.paper_id])[r.paper_id].organization
    )
    assert (
        post_form(grace, f"/papers/{paper_id}/organization", {"organization": "lab"}).status_code
        == 303
    )
    page = unescape(grace.get("/organizations/lab").text)
    assert "The Lab" in page and paper_id in page
    assert "@ada · owner" in page and "@grace · member" in page
    # The last owner cannot leave; a member can.
    assert post_form(site, "/organizations/lab/members/ada/remove").status_code == 409
    assert post_form(grace, "/organizations/lab/members/grace/remove").status_code == 303


def test_a_paper_credited_to_one_organization_cannot_be_claimed_by_another(
    site: TestClient, loaded_storage: Storage
) -> None:
    credited = next(
        r.paper_id
        for r in loaded_storage.rankables()
        if loaded_storage.get_entries([r.paper_id])[r.paper_id].organization
    )
    post_form(site, "/organizations", {"name": "lab"})
    response = post_form(site, f"/papers/{credited}/organization", {"organization": "lab"})
    assert response.status_code == 409


# -- submissions --------------------------------------------------------------------------------


@pytest.fixture
def arxiv(shared_data) -> Iterator[tuple[str, PoliteFetcher]]:
    """Serve a recorded arXiv answer for 2104.12255 on loopback; yield its URL and a fetcher."""
    body = recorded_api_body(shared_data, "id_2104.12255v1")
    with serving(lambda request: Reply(200, body)) as (url, _), httpx.Client(timeout=5) as http:
        yield f"{url}/api/query", PoliteFetcher(http)


def test_a_submission_from_arxiv_appears_on_todays_page(
    loaded_storage: Storage, arxiv: tuple[str, PoliteFetcher]
) -> None:
    url, fetcher = arxiv
    add_member(loaded_storage, "ada")
    app = make_site(loaded_storage, fetcher=fetcher, arxiv_api_url=url)
    ada = member_client(app, "ada")
    post_form(ada, "/organizations", {"name": "lab"})
    response = post_form(
        ada, "/submit", {"paper": "https://arxiv.org/abs/2104.12255v1", "organization": "lab"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/papers/2104.12255"
    today = ada.get("/papers/date").text  # the latest day
    assert NOW.date().strftime("%b") in today and "/papers/2104.12255" in today
    entry = loaded_storage.get_entries(["2104.12255"])["2104.12255"]
    assert (entry.day, entry.submitted_by, entry.organization) == (NOW.date(), "ada", "lab")
    assert "/papers/2104.12255" in ada.get("/users/ada").text


def test_when_arxiv_cannot_answer_the_paper_is_typed_in(loaded_storage: Storage) -> None:
    with httpx.Client(timeout=2) as http:
        fetcher = PoliteFetcher(http, attempts=1)
        add_member(loaded_storage, "ada")
        app = make_site(
            loaded_storage, fetcher=fetcher, arxiv_api_url=f"http://127.0.0.1:{free_port()}/api"
        )
        ada = member_client(app, "ada")
        asked = post_form(ada, "/submit", {"paper": "2401.99999"})
        assert asked.status_code == 502 and 'name="title"' in asked.text
        typed = post_form(
            ada,
            "/submit",
            {
                "paper": "2401.99999", "typed": "1", "title": "A Typed Paper",
                "authors": "Ada Lovelace, Grace Hopper", "abstract": "We type.",
                "link": "javascript:alert(1)",
            },
        )  # fmt: skip
        assert typed.status_code == 400 and "https://" in typed.text
        typed = post_form(
            ada,
            "/submit",
            {
                "paper": "2401.99999", "typed": "1", "title": "A Typed Paper",
                "authors": "Ada Lovelace, Grace Hopper", "abstract": "We type.",
                "link": "https://example.org/typed",
            },
        )  # fmt: skip
        assert typed.status_code == 303
    paper = loaded_storage.get_papers(["2401.99999"])["2401.99999"]
    assert paper.authors == ("Ada Lovelace", "Grace Hopper")
    assert paper.project_page == "https://example.org/typed"


def test_who_may_submit_is_a_setting(loaded_storage: Storage) -> None:
    add_member(loaded_storage, "ada")
    add_member(loaded_storage, "boss", role=Role.ADMIN)
    app = make_site(loaded_storage, submit_policy="admins")
    form = {"paper": "2401.99999", "typed": "1", "title": "T", "authors": "A"}
    assert post_form(member_client(app, "ada"), "/submit", form).status_code == 403
    assert post_form(member_client(app, "boss"), "/submit", form).status_code == 303
    members_only = make_site(loaded_storage, submit_policy="members")
    assert member_client(members_only, "ada").get("/submit").status_code == 403


def test_nobody_submits_for_an_organization_they_are_not_in(
    site: TestClient, loaded_storage: Storage
) -> None:
    post_form(other(site, "grace"), "/organizations", {"name": "lab"})
    form = {
        "paper": "2401.99999",
        "typed": "1",
        "title": "T",
        "authors": "A",
        "organization": "lab",
    }
    assert post_form(site, "/submit", form).status_code == 403
    assert loaded_storage.get_papers(["2401.99999"]) == {}
