"""How SIE fields are written (quoting, amounts, dates), and how staging holds the two that have no column of
their own (a balance line's list of several objects, an account's several #SRU codes). Light to import: the
checks, which the DAG files import, use it."""
from __future__ import annotations

import datetime as dt
import re

# An account's #SRU codes in one column, in file order (a code for each tax form, as BL writes them); a SIE
# field holds no line break, so the codes are kept apart by one.
SRU_CODES_SEPARATOR = "\n"
# The dimension_no of a balance line with several objects in its list; its object_id keys the list in
# raw_sie_object_lists (object_list_key).
OBJECT_LIST_DIMENSION = -1

# Control characters (a form feed a user typed into Fortnox) would break the line of a SIE record.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def quote(value: object) -> str:
    """A quoted SIE field: backslash and quote are escaped (\\\\, \\"), control characters become spaces."""
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    if _CONTROL.search(text):
        text = _CONTROL.sub(" ", text)
    return f'"{text}"'


def amount(ore: int) -> str:
    """Öre as a SIE amount: a decimal point, two decimals, minus for credit."""
    sign = "-" if ore < 0 else ""
    whole, cents = divmod(abs(int(ore)), 100)
    return f"{sign}{whole}.{cents:02d}"


def sie_date(value: dt.date | str) -> str:
    """YYYYMMDD from a date, or from an ISO date string as SQLite returns it; a year before 1000 (a row's own
    date may be any) with its zeros, which strftime leaves out."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def object_list(pairs) -> str:
    """An {object list} of (dimension, object) pairs as SIE writes it: {1 "100" 6 "P1"}, or {}."""
    return "{" + " ".join(f"{dimension} {quote(item)}" for dimension, item in pairs) + "}"


def token(value: object) -> str:
    """A field as written bare when it can be (`EUBAS97`, `2025`), quoted when it must be."""
    text = "" if value is None else str(value)
    if not text or any(char in text for char in ' \t"{}\\') or _CONTROL.search(text):
        return quote(text)
    return text


class Memo(dict):
    """A function's results by argument (memo[value]), for values that repeat a great deal (a year's
    dates, texts, object lists); forgotten when there are many."""

    def __init__(self, function) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, value):
        if len(self) >= 100_000:
            self.clear()
        result = self[value] = self.function(value)
        return result
