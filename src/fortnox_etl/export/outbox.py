"""The outbox: vouchers the bureau will post to a client's Fortnox, and the states they go through.

draft -> approved -> posting -> posted; a draft or an approved voucher can be rejected; a voucher
fails when it is refused before posting or by Fortnox, with the reason. A failed voucher can be
approved again once its cause is mended. Every move records who made it and when; a move happens
only from the state the mover saw, so two processes can never make the same move twice.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from fortnox_etl.config import holds_control_character
from fortnox_etl.staging.database import sql

DRAFT, APPROVED, REJECTED, POSTING, POSTED, FAILED = "draft", "approved", "rejected", "posting", "posted", "failed"
STATES = (DRAFT, APPROVED, REJECTED, POSTING, POSTED, FAILED)
ALLOWED_MOVES = {
    (DRAFT, APPROVED), (FAILED, APPROVED), (DRAFT, REJECTED), (APPROVED, REJECTED), (FAILED, REJECTED),
    (APPROVED, POSTING), (APPROVED, FAILED),
    # After an unknown outcome a later attempt looks in Fortnox first, then posts again or records the find.
    (POSTING, POSTING), (POSTING, POSTED), (POSTING, FAILED),
    # Fortnox refused our access before booking anything: the voucher waits for the next export.
    (POSTING, APPROVED),
}
MAX_TEXT, MAX_ROW_TEXT = 200, 100  # Fortnox's limits for a voucher's Description and a row's TransactionInformation


class OutboxError(ValueError):
    """What an operator asked of the outbox cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class DraftRow:
    account: int
    debit_ore: int
    credit_ore: int
    cost_center: str | None = None
    project: str | None = None
    row_text: str | None = None
    line_no: int | None = None

    @property
    def where(self) -> str:
        return f"line {self.line_no}" if self.line_no else f"the row on account {self.account}"


@dataclass(frozen=True)
class Draft:
    """A voucher as read from a file, before it is in the outbox."""
    series: str
    date: dt.date
    text: str
    rows: tuple[DraftRow, ...]
    source: str  # "closing.csv line 4": where an operator finds it
    file_name: str = ""  # "closing.csv": where a row's own line is

    def located(self, problem: str) -> str:
        """A problem with where it is: a row's problem names its own line, in the file, not the voucher's too."""
        if self.file_name and problem.startswith("line "):
            return f"{self.file_name} {problem}"
        return f"{self.source}: {problem}"

    def content_sha256(self) -> str:
        content = [self.series, self.date.isoformat(), self.text,
                   [[r.account, r.debit_ore, r.credit_ore, r.cost_center, r.project, r.row_text] for r in self.rows]]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def voucher_problems(series: str, text_: str, rows) -> list[str]:
    """What makes a voucher one Fortnox would refuse, as far as can be told without asking Fortnox."""
    problems = []
    if not (series or "").strip():
        problems.append("it has no voucher series")
    if not (text_ or "").strip():
        problems.append("its text is empty")
    elif len(text_) > MAX_TEXT:
        problems.append(f"its text is {len(text_)} characters; Fortnox allows {MAX_TEXT}")
    if len(rows) < 2:
        problems.append(f"it has {len(rows)} row{'' if len(rows) == 1 else 's'}; a voucher needs at least two")
    for row in rows:
        if not 1000 <= row.account <= 9999:
            problems.append(f"{row.where}: account {row.account} is not a four-digit account")
        if row.debit_ore < 0 or row.credit_ore < 0 or (row.debit_ore > 0) == (row.credit_ore > 0):
            problems.append(f"{row.where}: give either a debit or a credit amount above zero")
        if row.row_text and len(row.row_text) > MAX_ROW_TEXT:
            problems.append(f"{row.where}: its text is {len(row.row_text)} characters; Fortnox allows {MAX_ROW_TEXT}")
    debit, credit = sum(r.debit_ore for r in rows), sum(r.credit_ore for r in rows)
    if debit != credit:
        problems.append(f"it does not balance: debit {kronor(debit)}, credit {kronor(credit)}")
    return problems


