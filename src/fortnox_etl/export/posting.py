"""Posting a client's approved outbox vouchers to Fortnox, exactly once.

- One export of a client posts at a time: it holds the client's export lease, renewed before each
  voucher; a second run finds the lease held and posts nothing.
- Before posting, a voucher is checked against what Fortnox and staging say (organisation number,
  the year's import source, financial years, locked period, series, accounts, balance); a voucher
  that would be refused fails with the reason instead.
- A voucher is claimed (approved -> posting) and committed BEFORE the request, together with the
  last number of its series that Fortnox had before the post (read one voucher at a time past the
  highest number we know of). Each voucher carries its outbox id in its Comments. A voucher whose
  outcome is unknown (the answer never came, or the run died) is looked for by reading the series'
  vouchers after that number one by one, `GET /3/vouchers/{series}/{number}` (list answers carry no
  Comments), up to the series' end or a bound; no time filter, so our clock and Fortnox's need not
  agree. Found, its number is recorded. Not found, it is posted again only by a later run whose
  search and a confirming second search both reached the series' end without it, and no sooner than
  LEASE_SECONDS after it was sent (both times by our clock), when its request is over whether the
  run that sent it died or lost the answer; the run that lost the answer never posts it again.
- Fortnox's own refusals (400) fail that voucher with Fortnox's message; the others go on.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

from sqlalchemy import Engine, text

from fortnox_etl.config import same_organisation
from fortnox_etl.export.outbox import APPROVED, FAILED, POSTED, POSTING, Outbox, OutboxVoucher, now
from fortnox_etl.fortnox.api import TIMEOUT, FortnoxApi
from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.fortnox.errors import (
    YEAR_FIELDS,
    FortnoxUnavailable,
    InvalidData,
    MissingField,
    NotFound,
    OutcomeUnknown,
    WrongCompany,
    each_required,
    required,
)
from fortnox_etl.sie.import_source import FORTNOX, active_import_source
from fortnox_etl.staging.database import run_sql, sql

log = logging.getLogger(__name__)


def lease_seconds(timeout: tuple[float, float] = TIMEOUT) -> int:
    """Renewed before every POST attempt and longer than one can take (by default 10 s to connect, 60 s to answer,
    so two minutes): an export that died is taken over after that at the earliest, never while its POST may be in
    flight."""
    return round(sum(timeout)) + 50


LEASE_SECONDS = lease_seconds()

# At most this many single-voucher reads per search for a voucher whose outcome is unknown (each counts against
# Fortnox's rate limit); a search that stops there goes on from where it stopped in the next export.
MAX_SEARCH_READS = 100


class ExportBusy(RuntimeError):
    """Another export of the client holds the lease (it is running, or died less than LEASE_SECONDS ago)."""


class ExportIncomplete(RuntimeError):
    """Some vouchers' outcome is still unknown; the next attempt looks for them in Fortnox first."""


class LeaseLost(RuntimeError):
    """Another export took this client's lease: this run stops posting at once."""


@dataclass
class ExportSummary:
    posted: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)  # posted by an earlier, interrupted attempt
    failed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # approved, not posted: its series' end could not be read


class ExportLease:
    """The client's export lease in the staging database."""

    def __init__(self, engine: Engine, client_key: str):
        self.engine, self.client_key = engine, client_key
        self.holder = str(uuid.uuid4())

    def take(self) -> tuple[bool, float]:
        """(taken, the current holder's expiry when not)."""
        with self.engine.begin() as connection:
            run_sql(connection, "outbox/ensure_lease", client_key=self.client_key)
        with self.engine.begin() as connection:
            run_sql(connection, "outbox/lock_lease", client_key=self.client_key)
            current = connection.execute(text(sql("outbox/select_lease")), {"client_key": self.client_key}).one()
            taken = self._set(connection, self.holder, time.time() + LEASE_SECONDS)
            return taken, current.expires_at

    def renew(self) -> None:
        with self.engine.begin() as connection:
            if not self._set(connection, self.holder, time.time() + LEASE_SECONDS):
                raise LeaseLost(f"client {self.client_key}: another export took over this one's lease; "
                                "this run stops and posts nothing more")

    def release(self) -> None:
        with self.engine.begin() as connection:
            self._set(connection, None, 0)

    def _set(self, connection, new_holder: str | None, expires_at: float) -> bool:
        return connection.execute(text(sql("outbox/set_lease")), {
            "client_key": self.client_key, "holder": self.holder, "new_holder": new_holder,
            "expires_at": expires_at, "now": time.time(),
        }).rowcount == 1


