"""Write a paper's metadata as a Markdown page, for tools and language models."""

from __future__ import annotations

from dailypapers.domain.papers import FeaturedPaper


def _escape(text: str) -> str:
    """Keep Markdown punctuation in metadata from turning into markup."""
    for character in "\\`*_[]<>#|":
        text = text.replace(character, "\\" + character)
    return text


def _comment_counts(local: int, imported: int) -> str:
    """Say how many comments the page shows, and how many only Hugging Face holds."""
    return f"{local} here, {imported} on Hugging Face" if imported else str(local)


def paper_markdown(item: FeaturedPaper) -> str:
    """Return the paper's title, facts, links and abstract as Markdown."""
    paper = item.paper
    lines = [f"# {_escape(paper.title)}", ""]
    facts = [
        ("Authors", _escape(", ".join(paper.authors)) if paper.authors else None),
        ("arXiv", f"[{paper.id}]({paper.abs_url}) · [PDF]({paper.pdf_url})"),
        ("Published", paper.published_at.date().isoformat() if paper.published_at else None),
        ("Featured", item.entry.day.isoformat() if item.entry else None),
        ("Organization", _escape(item.organization.fullname) if item.organization else None),
        ("Upvotes", str(paper.upvotes)),
        ("Comments", _comment_counts(paper.local_comments, paper.imported_comments)),
        ("Categories", ", ".join(paper.categories) or None),
        ("Code", f"<{paper.github_repo}>" if paper.github_repo else None),
        ("Project page", f"<{paper.project_page}>" if paper.project_page else None),
        ("Keywords", _escape(", ".join(paper.ai_keywords)) or None),
    ]
    lines += [f"- **{name}:** {value}" for name, value in facts if value]
    lines += ["", "## Abstract", "", _escape(paper.abstract)]
    if paper.ai_summary:
        lines += ["", "## AI summary", "", _escape(paper.ai_summary)]
    return "\n".join(lines) + "\n"