def kronor(ore: int) -> str:
    sign = "-" if ore < 0 else ""
    whole, cents = divmod(abs(int(ore)), 100)
    return f"{sign}{whole:,}.{cents:02d}".replace(",", " ")


@dataclass(frozen=True)
class OutboxRow:
    row_no: int
    account: int
    debit_ore: int
    credit_ore: int
    cost_center: str | None
    project: str | None
    row_text: str | None

    @property
    def where(self) -> str:
        return f"row {self.row_no}"


@dataclass(frozen=True)
class OutboxVoucher:
    outbox_id: str
    client_key: str
    financial_year_id: int | None
    voucher_series: str
    transaction_date: dt.date
    description: str
    source: str
    state: str
    reason: str | None
    posting_started_at: str | None
    fortnox_series: str | None
    fortnox_number: int | None
    created_at: str
    created_by: str
    rows: tuple[OutboxRow, ...]

    def problems(self) -> list[str]:
        return voucher_problems(self.voucher_series, self.description, self.rows)

    @property
    def marker(self) -> str:
        """What the voucher carries in Fortnox (its Comments) so that it can be found again."""
        return f"fortnox-etl outbox id {self.outbox_id}"

    def __str__(self) -> str:
        total = sum(row.debit_ore for row in self.rows)
        return f"{self.outbox_id} ({self.voucher_series} {self.transaction_date} {self.description!r}, {kronor(total)} kr)"