class FortnoxFacts:
    """What the checks before posting need from Fortnox, each asked once per export."""

    def __init__(self, api: FortnoxApi):
        self.api = api
        self._series: dict[int, dict[str, bool]] = {}
        self._accounts: dict[int, dict[int, bool]] = {}
        self.company = api.single("/3/companyinformation", "CompanyInformation")
        self.years = each_required(api.list("/3/financialyears", "FinancialYears"), YEAR_FIELDS, "GET /3/financialyears")
        end = (api.get("/3/settings/lockedperiod").get("LockedPeriod") or {}).get("EndDate")
        self.locked_until = dt.date.fromisoformat(end) if end else None

    @property
    def organisation_number(self) -> str:
        return str(self.company.get("OrganizationNumber") or "").strip()

    def year_of(self, day: dt.date) -> dict | None:
        return next((y for y in self.years if y["FromDate"] <= day.isoformat() <= y["ToDate"]), None)

    def series(self, year_id: int) -> dict[str, bool | None]:
        """Series code -> whether it allows manual vouchers; None when the list does not say (no recorded answer
        shows that it does), and then Fortnox's own refusal of the post is the check."""
        if year_id not in self._series:
            listed = each_required(self.api.list("/3/voucherseries", "VoucherSeriesCollection", financialyear=year_id),
                                   ("Code",), "GET /3/voucherseries")
            self._series[year_id] = {s["Code"]: None if s.get("Manual") is None else _bool(s["Manual"]) for s in listed}
        return self._series[year_id]

    def accounts(self, year_id: int) -> dict[int, bool]:
        """Account number -> active."""
        if year_id not in self._accounts:
            self._accounts[year_id] = {int(a["Number"]): _bool(a.get("Active", True)) for a in each_required(
                self.api.list("/3/accounts", "Accounts", financialyear=year_id), ("Number",), "GET /3/accounts")}
        return self._accounts[year_id]


def export_approved(ctx: ClientContext) -> ExportSummary:
    """Post every approved voucher of the client (and settle those an earlier attempt left in `posting`)."""
    key = ctx.client.key
    actor = f"export of client {key}"
    outbox = Outbox(ctx.engine, key)
    summary = ExportSummary()
    if not outbox.vouchers(APPROVED, POSTING):
        log.info("client %s: no approved vouchers to post", key)
        return summary
    lease = ExportLease(ctx.engine, key)
    taken, held_until = lease.take()
    if not taken:
        raise ExportBusy(f"client {key}: another export of this client is running, or died less than "
                         f"{LEASE_SECONDS // 60} minutes ago (its lease runs until "
                         f"{dt.datetime.fromtimestamp(held_until, dt.UTC):%H:%M:%S} UTC); this run posted nothing. "
                         "Run it again after that time: it first looks in Fortnox for what the other one may have posted")
    try:
        api = ctx.api()
        facts = FortnoxFacts(api)
        poster = _Poster(ctx, api, facts, outbox, lease, actor, summary)
        if not same_organisation(facts.organisation_number, ctx.client.organisation_number):
            poster.refuse_all_for_wrong_company()
        for voucher in outbox.vouchers(POSTING):
            poster.settle(voucher)
        for voucher in outbox.vouchers(APPROVED):
            poster.post(voucher)
    finally:
        lease.release()
    log.info("client %s: export done: %d posted, %d found already posted, %d failed, %d with an unknown outcome",
             key, len(summary.posted), len(summary.found), len(summary.failed), len(summary.unknown))
    if summary.unknown or summary.waiting:
        raise ExportIncomplete(f"client {key}: " + "; ".join(
            ([f"Fortnox's answer for {', '.join(summary.unknown)} never came and they were not found in Fortnox "
              "yet; run the export again: it looks for them before posting"] if summary.unknown else []) +
            ([f"{', '.join(summary.waiting)} were not posted: their series has more vouchers in Fortnox than staged; "
              "run the client's sync, then the export again"] if summary.waiting else [])))
    return summary


