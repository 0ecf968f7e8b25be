"""Posting a client's approved outbox vouchers to Fortnox, exactly once.

- One export of a client posts at a time: it holds the client's export lease, renewed before each
  voucher; a second run finds the lease held and posts nothing.
- Before posting, a voucher is checked against what Fortnox and staging say (organisation number,
  the year's import source, financial years, locked period, series, accounts, balance); a voucher
  that would be refused fails with the reason instead.
- A voucher is claimed (approved -> posting) and committed BEFORE the request. Each carries its
  outbox id in its Comments. A voucher found in `posting` by a later run (the earlier one died, or
  Fortnox's answer never came) is looked for in Fortnox first: found, its number is recorded;
  not found, it is posted again. So a crash anywhere leaves it posted once.
- Fortnox's own refusals (400) fail that voucher with Fortnox's message; the others go on.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Engine, text

from fortnox_etl.config import same_organisation
from fortnox_etl.fortnox.api import FortnoxApi
from fortnox_etl.fortnox.errors import FortnoxUnavailable, InvalidData, OutcomeUnknown, WrongCompany
from fortnox_etl.load_stats import cursor_at
from fortnox_etl.outbox import APPROVED, FAILED, POSTED, POSTING, Outbox, OutboxVoucher, now
from fortnox_etl.sie.import_source import FORTNOX, active_import_source
from fortnox_etl.staging.database import run_sql, sql
from fortnox_etl.sync import SyncContext

log = logging.getLogger(__name__)
# Renewed before every POST attempt and longer than one can take (10 s to connect, 60 s to answer):
# an export that died is taken over two minutes later at the earliest, never while its POST may be in flight.
LEASE_SECONDS = 120


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
        self.company = api.get("/3/companyinformation")["CompanyInformation"]
        self.years = list(api.list("/3/financialyears", "FinancialYears"))
        end = (api.get("/3/settings/lockedperiod").get("LockedPeriod") or {}).get("EndDate")
        self.locked_until = dt.date.fromisoformat(end) if end else None

    @property
    def organisation_number(self) -> str:
        return str(self.company.get("OrganizationNumber") or "").strip()

    def year_of(self, day: dt.date) -> dict | None:
        return next((y for y in self.years if y["FromDate"] <= day.isoformat() <= y["ToDate"]), None)

    def series(self, year_id: int) -> dict[str, bool]:
        """Series code -> whether it allows manual vouchers."""
        if year_id not in self._series:
            self._series[year_id] = {s["Code"]: _bool(s.get("Manual")) for s in self.api.list(
                "/3/voucherseries", "VoucherSeriesCollection", financialyear=year_id)}
        return self._series[year_id]

    def accounts(self, year_id: int) -> dict[int, bool]:
        """Account number -> active."""
        if year_id not in self._accounts:
            self._accounts[year_id] = {int(a["Number"]): _bool(a.get("Active", True)) for a in self.api.list(
                "/3/accounts", "Accounts", financialyear=year_id)}
        return self._accounts[year_id]


def export_approved(ctx: SyncContext) -> ExportSummary:
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
    if summary.unknown:
        raise ExportIncomplete(f"client {key}: Fortnox's answer for {', '.join(summary.unknown)} never came and they "
                               "were not found in Fortnox yet; run the export again: it looks for them before posting")
    return summary


@dataclass
class _Poster:
    ctx: SyncContext
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
        with self.ctx.engine.begin() as connection:
            claimed = self.outbox.move(connection, voucher.outbox_id, APPROVED, POSTING, self.actor,
                                       "posting to Fortnox", posting_started_at=now(), financial_year_id=year["Id"])
        if claimed:
            self._send(self.outbox.voucher(voucher.outbox_id))

    def settle(self, voucher: OutboxVoucher) -> None:
        """A voucher an earlier attempt left in `posting`: record it if Fortnox has it, else post it again."""
        self.lease.renew()
        found = self._find(voucher)
        if found:
            self._posted(voucher, found, f"found in Fortnox as {found['VoucherSeries']} {found['VoucherNumber']} "
                                         "after an interrupted posting; not posted again")
            self.summary.found.append(voucher.outbox_id)
            log.warning("client %s: voucher %s was already in Fortnox as %s %s (an earlier posting was interrupted); "
                        "recorded, not posted again", self.key, voucher, found["VoucherSeries"], found["VoucherNumber"])
            return
        year = self._checked_year(voucher, POSTING)
        if year is None:
            return
        with self.ctx.engine.begin() as connection:
            moved = self.outbox.move(connection, voucher.outbox_id, POSTING, POSTING, self.actor,
                                     "not found in Fortnox after an interrupted posting; posting again",
                                     posting_started_at=now(), financial_year_id=year["Id"])
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
        manual = self.facts.series(year_id).get(voucher.voucher_series)
        if manual is None:
            problems.append(f"voucher series {voucher.voucher_series!r} does not exist in Fortnox")
        elif not manual:
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
            answer = self.api.post("/3/vouchers", {"Voucher": _fortnox_voucher(voucher)}, before_send=self.lease.renew,
                                   financialyear=voucher.financial_year_id)
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
        booked = answer["Voucher"]
        self._posted(voucher, booked, "posted to Fortnox")
        self.summary.posted.append(voucher.outbox_id)
        log.info("client %s: voucher %s posted to Fortnox as %s %s", self.key, voucher, booked["VoucherSeries"],
                 booked["VoucherNumber"])

    def _unknown(self, voucher: OutboxVoucher, error: str) -> None:
        found = self._find(voucher)
        if found:
            self._posted(voucher, found, f"{error}; found in Fortnox as {found['VoucherSeries']} {found['VoucherNumber']}")
            self.summary.posted.append(voucher.outbox_id)
            log.warning("client %s: %s; voucher %s is in Fortnox as %s %s: recorded", self.key, error, voucher,
                        found["VoucherSeries"], found["VoucherNumber"])
            return
        with self.ctx.engine.begin() as connection:
            self.outbox.move(connection, voucher.outbox_id, POSTING, POSTING, self.actor,
                             reason=f"outcome unknown: {error}; not found in Fortnox yet",
                             posting_started_at=voucher.posting_started_at)
        self.summary.unknown.append(voucher.outbox_id)
        log.error("client %s: %s; voucher %s is not found in Fortnox yet: the next export looks again before posting",
                  self.key, error, voucher)

    def _find(self, voucher: OutboxVoucher) -> dict | None:
        """The voucher (in `posting`) in Fortnox: by the outbox id in its Comments, among the vouchers of its series
        changed since its posting attempt began."""
        since = cursor_at(dt.datetime.fromisoformat(voucher.posting_started_at))
        return next((v for v in self.api.list(f"/3/vouchers/sublist/{voucher.voucher_series}", "Vouchers",
                                              financialyear=voucher.financial_year_id, lastmodified=since)
                     if voucher.marker in (v.get("Comments") or "")), None)

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
