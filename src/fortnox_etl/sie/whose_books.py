"""Whose books a SIE file holds, and what kind of file it is, before anything of it is used for a client.

Shared by `sie import` (a year's books) and `vouchers add` (drafts to post into Fortnox): a file of
another company is refused whatever the option, a file that does not say whose it is (no #ORGNR, or
one that is not a valid number) is taken only when the operator says so with `--without-orgnr`.
"""
from __future__ import annotations

import datetime as dt

from fortnox_etl.config import Client, organisation_number_normal_form, same_organisation
from fortnox_etl.sie.reader import SieFile

WITHOUT_ORGNR_OPTION = "--without-orgnr"
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def is_transaction_file(sie: SieFile) -> bool:
    """A type 4I file: vouchers a payroll or invoicing program wrote for posting into the books.

    Such files carry #SIETYP 4 like a year's export (4E), so the content tells them apart: vouchers but
    no balances of any kind and no previous year. A 4E export has balances for every account it uses;
    one cut before its balances has no vouchers either.
    """
    balances = (sie.opening, sie.closing, sie.results, sie.object_opening, sie.object_closing, sie.period_balances)
    return bool(sie.vouchers) and not any(balances) and -1 not in sie.years


def says_whose_books(sie: SieFile) -> bool:
    """Whether the file's #ORGNR is an organisation number or personnummer (taken without it only by option)."""
    return organisation_number_normal_form(sie.header("#ORGNR")) is not None


def organisation_problem(sie: SieFile, client: Client, without_orgnr: bool, verb: str) -> str | None:
    """Why the file may not be taken as the client's, to follow the file's name (None when it may).

    `verb` is what the operator does with the file ("import", "add").

    Numbers are compared in one normal form, so `5566778899`, `556677-8899` and a sole trader's
    12-digit personnummer match their other spellings.
    """
    stated = sie.header("#ORGNR").strip()
    client_named = f"client {client.key} ({client.organisation_number})"
    company = sie.header("#FNAMN")
    if not says_whose_books(sie):
        if without_orgnr:
            return None
        why = ("has no #ORGNR" if not stated else
               f"has #ORGNR {stated}, which is not an organisation number or personnummer (10 or 12 digits ending "
               "in the check digit)")
        named = f" ({company})" if company else ""
        return (f"{why}, so it does not say whose books it holds{named}. If they are the books of "
                f"{client_named}, {verb} it again with {WITHOUT_ORGNR_OPTION}; that choice is recorded")
    if same_organisation(stated, client.organisation_number):
        return None
    overridden = f"; {WITHOUT_ORGNR_OPTION} does not override a number the file states" if without_orgnr else ""
    return (f"is the books of {company or 'another company'} ({stated}), not of {client_named}. {verb.capitalize()} it for the client "
            f"it belongs to, or correct the client's organisation_number in the client file if that is wrong{overridden}")


def fiscal_year_problem(sie: SieFile, client: Client) -> str | None:
    """Why the file's year (#RAR 0) is not one of the client's financial years as the client file sets them,
    to follow the file's name (None when it is).

    The client's years end on the day before the first of fiscal_year_start_month; a first year or one
    that changes the financial year may be shorter or longer, so only the year's end must fit.
    """
    start, end = sie.years[0]
    month = client.fiscal_year_start_month
    following = end + dt.timedelta(days=1)
    if following.day == 1 and following.month == month:
        return None
    fix = "Export the file for the client's own financial year"
    if following.day == 1:
        fix = (f"If the client's financial year is not (or no longer) as configured, set fiscal_year_start_month: "
               f"{following.month} for {client.key} in the client file; otherwise export the file for the client's "
               "own financial year")
    return (f"has the financial year {start}..{end} (#RAR 0), which ends on {end.day} {_MONTHS[end.month - 1]}, but client "
            f"{client.key}'s financial year runs {_MONTHS[month - 1]}–{_MONTHS[month - 2]} "
            f"(fiscal_year_start_month: {month} in the client file). {fix}")