class Outbox:
    """One client's outbox in the staging database."""

    def __init__(self, engine: Engine, client_key: str):
        self.engine = engine
        self.client_key = client_key

    def add(self, drafts: list[Draft], actor: str) -> list[str]:
        """Add the drafts, all or none; a voucher already in the outbox (same content) is refused, naming it."""
        _refuse_control_characters("nothing was added", name=actor)
        problems = [draft.located(problem) for draft in drafts
                    for problem in voucher_problems(draft.series, draft.text, draft.rows)]
        if problems:
            raise OutboxError(f"nothing was added; {len(problems)} problem(s) in the file:\n  " + "\n  ".join(problems))
        added = []
        with self.engine.begin() as connection:
            for draft in drafts:
                content = draft.content_sha256()
                existing = connection.execute(text(sql("outbox/select_by_content")),
                                              {"client_key": self.client_key, "content_sha256": content}).first()
                if existing:
                    raise OutboxError(f"nothing was added: {draft.source} is already in the outbox as "
                                      f"{existing.outbox_id} ({existing.state}); remove it from the file or change it")
                outbox_id = "ob-" + uuid.uuid4().hex[:10]
                connection.execute(text(sql("outbox/insert_voucher")), {
                    "outbox_id": outbox_id, "client_key": self.client_key,
                    "financial_year_id": None, "voucher_series": draft.series,
                    "transaction_date": draft.date.isoformat(), "description": draft.text, "source": draft.source,
                    "content_sha256": content, "created_at": now(), "created_by": actor,
                })
                connection.execute(text(sql("outbox/insert_row")), [{
                    "outbox_id": outbox_id, "row_no": row_no, "account": row.account, "debit_ore": row.debit_ore,
                    "credit_ore": row.credit_ore, "cost_center": row.cost_center, "project": row.project,
                    "row_text": row.row_text,
                } for row_no, row in enumerate(draft.rows, start=1)])
                self._record(connection, outbox_id, None, DRAFT, actor, f"added from {draft.source}")
                added.append(outbox_id)
        return added

    def vouchers(self, *states: str) -> list[OutboxVoucher]:
        with self.engine.connect() as connection:
            rows: dict[str, list[OutboxRow]] = {}
            for row in connection.execute(text(sql("outbox/select_rows")), {"client_key": self.client_key}).mappings():
                rows.setdefault(row["outbox_id"], []).append(OutboxRow(**{k: v for k, v in row.items() if k != "outbox_id"}))
            return [
                OutboxVoucher(**{**voucher, "transaction_date": _date(voucher["transaction_date"]),
                                 "rows": tuple(rows.get(voucher["outbox_id"], ()))})
                for voucher in connection.execute(text(sql("outbox/select_vouchers")),
                                                  {"client_key": self.client_key}).mappings()
                if not states or voucher["state"] in states
            ]

    def waiting_for_export(self) -> int:
        """How many vouchers an export run would ask about (drafts), post (approved) or settle (posting)."""
        with self.engine.connect() as connection:
            return connection.execute(text(sql("outbox/count_waiting")), {"client_key": self.client_key}).scalar_one()

    def voucher(self, outbox_id: str) -> OutboxVoucher:
        found = next((v for v in self.vouchers() if v.outbox_id == outbox_id), None)
        if found is None:
            raise OutboxError(f"client {self.client_key} has no outbox voucher {outbox_id}; "
                              f"`fortnox-etl vouchers list {self.client_key}` shows its vouchers")
        return found

    def approve(self, outbox_ids: list[str], actor: str) -> None:
        """Approve drafts (or failed vouchers whose cause was mended), all or none."""
        self._move_all(outbox_ids, (DRAFT, FAILED), APPROVED, actor, "approved for posting")

    def reject(self, outbox_ids: list[str], actor: str, note: str | None = None) -> None:
        self._move_all(outbox_ids, (DRAFT, APPROVED, FAILED), REJECTED, actor, note or "rejected")

    def _move_all(self, outbox_ids: list[str], from_states: tuple[str, ...], to_state: str, actor: str, note: str) -> None:
        _refuse_control_characters("nothing was changed", name=actor, reason=note)
        vouchers = [self.voucher(outbox_id) for outbox_id in dict.fromkeys(outbox_ids)]
        wrong = [v for v in vouchers if v.state not in from_states]
        if wrong:
            raise OutboxError("nothing was changed: " + "; ".join(
                f"{v.outbox_id} is {v.state}, not {' or '.join(from_states)}" for v in wrong))
        with self.engine.begin() as connection:
            for voucher in vouchers:
                if not self.move(connection, voucher.outbox_id, voucher.state, to_state, actor, note):
                    raise OutboxError(f"nothing was changed: {voucher.outbox_id} changed state meanwhile; look again")

    def move(self, connection: Connection, outbox_id: str, from_state: str, to_state: str, actor: str,
             note: str | None = None, *, reason: str | None = None, posting_started_at: str | None = None,
             financial_year_id: int | None = None, fortnox_series: str | None = None,
             fortnox_number: int | None = None) -> bool:
        """Move one voucher, in the caller's transaction; False if it was no longer in `from_state`."""
        if (from_state, to_state) not in ALLOWED_MOVES:
            raise OutboxError(f"an outbox voucher cannot go from {from_state} to {to_state}")
        moved = connection.execute(text(sql("outbox/change_state")), {
            "outbox_id": outbox_id, "client_key": self.client_key, "from_state": from_state, "to_state": to_state,
            "reason": reason, "posting_started_at": posting_started_at, "financial_year_id": financial_year_id,
            "fortnox_series": fortnox_series, "fortnox_number": fortnox_number,
        }).rowcount == 1
        if moved:
            self._record(connection, outbox_id, from_state, to_state, actor, note or reason)
        return moved

    def transitions(self) -> list[dict]:
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(text(sql("outbox/select_transitions")),
                                                            {"client_key": self.client_key}).mappings()]

    @staticmethod
    def _record(connection: Connection, outbox_id: str, from_state: str | None, to_state: str, actor: str,
                note: str | None) -> None:
        connection.execute(text(sql("outbox/insert_transition")), {
            "outbox_id": outbox_id, "at": now(), "from_state": from_state, "to_state": to_state, "actor": actor,
            "note": note,
        })


def _refuse_control_characters(outcome: str, **typed: str | None) -> None:
    """What a person typed for the outbox's history (who, why) is one line of text."""
    for name, value in typed.items():
        if value and holds_control_character(value):
            raise OutboxError(f"{outcome}: the {name} {value!r} holds a control character (such as a line break or "
                              "tab); write it on one line")


def now() -> str:
    # Microseconds: a voucher's moves within one second keep their order.
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
