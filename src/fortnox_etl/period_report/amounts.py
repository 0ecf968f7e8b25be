"""Amounts and dates as Swedish accountants write them: 48 200,00 kr (a non-breaking space between thousands
and before kr, a decimal comma, the minus sign −), 31 dec 2025."""
from __future__ import annotations

import datetime as dt

NBSP, MINUS = "\u00a0", "\u2212"
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")


def kr(ore: int, unit: bool = True) -> str:
    """Öre as kronor: 4820000 -> '48 200,00 kr', -150 -> '−1,50 kr'."""
    sign = MINUS if ore < 0 else ""
    whole, cents = divmod(abs(int(ore)), 100)
    return f"{sign}{whole:,}".replace(",", NBSP) + f",{cents:02d}" + (f"{NBSP}kr" if unit else "")


def kr_short(kronor: float) -> str:
    """A chart axis's kronor: 1 250 000 -> '1,3 mnkr', 48 000 -> '48 tkr', 0 -> '0'."""
    sign = MINUS if kronor < 0 else ""
    size = abs(kronor)
    if size >= 1_000_000:
        return f"{sign}{size / 1_000_000:.1f}".replace(".", ",") + f"{NBSP}mnkr"
    if size >= 1_000:
        return f"{sign}{size / 1_000:.0f}{NBSP}tkr"
    return f"{sign}{size:.0f}"


def count(number: int) -> str:
    return f"{int(number):,}".replace(",", NBSP)


def day(value: dt.date) -> str:
    """31 december 2025."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def month(yyyymm: str) -> str:
    """202512 -> 'december 2025'."""
    return f"{MONTHS[int(yyyymm[4:]) - 1]} {yyyymm[:4]}"
