"""Work handed to a thread of its own, a block at a time, while the caller prepares the next block.

The SIE loader and writer each have two halves that wait on different things (reading the file and
the database, the database and the disk); done in one thread, they would take turns.
"""
from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Block = TypeVar("Block")


class InBackground(Generic[Block]):
    """Calls `work` on each block `put`, in order, in a thread of its own.

    At most two blocks wait, so memory stays flat. A failure of `work` is raised in the caller's thread
    at its next `put` or at the end of the `with` block; later blocks are then dropped.
    """

    # While such threads run, a caller busy in Python hands over the GIL every millisecond, not every
    # 5 ms: each time the database or the disk has taken a piece of a block, the thread needs the GIL
    # back to give it the next one, and waiting cost the XL load about 0.3 s of its 4.8 s. The
    # interpreter's own interval is restored when the last of them ends.
    _SWITCH_INTERVAL = 0.001
    _running = 0
    _interpreter_interval = 0.0
    _running_lock = threading.Lock()

    def __init__(self, work: Callable[[Block], object], name: str) -> None:
        self.work = work
        self.blocks: queue.Queue = queue.Queue(maxsize=2)
        self.failed: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name=name)

    def __enter__(self) -> InBackground[Block]:
        self.thread.start()
        with InBackground._running_lock:
            if InBackground._running == 0:
                InBackground._interpreter_interval = sys.getswitchinterval()
                sys.setswitchinterval(min(self._SWITCH_INTERVAL, InBackground._interpreter_interval))
            InBackground._running += 1
        return self

    def put(self, block: Block) -> None:
        if self.failed:
            raise self.failed[0]
        self.blocks.put(block)

    def __exit__(self, *exc_info) -> None:
        self.blocks.put(None)
        self.thread.join()
        with InBackground._running_lock:
            InBackground._running -= 1
            if InBackground._running == 0:
                sys.setswitchinterval(InBackground._interpreter_interval)
        if self.failed and exc_info[0] is None:
            raise self.failed[0]

    def _run(self) -> None:
        while (block := self.blocks.get()) is not None:
            if self.failed:
                continue  # drain what is queued; the caller raises the failure
            try:
                self.work(block)
            except BaseException as error:  # raised in the caller's thread
                self.failed.append(error)
