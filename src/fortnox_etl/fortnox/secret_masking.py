"""Every token and secret the package reads or receives goes through `secret()`, which hands it to the
registered maskers: in Airflow, `airflow_support` registers Airflow's `mask_secret`, so a log line that
would carry one shows *** instead. The package itself never imports Airflow.

The OAuth libraries and urllib3 write request bodies, headers and token answers at DEBUG, some in forms
no masker knows (the Basic auth header is the client id and secret in base64): their loggers are kept
at WARNING, whatever level the root logger has.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T", str, None)

_maskers: list[Callable[[str], None]] = []
_masked: set[str] = set()  # each value is handed on once: Airflow sends every mask to its supervisor

for _talkative in ("requests_oauthlib", "oauthlib", "urllib3"):
    logging.getLogger(_talkative).setLevel(logging.WARNING)


def add_masker(masker: Callable[[str], None]) -> None:
    """Have `masker` hide every secret from now on, and those already seen."""
    if masker not in _maskers:
        _maskers.append(masker)
        for value in _masked:
            masker(value)


def secret(value: T) -> T:
    """Register a token or secret with the maskers as it is read or received; returns it unchanged."""
    if value and value not in _masked:
        _masked.add(value)
        for masker in _maskers:
            masker(value)
    return value
