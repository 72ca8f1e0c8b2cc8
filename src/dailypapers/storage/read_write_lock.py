"""A lock that many readers hold at once and a writer holds alone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    """Shared for readers, exclusive for writers; a waiting writer holds back new readers.

    A writer may take the lock again while it holds it (a write that calls another write);
    a reader may not become a writer.
    """

    def __init__(self) -> None:
        """Start unlocked."""
        self._condition = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None  # the thread holding the write lock
        self._depth = 0  # how many times the writer took it
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the lock shared for the block (alongside other readers)."""
        with self._condition:
            me = threading.get_ident()
            if self._writer != me:  # inside its own write, a writer reads freely
                while self._writer is not None or self._writers_waiting:
                    self._condition.wait()
                self._readers += 1
            else:
                self._depth += 1
        try:
            yield
        finally:
            with self._condition:
                if self._writer == me:
                    self._depth -= 1
                else:
                    self._readers -= 1
                    if self._readers == 0:
                        self._condition.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the lock alone for the block, once the readers inside have left."""
        with self._condition:
            me = threading.get_ident()
            if self._writer == me:
                self._depth += 1
            else:
                self._writers_waiting += 1
                try:
                    while self._writer is not None or self._readers:
                        self._condition.wait()
                finally:
                    self._writers_waiting -= 1
                self._writer, self._depth = me, 1
        try:
            yield
        finally:
            with self._condition:
                self._depth -= 1
                if self._depth == 0:
                    self._writer = None
                    self._condition.notify_all()
