"""The lock the vector index uses: readers together, a writer alone."""

from __future__ import annotations

import threading
from collections.abc import Callable

from dailypapers.storage.read_write_lock import ReadWriteLock

WAIT_S = 10.0  # how long a step that must happen may take on a loaded machine
SETTLE_S = 0.3  # how long a step that must not happen is given to happen anyway


def in_thread(work: Callable[[], None]) -> tuple[threading.Thread, threading.Event]:
    """Start work on a thread; return it and an event set when the work is done."""
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def test_readers_hold_the_lock_together() -> None:
    lock = ReadWriteLock()
    with lock.reading():
        _, done = in_thread(lambda: lock.reading().__enter__())
        assert done.wait(WAIT_S), "a second reader waited for the first"


def test_a_writer_waits_for_the_readers_and_keeps_new_readers_out() -> None:
    lock = ReadWriteLock()
    order: list[str] = []
    release_reader = threading.Event()

    def reader() -> None:
        with lock.reading():
            order.append("first reader in")
            release_reader.wait(WAIT_S)
        order.append("first reader out")

    def writer() -> None:
        with lock.writing():
            order.append("writer in")

    def late_reader() -> None:
        with lock.reading():
            order.append("late reader in")

    in_thread(reader)
    while not order:
        threading.Event().wait(0.01)
    _, writer_done = in_thread(writer)
    assert not writer_done.wait(SETTLE_S), "the writer went in beside a reader"
    _, late_done = in_thread(late_reader)
    assert not late_done.wait(SETTLE_S), "a new reader went in ahead of the waiting writer"
    release_reader.set()
    assert writer_done.wait(WAIT_S) and late_done.wait(WAIT_S)
    assert order == ["first reader in", "first reader out", "writer in", "late reader in"]


def test_a_writer_may_write_and_read_again_inside_its_write() -> None:
    lock = ReadWriteLock()
    with lock.writing():
        with lock.writing(), lock.reading():
            pass
        _, done = in_thread(lambda: lock.reading().__enter__())
        assert not done.wait(SETTLE_S), "a reader went in while the writer still held the lock"
    assert done.wait(WAIT_S)
