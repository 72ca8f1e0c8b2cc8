"""Community queries both backends share: votes, comments, organizations, claims, moderation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dailypapers.domain.community import (
    AuthorshipClaim,
    ClaimStatus,
    Comment,
    MemberRole,
    Membership,
)
from dailypapers.domain.papers import Organization
from dailypapers.storage.sql_values import (
    Row,
    SqlAccess,
    batches,
    iso,
    to_datetime,
    to_optional_datetime,
)

_COMMENT_COLUMNS = (
    "c.id, c.paper_id, c.user_id, u.username, u.fullname, c.body, c.created_at, c.parent_id,"
    " c.edited_at, c.deleted_at, c.hidden_at"
)
_MEMBERSHIP_COLUMNS = "m.organization, m.user_id, u.username, u.fullname, m.role, m.accepted_at"
_CLAIM_COLUMNS = (
    "c.id, c.paper_id, c.user_id, u.username, c.author_name, c.status, c.created_at, c.decided_at"
)


def _comment_from_row(row: Row) -> Comment:
    return Comment(
        id=int(row[0]),
        paper_id=row[1],
        author_id=int(row[2]),
        author_username=row[3],
        author_fullname=row[4],
        body=row[5],
        created_at=to_datetime(row[6]),
        parent_id=None if row[7] is None else int(row[7]),
        edited_at=to_optional_datetime(row[8]),
        deleted=row[9] is not None,
        hidden=row[10] is not None,
    )


def _membership_from_row(row: Row) -> Membership:
    return Membership(row[0], int(row[1]), row[2], row[3], MemberRole(row[4]), row[5] is not None)


def _claim_from_row(row: Row) -> AuthorshipClaim:
    return AuthorshipClaim(
        id=int(row[0]),
        paper_id=row[1],
        user_id=int(row[2]),
        username=row[3],
        author_name=row[4],
        status=ClaimStatus(row[5]),
        created_at=to_datetime(row[6]),
        decided_at=to_optional_datetime(row[7]),
    )


class CommunitySql(SqlAccess):
    """The community half of SqlStorage."""

    # -- votes ---------------------------------------------------------------------------

    def add_vote(self, *, user_id: int, paper_id: str, now: datetime) -> bool:
        """Record the member's vote for the paper; return False if it was already there."""
        with self._transaction():
            # The primary key decides between racing clicks: the loser inserts nothing.
            inserted = self._execute(
                "INSERT INTO votes (user_id, paper_id, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING RETURNING 1",
                (user_id, paper_id, iso(now)),
            )
            if inserted:
                self._execute(
                    "UPDATE papers SET local_upvotes = local_upvotes + 1 WHERE id = ?", (paper_id,)
                )
        return bool(inserted)

    def remove_vote(self, *, user_id: int, paper_id: str) -> bool:
        """Take the member's vote back; return False if there was none."""
        with self._transaction():
            deleted = self._execute(
                "DELETE FROM votes WHERE user_id = ? AND paper_id = ? RETURNING 1",
                (user_id, paper_id),
            )
            if deleted:
                self._execute(
                    "UPDATE papers SET local_upvotes = local_upvotes - 1 WHERE id = ?", (paper_id,)
                )
        return bool(deleted)

    def voted_paper_ids(self, user_id: int, paper_ids: Sequence[str]) -> set[str]:
        """Return those of the papers the member has voted for."""
        voted: set[str] = set()
        for batch in batches(paper_ids):
            marks = ", ".join("?" * len(batch))
            rows = self._execute(
                f"SELECT paper_id FROM votes WHERE user_id = ? AND paper_id IN ({marks})",
                (user_id, *batch),
            )
            voted.update(row[0] for row in rows)
        return voted

    def user_vote_ids(self, user_id: int, *, limit: int) -> list[str]:
        """Return the papers the member voted for, latest vote first."""
        rows = self._execute(
            "SELECT paper_id FROM votes WHERE user_id = ? ORDER BY created_at DESC, paper_id"
            " LIMIT ?",
            (user_id, limit),
        )
        return [row[0] for row in rows]

    def set_upvotes_public(self, user_id: int, *, public: bool, now: datetime) -> None:
        """Let anyone see the member's upvotes on their profile, or only the member."""
        if public:
            self._execute(
                "INSERT INTO public_upvotes (user_id, created_at) VALUES (?, ?)"
                " ON CONFLICT (user_id) DO NOTHING",
                (user_id, iso(now)),
            )
        else:
            self._execute("DELETE FROM public_upvotes WHERE user_id = ?", (user_id,))

    def upvotes_public(self, user_id: int) -> bool:
        """Tell whether the member made their upvotes public."""
        return bool(self._execute("SELECT 1 FROM public_upvotes WHERE user_id = ?", (user_id,)))

    # -- comments ----------------------------------------------------------------------------

    def add_comment(
        self, *, paper_id: str, user_id: int, parent_id: int | None, body: str, now: datetime
    ) -> int:
        """Insert a comment, count it on its paper, and return its id."""
        with self._transaction():
            rows = self._execute(
                "INSERT INTO comments (paper_id, user_id, parent_id, body, created_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (paper_id, user_id, parent_id, body, iso(now)),
            )
            self._count_comment(paper_id, +1)
        return int(rows[0][0])

    def _count_comment(self, paper_id: str, change: int) -> None:
        self._execute(
            "UPDATE papers SET local_comments = local_comments + ? WHERE id = ?",
            (change, paper_id),
        )

    def get_comment(self, comment_id: int) -> Comment | None:
        """Return one comment, whatever its state."""
        rows = self._execute(
            f"SELECT {_COMMENT_COLUMNS} FROM comments c JOIN users u ON u.id = c.user_id"
            " WHERE c.id = ?",
            (comment_id,),
        )
        return _comment_from_row(rows[0]) if rows else None

    def paper_comments(self, paper_id: str) -> list[Comment]:
        """Return every comment on the paper, oldest first."""
        rows = self._execute(
            f"SELECT {_COMMENT_COLUMNS} FROM comments c JOIN users u ON u.id = c.user_id"
            " WHERE c.paper_id = ? ORDER BY c.created_at, c.id",
            (paper_id,),
        )
        return [_comment_from_row(row) for row in rows]

    def edit_comment(self, comment_id: int, *, body: str, now: datetime) -> None:
        """Replace a comment's text."""
        self._execute(
            "UPDATE comments SET body = ?, edited_at = ? WHERE id = ? AND deleted_at IS NULL",
            (body, iso(now), comment_id),
        )

    def delete_comment(self, comment_id: int, *, now: datetime) -> None:
        """Mark a comment deleted and uncount it."""
        with self._transaction():
            # The text goes: deleting means its author wants it gone, not merely unlisted.
            rows = self._execute(
                "UPDATE comments SET deleted_at = ?, body = '' WHERE id = ? AND deleted_at IS NULL"
                " RETURNING paper_id, hidden_at",
                (iso(now), comment_id),
            )
            if rows and rows[0][1] is None:
                self._count_comment(rows[0][0], -1)

    def set_comment_hidden(self, comment_id: int, *, hidden_by: int | None, now: datetime) -> None:
        """Hide a comment for a moderator (or show it again with None), keeping the count right."""
        with self._transaction():
            if hidden_by is not None:
                rows = self._execute(
                    "UPDATE comments SET hidden_at = ?, hidden_by = ? WHERE id = ?"
                    " AND hidden_at IS NULL RETURNING paper_id, deleted_at",
                    (iso(now), hidden_by, comment_id),
                )
            else:
                rows = self._execute(
                    "UPDATE comments SET hidden_at = NULL, hidden_by = NULL WHERE id = ?"
                    " AND hidden_at IS NOT NULL RETURNING paper_id, deleted_at",
                    (comment_id,),
                )
            if rows and rows[0][1] is None:  # a deleted comment is not counted either way
                self._count_comment(rows[0][0], -1 if hidden_by is not None else +1)

    # -- submissions -----------------------------------------------------------------------------

    def set_entry_submitter(self, paper_id: str, user_id: int) -> None:
        """Note which member submitted the paper's entry."""
        self._execute(
            "UPDATE daily_entries SET submitter_id = ? WHERE paper_id = ?", (user_id, paper_id)
        )

    def set_entry_hidden(self, paper_id: str, *, hidden_by: int | None, now: datetime) -> None:
        """Take the paper's entry off the listings for a moderator, or put it back with None."""
        self._execute(
            "UPDATE daily_entries SET hidden_at = ?, hidden_by = ? WHERE paper_id = ?",
            (iso(now) if hidden_by is not None else None, hidden_by, paper_id),
        )

    def set_entry_organization(self, paper_id: str, organization: str | None) -> None:
        """Credit the paper's entry to an organization."""
        self._execute(
            "UPDATE daily_entries SET organization = ? WHERE paper_id = ?",
            (organization, paper_id),
        )

    def user_submission_ids(self, user_id: int, *, limit: int) -> list[str]:
        """Return the papers the member submitted, newest first."""
        rows = self._execute(
            "SELECT paper_id FROM daily_entries WHERE submitter_id = ?"
            " ORDER BY featured_at DESC, paper_id LIMIT ?",
            (user_id, limit),
        )
        return [row[0] for row in rows]

    # -- organizations ---------------------------------------------------------------------------

    def create_organization(self, organization: Organization, *, now: datetime) -> bool:
        """Insert a new organization; return False if one of that name (any case) exists."""
        with self._transaction():
            if self._execute(
                "SELECT 1 FROM organizations WHERE lower(name) = lower(?)", (organization.name,)
            ):
                return False
            self._execute(
                "INSERT INTO organizations (name, fullname, avatar_url, folded_names, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    organization.name,
                    organization.fullname,
                    organization.avatar_url,
                    organization.folded_names,
                    iso(now),
                ),
            )
        return True

    def save_membership(
        self,
        *,
        organization: str,
        user_id: int,
        role: MemberRole,
        invited_by: int | None,
        now: datetime,
        accepted: bool,
    ) -> None:
        """Insert or replace a member's place (or invitation) in an organization."""
        accepted_at = iso(now) if accepted else None
        self._execute(
            "INSERT INTO organization_members"
            " (organization, user_id, role, invited_by, created_at, accepted_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (organization, user_id) DO UPDATE SET"
            " role = excluded.role,"
            " accepted_at = COALESCE(organization_members.accepted_at, excluded.accepted_at)",
            (organization, user_id, role.value, invited_by, iso(now), accepted_at),
        )

    def accept_membership(self, *, organization: str, user_id: int, now: datetime) -> bool:
        """Accept an open invitation; return False if there was none."""
        rows = self._execute(
            "UPDATE organization_members SET accepted_at = ? WHERE organization = ?"
            " AND user_id = ? AND accepted_at IS NULL RETURNING 1",
            (iso(now), organization, user_id),
        )
        return bool(rows)

    def delete_membership(self, *, organization: str, user_id: int) -> bool:
        """Remove a member or an invitation; return whether there was one."""
        rows = self._execute(
            "DELETE FROM organization_members WHERE organization = ? AND user_id = ? RETURNING 1",
            (organization, user_id),
        )
        return bool(rows)

    def _memberships_where(self, condition: str, params: tuple[object, ...]) -> list[Membership]:
        rows = self._execute(
            f"SELECT {_MEMBERSHIP_COLUMNS} FROM organization_members m"
            f" JOIN users u ON u.id = m.user_id WHERE {condition}"
            " ORDER BY m.accepted_at IS NULL, m.role DESC, lower(u.username), m.organization",
            params,
        )
        return [_membership_from_row(row) for row in rows]

    def get_membership(self, *, organization: str, user_id: int) -> Membership | None:
        """Return the member's place or invitation in the organization."""
        found = self._memberships_where(
            "m.organization = ? AND m.user_id = ?", (organization, user_id)
        )
        return found[0] if found else None

    def organization_members(self, organization: str) -> list[Membership]:
        """Return the organization's members and open invitations, owners first."""
        return self._memberships_where("m.organization = ?", (organization,))

    def user_memberships(self, user_id: int) -> list[Membership]:
        """Return the member's organizations and open invitations."""
        return self._memberships_where("m.user_id = ?", (user_id,))

    # -- authorship claims ---------------------------------------------------------------------

    def save_authorship_claim(
        self, *, paper_id: str, user_id: int, author_name: str, now: datetime
    ) -> int | None:
        """Insert a pending claim; return its id, or None if the member already claimed."""
        rows = self._execute(
            "INSERT INTO authorship_claims (paper_id, user_id, author_name, status, created_at)"
            " VALUES (?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING RETURNING id",
            (paper_id, user_id, author_name, iso(now)),
        )
        return int(rows[0][0]) if rows else None

    def get_authorship_claim(self, claim_id: int) -> AuthorshipClaim | None:
        """Return one claim."""
        found = self.authorship_claims(claim_id=claim_id)
        return found[0] if found else None

    def authorship_claims(
        self,
        *,
        status: ClaimStatus | None = None,
        user_id: int | None = None,
        paper_id: str | None = None,
        limit: int = 100,
        claim_id: int | None = None,
    ) -> list[AuthorshipClaim]:
        """Return claims that match, oldest first."""
        conditions, params = ["1 = 1"], []
        for condition, value in (
            ("c.status = ?", status.value if status else None),
            ("c.user_id = ?", user_id),
            ("c.paper_id = ?", paper_id),
            ("c.id = ?", claim_id),
        ):
            if value is not None:
                conditions.append(condition)
                params.append(value)
        rows = self._execute(
            f"SELECT {_CLAIM_COLUMNS} FROM authorship_claims c JOIN users u ON u.id = c.user_id"
            f" WHERE {' AND '.join(conditions)} ORDER BY c.created_at, c.id LIMIT ?",
            (*params, limit),
        )
        return [_claim_from_row(row) for row in rows]

    def decide_authorship_claim(
        self, claim_id: int, *, status: ClaimStatus, decided_by: int, now: datetime
    ) -> None:
        """Approve or reject a claim."""
        self._execute(
            "UPDATE authorship_claims SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?",
            (status.value, iso(now), decided_by, claim_id),
        )
