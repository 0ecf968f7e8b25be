"""Work done by a thread beside the SIE loader and writer: in order, and its failure reaches the caller."""
from __future__ import annotations

import sys

import pytest

from fortnox_etl.sie.in_background import InBackground


def test_blocks_are_worked_in_order():
    done = []
    with InBackground(done.append, "test") as background:
        for block in range(50):
            background.put(block)
    assert done == list(range(50))


def test_a_failure_reaches_the_caller_and_stops_the_work():
    done = []

    def work(block: int) -> None:
        if block == 3:
            raise OSError("disk full")
        done.append(block)

    with pytest.raises(OSError, match="disk full"):
        with InBackground(work, "test") as background:
            for block in range(1000):
                background.put(block)
    assert done == [0, 1, 2]


def test_the_callers_own_failure_is_the_one_raised():
    with pytest.raises(KeyError):
        with InBackground(lambda block: None, "test") as background:
            background.put(1)
            raise KeyError("the caller's")


def test_the_interpreters_switch_interval_is_lowered_while_threads_run_and_then_restored():
    interpreter_interval = sys.getswitchinterval()
    first = InBackground(lambda block: None, "first")
    second = InBackground(lambda block: None, "second")
    first.__enter__()
    second.__enter__()
    assert sys.getswitchinterval() < interpreter_interval
    first.__exit__(None, None, None)  # ends before the one started after it
    assert sys.getswitchinterval() < interpreter_interval
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == interpreter_interval