@dataclass
class _Poster:
    ctx: ClientContext
    api: FortnoxApi
    facts: FortnoxFacts
    outbox: Outbox
    lease: ExportLease
    actor: str
    summary: ExportSummary

    @property
    def key(self) -> str:
        return self.ctx.client.key

    def refuse_all_for_wrong_company(self) -> None:
        reason = (f"the connected Fortnox company is {self.facts.company.get('CompanyName')!r} "
                  f"({self.facts.organisation_number or 'no organisation number'}), not the client's "
                  f"{self.ctx.client.organisation_number}; reconnect the client with the right company, then approve again")
        for voucher in self.outbox.vouchers(APPROVED):
            self._fail(voucher, APPROVED, f"refused before posting: {reason}")
        raise WrongCompany(f"client {self.key}: nothing was posted: {reason}")

    def post(self, voucher: OutboxVoucher) -> None:
        self.lease.renew()
        year = self._checked_year(voucher, APPROVED)
        if year is None:
            return
        last_number = self._series_end(voucher.voucher_series, int(year["Id"]))
        if last_number is None:
            self.summary.waiting.append(voucher.outbox_id)
            return
        with self.ctx.engine.begin() as connection:
            claimed = self.outbox.move(connection, voucher.outbox_id, APPROVED, POSTING, self.actor,
                                       f"posting to Fortnox after {voucher.voucher_series} {last_number}",
                                       posting_started_at=now(), financial_year_id=year["Id"])
            if claimed:
                run_sql(connection, "outbox_search/upsert_search", outbox_id=voucher.outbox_id,
                        voucher_series=voucher.voucher_series, financial_year_id=int(year["Id"]),
                        searched_through=last_number)
        if claimed:
            self._send(self.outbox.voucher(voucher.outbox_id))

    def settle(self, voucher: OutboxVoucher) -> None:
        """A voucher an earlier attempt left in `posting`: record it if Fortnox has it; post it again only when
        a search and a confirming second search both read its series to the end without it."""
        self.lease.renew()
        search = self._search(voucher)
        if search.complete and search.found is None:
            search = self._search(voucher)  # the confirming search: the series' end has not moved on to it
        if search.found:
            found = search.found
            self._posted(voucher, found, f"found in Fortnox as {found['VoucherSeries']} {found['VoucherNumber']} "
                                         "after an interrupted posting; not posted again")
            self.summary.found.append(voucher.outbox_id)
            log.warning("client %s: voucher %s was already in Fortnox as %s %s (an earlier posting was interrupted); "
                        "recorded, not posted again", self.key, voucher, found["VoucherSeries"], found["VoucherNumber"])
            return
        if not search.complete:
            self._still_unknown(voucher, search)
            return
        # The run that lost the answer releases its lease at once, and a retry may come at once: time, not the
        # lease, says the request is over.
        resend_from = _sent_at(voucher) + dt.timedelta(seconds=LEASE_SECONDS)
        if dt.datetime.fromisoformat(now()) < resend_from:  # by the clock the sending time was recorded with
            self._still_unknown(voucher, search, resend_from=resend_from)
            return
        year = self._checked_year(voucher, POSTING)
        if year is None:
            return
        with self.ctx.engine.begin() as connection:
            moved = self.outbox.move(connection, voucher.outbox_id, POSTING, POSTING, self.actor,
                                     f"not in Fortnox after an interrupted posting (two searches read series "
                                     f"{search.series} to its end, {search.series} {search.searched_through}); "
                                     "posting again", posting_started_at=now(), financial_year_id=year["Id"])
            if moved:
                run_sql(connection, "outbox_search/upsert_search", outbox_id=voucher.outbox_id,
                        voucher_series=voucher.voucher_series, financial_year_id=int(year["Id"]),
                        searched_through=search.searched_through)
        if moved:
            log.info("client %s: voucher %s is not in Fortnox after an interrupted posting; posting it again",
                     self.key, voucher)
            self._send(self.outbox.voucher(voucher.outbox_id))

    def _checked_year(self, voucher: OutboxVoucher, state: str) -> dict | None:
        """The voucher's Fortnox year if nothing stands in the way of posting it; else it fails, with the reasons."""
        problems = voucher.problems()
        year = self.facts.year_of(voucher.transaction_date)
        if year is None:
            problems.append(f"no financial year in Fortnox holds its date {voucher.transaction_date}")
        else:
            source = active_import_source(self.ctx.engine, self.key, int(year["Id"]))
            if source != FORTNOX:
                problems.append(
                    f"the books of its year {year['FromDate']}..{year['ToDate']} in staging come from an imported SIE "
                    "file; vouchers are posted only to a year whose books come from Fortnox: run the client's sync"
                    if source else
                    f"its year {year['FromDate']}..{year['ToDate']} has never been synced from Fortnox: run the client's sync")
            problems += self._fortnox_problems(voucher, int(year["Id"]))
        if self.facts.locked_until and voucher.transaction_date <= self.facts.locked_until:
            problems.append(f"its date {voucher.transaction_date} is in the period the client has locked in Fortnox "
                            f"(up to {self.facts.locked_until}); ask the client to open it or choose a later date")
        if problems:
            self._fail(voucher, state, "refused before posting: " + "; ".join(problems))
            return None
        return year

    def _fortnox_problems(self, voucher: OutboxVoucher, year_id: int) -> list[str]:
        problems = []
        series = self.facts.series(year_id)
        if voucher.voucher_series not in series:
            problems.append(f"voucher series {voucher.voucher_series!r} does not exist in Fortnox")
        elif series[voucher.voucher_series] is False:
            problems.append(f"voucher series {voucher.voucher_series!r} does not allow manual vouchers in Fortnox")
        accounts = self.facts.accounts(year_id)
        for account in dict.fromkeys(row.account for row in voucher.rows):
            if account not in accounts:
                problems.append(f"account {account} does not exist in the client's chart of accounts")
            elif not accounts[account]:
                problems.append(f"account {account} is inactive in Fortnox")
        return problems

    def _send(self, voucher: OutboxVoucher) -> None:
        """POST a voucher this run has just claimed (its state is `posting`, its year known)."""
        try:
            answer = self.api.post("/3/vouchers", {"Voucher": _fortnox_voucher(voucher)},
                                   before_send=lambda: self._sending(voucher), financialyear=voucher.financial_year_id)
        except InvalidData as refusal:
            self._fail(voucher, POSTING, f"Fortnox refused it: {refusal}")
            return
        except OutcomeUnknown as error:
            self._unknown(voucher, str(error))
            return
        except FortnoxUnavailable as error:
            with self.ctx.engine.begin() as connection:
                self.outbox.move(connection, voucher.outbox_id, POSTING, APPROVED, self.actor,
                                 f"not posted: {error}")
            raise
        try:
            booked = _booked(required(answer, "Voucher", "POST /3/vouchers"), "POST /3/vouchers")
        except MissingField as error:  # booked, but under which number: the search by its outbox id tells
            self._unknown(voucher, str(error))
            return
        self._posted(voucher, booked, "posted to Fortnox")
        self.summary.posted.append(voucher.outbox_id)
        log.info("client %s: voucher %s posted to Fortnox as %s %s", self.key, voucher, booked["VoucherSeries"],
                 booked["VoucherNumber"])

    def _sending(self, voucher: OutboxVoucher) -> None:
        """Before each attempt: the lease renewed, and the time recorded, from which a lost answer's request is over
        LEASE_SECONDS later."""
        self.lease.renew()
        with self.ctx.engine.begin() as connection:
            run_sql(connection, "outbox/record_sending", outbox_id=voucher.outbox_id, sent_at=now())

    def _unknown(self, voucher: OutboxVoucher, error: str) -> None:
        """The answer to this run's POST never came: look once; not found, it waits for a later run, never posted
        again by this one (Fortnox may still be booking it)."""
        voucher = self.outbox.voucher(voucher.outbox_id)  # as recorded, with the time it was last sent
        search = self._search(voucher)
        if search.found:
            found = search.found
            self._posted(voucher, found, f"{error}; found in Fortnox as {found['VoucherSeries']} {found['VoucherNumber']}")
            self.summary.posted.append(voucher.outbox_id)
            log.warning("client %s: %s; voucher %s is in Fortnox as %s %s: recorded", self.key, error, voucher,
                        found["VoucherSeries"], found["VoucherNumber"])
            return
        self._still_unknown(voucher, search, error)

    def _still_unknown(self, voucher: OutboxVoucher, search: "_Search", error: str | None = None,
                       resend_from: dt.datetime | None = None) -> None:
        where = (f"not found in series {search.series} up to its end ({search.series} {search.searched_through})"
                 if search.complete else
                 f"not found in the {MAX_SEARCH_READS} vouchers read after {search.series} {search.started_after}; "
                 f"the series goes on past {search.series} {search.searched_through}, where the next search starts")
        if resend_from is not None:
            where += (f"; sent at {_sent_at(voucher):%H:%M:%S} UTC, it is posted again no sooner than "
                      f"{resend_from:%H:%M:%S} UTC, when Fortnox can no longer be booking it")
        reason = f"outcome unknown: {error}; {where}" if error else f"outcome unknown: {where}"
        with self.ctx.engine.begin() as connection:
            self.outbox.move(connection, voucher.outbox_id, POSTING, POSTING, self.actor, reason=reason,
                             posting_started_at=voucher.posting_started_at)
        self.summary.unknown.append(voucher.outbox_id)
        log.error("client %s: voucher %s: %s; the next export looks again before posting", self.key, voucher, reason)

    def _series_end(self, series: str, year_id: int) -> int | None:
        """The last number of the series in Fortnox now: the highest we know of, then read on to the first gap.
        None (the voucher waits, still approved) when the series runs on past the bound."""
        with self.ctx.engine.connect() as connection:
            known = connection.execute(text(sql("outbox_search/select_last_known_number")), {
                "client_key": self.key, "financial_year_id": year_id, "voucher_series": series}).scalar() or 0
        number = int(known)
        for _ in range(MAX_SEARCH_READS):
            if self._voucher_at(series, number + 1, year_id) is None:
                return number
            number += 1
        log.error("client %s: series %s runs on past %s %s, more than %d vouchers after the last one staged; run the "
                  "client's sync, then the export again; nothing was posted to the series", self.key, series, series,
                  number, MAX_SEARCH_READS)
        return None

    def _search(self, voucher: OutboxVoucher) -> "_Search":
        """Look for the voucher (in `posting`) by the outbox id in its Comments, reading its series one voucher at a
        time from the last number before its posting, up to the series' end or MAX_SEARCH_READS vouchers."""
        with self.ctx.engine.connect() as connection:
            record = connection.execute(text(sql("outbox_search/select_search")),
                                        {"outbox_id": voucher.outbox_id}).mappings().first()
        if record is None:  # claimed before searches were recorded: only the whole series is certain
            with self.ctx.engine.begin() as connection:
                run_sql(connection, "outbox_search/upsert_search", outbox_id=voucher.outbox_id,
                        voucher_series=voucher.voucher_series, financial_year_id=voucher.financial_year_id,
                        searched_through=0)
            record = {"voucher_series": voucher.voucher_series, "financial_year_id": voucher.financial_year_id,
                      "searched_through": 0}
        series, year_id = record["voucher_series"], int(record["financial_year_id"])
        started_after = number = int(record["searched_through"])
        found, complete = None, False
        for _ in range(MAX_SEARCH_READS):
            booked = self._voucher_at(series, number + 1, year_id)
            if booked is None:
                complete = True
                break
            if voucher.marker in (booked.get("Comments") or ""):
                found = booked
                break
            number += 1
        with self.ctx.engine.begin() as connection:
            run_sql(connection, "outbox_search/record_search", outbox_id=voucher.outbox_id, searched_through=number,
                    missed=int(complete and found is None))
        return _Search(series, started_after, number, complete, found)

    def _voucher_at(self, series: str, number: int, year_id: int) -> dict | None:
        """The single voucher (it carries Comments, which list answers do not); None past the series' end."""
        try:
            path = f"/3/vouchers/{quote(series, safe='')}/{number}"
            return _booked(self.api.single(path, "Voucher", financialyear=year_id), f"GET {path}")
        except NotFound:
            return None

    def _posted(self, voucher: OutboxVoucher, booked: dict, note: str) -> None:
        with self.ctx.engine.begin() as connection:
            self.outbox.move(connection, voucher.outbox_id, POSTING, POSTED, self.actor, note,
                             posting_started_at=voucher.posting_started_at, financial_year_id=int(booked["Year"]),
                             fortnox_series=booked["VoucherSeries"], fortnox_number=int(booked["VoucherNumber"]))

    def _fail(self, voucher: OutboxVoucher, state: str, reason: str) -> None:
        with self.ctx.engine.begin() as connection:
            self.outbox.move(connection, voucher.outbox_id, state, FAILED, self.actor, reason=reason)
        self.summary.failed.append(voucher.outbox_id)
        log.error("client %s: voucher %s failed: %s", self.key, voucher, reason)


