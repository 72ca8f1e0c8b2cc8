"""The operator's reading of the outbox, on both backends."""

from __future__ import annotations

import zlib
from datetime import datetime

from dailypapers.domain.outbox import MessageKind
from dailypapers.storage.digests_sql import moment
from dailypapers.storage.mail_queue_protocol import DeliveryLag, UnsentMessage
from dailypapers.storage.sql_values import SqlAccess, to_datetime


class MailQueueSql(SqlAccess):
    """Queries over the outbox for the operator's pages and commands."""

    def unsent_messages(self, *, limit: int) -> list[UnsentMessage]:
        """Return the newest messages that are pending or failed, newest first."""
        rows = self._execute(
            "SELECT id, kind, recipient, state, attempts, last_error, created_at,"
            " next_attempt_at, data FROM outbox WHERE state IN ('pending', 'failed')"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            UnsentMessage(
                id=int(row[0]),
                kind=MessageKind(row[1]),
                recipient=row[2],
                state=row[3],
                attempts=int(row[4]),
                last_error=row[5],
                created_at=to_datetime(row[6]),
                next_attempt_at=to_datetime(row[7]),
                data=None if row[8] is None else zlib.decompress(bytes(row[8])),
            )
            for row in rows
        ]

    def delivery_lag(self, *, due_before: datetime) -> DeliveryLag | None:
        """Return the pending messages already tried, or due before then; None when none is."""
        rows = self._execute(
            "SELECT COUNT(*), MAX(CASE WHEN attempts > 0 THEN id END) FROM outbox"
            " WHERE state = 'pending' AND (attempts > 0 OR next_attempt_at < ?)",
            (moment(due_before),),
        )
        waiting, last_tried = int(rows[0][0]), rows[0][1]
        if not waiting:
            return None
        error = None
        if last_tried is not None:
            found = self._execute("SELECT last_error FROM outbox WHERE id = ?", (last_tried,))
            error = found[0][0] if found else None
        return DeliveryLag(waiting, error)