@dataclass(frozen=True)
class _Search:
    series: str
    started_after: int  # the last number read before this search
    searched_through: int  # the last number read that is another voucher
    complete: bool  # reached the series' end (a number Fortnox does not have)
    found: dict | None


def _booked(voucher: dict, resource: str) -> dict:
    """A voucher Fortnox answered with, checked to carry what recording it as posted needs."""
    return each_required([voucher], ("VoucherSeries", "VoucherNumber", "Year"), resource)[0]


def _sent_at(voucher: OutboxVoucher) -> dt.datetime:
    """When the voucher's POST was last about to be sent (by our clock)."""
    return dt.datetime.fromisoformat(voucher.posting_started_at)


def _fortnox_voucher(voucher: OutboxVoucher) -> dict:
    return {
        "Description": voucher.description,
        "TransactionDate": voucher.transaction_date.isoformat(),
        "VoucherSeries": voucher.voucher_series,
        "Comments": voucher.marker,
        "VoucherRows": [{
            "Account": row.account, "Debit": row.debit_ore / 100, "Credit": row.credit_ore / 100,
            **({"CostCenter": row.cost_center} if row.cost_center else {}),
            **({"Project": row.project} if row.project else {}),
            **({"TransactionInformation": row.row_text} if row.row_text else {}),
        } for row in voucher.rows],
    }


def _bool(value: object) -> bool:
    return value.strip().lower() == "true" if isinstance(value, str) else bool(value)
