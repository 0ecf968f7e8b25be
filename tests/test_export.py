"""Posting approved outbox vouchers to the sandbox: exactly once, whatever dies when; every refusal
before posting with the operator's message; Fortnox's own refusals; two exports at once."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import multiprocessing
import os
import random

import pytest
import requests
from sqlalchemy import event, text

from concurrency_helpers import run_at_once
from fortnox_etl.connections import token_upkeep
from fortnox_etl.export import posting as export
from fortnox_etl.export.outbox import DRAFT, FAILED, POSTED, POSTING, Draft, DraftRow, Outbox
from fortnox_etl.extract import sync
from fortnox_etl.fortnox.errors import WrongCompany
from fortnox_etl.period import Period
from fortnox_etl.period_end.sie_import import import_sie_file
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.sie.reader import read_sie
from sync_helpers import run_sync

ACME_TENANT, CURRENT_YEAR = 1001, 2


def draft(text_: str = "Skatt på årets resultat", amount_ore: int = 12345600, day: str = "2025-12-31",
          series: str = "A", debit: int = 8910, credit: int = 2510, **row) -> Draft:
    return Draft(series, dt.date.fromisoformat(day), text_, (
        DraftRow(debit, amount_ore, 0, row_text="Beräknad skatt", **row), DraftRow(credit, 0, amount_ore)), "test")


def approve(ctx, *drafts: Draft) -> list[str]:
    outbox = Outbox(ctx.engine, ctx.client.key)
    ids = outbox.add(list(drafts), "anna")
    outbox.approve(ids, "bertil")
    return ids


def in_fortnox(sandbox, outbox_id: str) -> list[dict]:
    """The sandbox's vouchers that carry the outbox id."""
    with sandbox.state.books_lock:
        company = sandbox.state.companies[ACME_TENANT]
        return [v for year in company.vouchers.values() for v in year
                if f"fortnox-etl outbox id {outbox_id}" in (v.get("Comments") or "")]


def two_minutes_later(ctx) -> None:
    """As if an export's LEASE_SECONDS had passed: its lease has run out, and every voucher being posted was last sent
    that much longer ago."""
    with ctx.engine.begin() as connection:
        connection.execute(text("UPDATE outbox_export_leases SET expires_at = 0"))
        for outbox_id, sent_at in connection.execute(text(
                "SELECT outbox_id, posting_started_at FROM outbox_vouchers WHERE state = 'posting'")).all():
            earlier = dt.datetime.fromisoformat(sent_at) - dt.timedelta(seconds=export.LEASE_SECONDS)
            connection.execute(text("UPDATE outbox_vouchers SET posting_started_at = :sent_at WHERE outbox_id = :id"),
                               {"sent_at": earlier.isoformat(timespec="microseconds"), "id": outbox_id})


@pytest.fixture
def synced(make_context, clients):
    """Acme connected and its years loaded from Fortnox (their import source), ready to export."""
    ctx = make_context(clients[0])
    token_upkeep.keep_tokens_alive(ctx)
    for year in sync.extract_company(ctx, Period.parse("2025-12"))["years"]:
        sync.extract_financial_year(ctx, year)
    return ctx


def test_approved_vouchers_are_posted_once_drafts_never_and_the_next_sync_shows_them(synced, sandbox, caplog):
    tax, fund = approve(synced, draft(), draft("Avsättning till periodiseringsfond", 25000000, debit=8811,
                                                credit=2125, cost_center="100"))
    waiting = Outbox(synced.engine, "acme").add([draft("Ännu ej godkänd", 100)], "anna")[0]
    with caplog.at_level(logging.INFO, logger="fortnox_etl.export.posting"):
        summary = export.export_approved(synced)
    assert summary.posted == [tax, fund]
    outbox = {v.outbox_id: v for v in Outbox(synced.engine, "acme").vouchers()}
    for outbox_id in (tax, fund):
        [booked] = in_fortnox(sandbox, outbox_id)
        voucher = outbox[outbox_id]
        assert (voucher.state, voucher.fortnox_series, voucher.fortnox_number, voucher.financial_year_id) == (
            POSTED, "A", booked["VoucherNumber"], CURRENT_YEAR)
        assert f"voucher {outbox_id} (A 2025-12-31 " in caplog.text
        assert f"posted to Fortnox as A {booked['VoucherNumber']}" in caplog.text
    assert outbox[waiting].state == DRAFT and in_fortnox(sandbox, waiting) == []
    assert [row["CostCenter"] for row in in_fortnox(sandbox, fund)[0]["VoucherRows"]] == ["100", ""]

    assert export.export_approved(synced).posted == [], "a second export posts nothing again"
    assert len(in_fortnox(sandbox, tax)) == 1

    summary = run_sync(synced, "2025-12")
    sie = read_sie(summary.path)
    number = outbox[tax].fortnox_number
    posted = next(v for v in sie.vouchers if (v.series, int(v.number)) == ("A", number))
    assert posted.text == "Skatt på årets resultat"
    assert [(t.account, t.amount_ore) for t in posted.transactions] == [("8910", 12345600), ("2510", -12345600)]
    with synced.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM raw_vouchers WHERE client_key = 'acme' AND "
                                       "voucher_series = 'A' AND voucher_number = :n"), {"n": number}).scalar() == 1


def _tamper(statement: str):
    """A change to one outbox voucher behind the outbox's back, as a hand-edited database would."""
    def tamper(ctx, sandbox, outbox_id: str) -> None:
        with ctx.engine.begin() as connection:
            connection.execute(text(statement), {"id": outbox_id})
    return tamper


def _inactivate_2510(ctx, sandbox, outbox_id: str) -> None:
    with sandbox.state.books_lock:
        for account in sandbox.state.companies[ACME_TENANT].accounts[CURRENT_YEAR]:
            if account["Number"] == 2510:
                account["Active"] = False


REFUSALS = {
    "import source is a file": (
        lambda ctx, sandbox, outbox_id: import_sie_file(ctx.engine, ctx.client, run_sync(ctx, "2025-12").path,
                                                        imported_by="test"),
        "come from an imported SIE file; vouchers are posted only to a year whose books come from Fortnox"),
    "unbalanced": (_tamper("UPDATE outbox_voucher_rows SET credit_ore = 100 WHERE outbox_id = :id AND credit_ore > 0"),
                   "it does not balance: debit 123 456.00, credit 1.00"),
    "one row": (_tamper("DELETE FROM outbox_voucher_rows WHERE outbox_id = :id AND row_no = 2"),
                "it has 1 row; a voucher needs at least two"),
    "empty text": (_tamper("UPDATE outbox_vouchers SET description = ' ' WHERE outbox_id = :id"), "its text is empty"),
    "unknown account": (_tamper("UPDATE outbox_voucher_rows SET account = 8979 WHERE outbox_id = :id AND row_no = 1"),
                        "account 8979 does not exist in the client's chart of accounts"),
    "inactive account": (_inactivate_2510, "account 2510 is inactive in Fortnox"),
    "outside every year": (_tamper("UPDATE outbox_vouchers SET transaction_date = '2027-01-15' WHERE outbox_id = :id"),
                           "no financial year in Fortnox holds its date 2027-01-15"),
    "locked period": (lambda ctx, sandbox, outbox_id: sandbox.state.set_locked_period(ACME_TENANT, dt.date(2025, 12, 31)),
                      "its date 2025-12-31 is in the period the client has locked in Fortnox (up to 2025-12-31)"),
    "missing series": (_tamper("UPDATE outbox_vouchers SET voucher_series = 'X' WHERE outbox_id = :id"),
                       "voucher series 'X' does not exist in Fortnox"),
    "series not manual": (_tamper("UPDATE outbox_vouchers SET voucher_series = 'B' WHERE outbox_id = :id"),
                          "voucher series 'B' does not allow manual vouchers in Fortnox"),
}


@pytest.mark.parametrize("refusal", REFUSALS)
def test_a_voucher_fortnox_would_refuse_fails_before_posting_with_the_reason(synced, sandbox, caplog, refusal):
    break_it, message = REFUSALS[refusal]
    [refused] = approve(synced, draft())
    break_it(synced, sandbox, refused)
    with caplog.at_level(logging.INFO, logger="fortnox_etl.export.posting"):
        summary = export.export_approved(synced)
    assert summary.failed == [refused] and in_fortnox(sandbox, refused) == []
    voucher = Outbox(synced.engine, "acme").voucher(refused)
    assert voucher.state == FAILED and voucher.reason.startswith("refused before posting: ") and message in voucher.reason
    assert f"client acme: voucher {refused} (" in caplog.text and message in caplog.text
    assert Outbox(synced.engine, "acme").transitions()[-1]["actor"] == "export of client acme"


def test_a_connection_to_another_company_posts_nothing_and_says_so(synced, sandbox, clients):
    [voucher] = approve(synced, draft())
    impostor = dataclasses.replace(synced, client=dataclasses.replace(clients[0], organisation_number="559123-4561"))
    with pytest.raises(WrongCompany, match="nothing was posted: the connected Fortnox company is 'Acme Bygg"):
        export.export_approved(impostor)
    assert in_fortnox(sandbox, voucher) == []
    reason = Outbox(synced.engine, "acme").voucher(voucher).reason
    assert "(556677-8899), not the client's 559123-4561; reconnect the client with the right company" in reason


def test_fortnox_refusing_one_voucher_fails_it_with_fortnoxs_message_and_the_others_are_posted(synced, sandbox):
    refused, fine = approve(synced, draft(cost_center="999"), draft("Årets resultat", 500, debit=8999, credit=2099))
    summary = export.export_approved(synced)
    assert (summary.failed, summary.posted) == ([refused], [fine])
    voucher = Outbox(synced.engine, "acme").voucher(refused)
    assert voucher.state == FAILED
    assert voucher.reason.startswith("Fortnox refused it: POST /3/vouchers: Fortnox refused the request (400).")
    assert 'Kostnadsstället "999" finns inte.' in voucher.reason
    assert len(in_fortnox(sandbox, fine)) == 1


def test_a_failed_voucher_mended_and_approved_again_is_posted(synced, sandbox):
    [voucher] = approve(synced, draft())
    sandbox.state.set_locked_period(ACME_TENANT, dt.date(2025, 12, 31))
    export.export_approved(synced)
    sandbox.state.set_locked_period(ACME_TENANT, dt.date(2025, 11, 30))
    Outbox(synced.engine, "acme").approve([voucher], "bertil")
    assert export.export_approved(synced).posted == [voucher]
    assert len(in_fortnox(sandbox, voucher)) == 1


def test_an_answer_that_never_came_is_looked_for_before_posting_again(synced, sandbox, monkeypatch):
    booked_but_lost, not_booked = approve(synced, draft(), draft("Årets resultat", 500, debit=8999, credit=2099))
    original = requests.Session.request
    calls = []

    def lose_answers(session, method, url, **kwargs):
        if method == "POST":
            calls.append(kwargs["json"]["Voucher"]["Comments"])
            if len(calls) == 1:
                original(session, method, url, **kwargs)  # Fortnox books it; its answer is lost on the way
            raise requests.ReadTimeout("read timed out")
        return original(session, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", lose_answers)
    with pytest.raises(export.ExportIncomplete, match=f"Fortnox's answer for {not_booked} never came"):
        export.export_approved(synced)
    outbox = Outbox(synced.engine, "acme")
    assert outbox.voucher(booked_but_lost).state == POSTED, "found by its outbox id right away"
    assert outbox.voucher(not_booked).state == POSTING and "outcome unknown" in outbox.voucher(not_booked).reason
    monkeypatch.setattr(requests.Session, "request", original)
    two_minutes_later(synced)
    summary = export.export_approved(synced)
    assert summary.posted == [not_booked]
    assert [len(in_fortnox(sandbox, v)) for v in (booked_but_lost, not_booked)] == [1, 1]


def test_two_exports_of_a_client_at_once_post_nothing_twice(synced, sandbox):
    ids = approve(synced, *(draft(f"Periodisering {n}", 1000 + n) for n in range(6)))
    results, errors = run_at_once(lambda: export.export_approved(synced), 2)
    assert [type(error) for error in errors] in ([], [export.ExportBusy]), errors
    assert not errors or "another export of this client is running" in str(errors[0])
    if errors:  # the other export held the lease all along: nothing is left for a rerun to post
        assert export.export_approved(synced).posted == []
    assert sorted(v for summary in results for v in summary.posted) == sorted(ids)
    assert [len(in_fortnox(sandbox, v)) for v in ids] == [1] * 6
    assert {v.state for v in Outbox(synced.engine, "acme").vouchers()} == {POSTED}


# --- the export killed at every step, then run again ---

KILL_POINTS = ("before the request", "after Fortnox's 201", "during our commit")


def _export_and_die(ctx, kill_point: str, die_at_post: int) -> None:
    """In a forked child: export, and die (as a crash would: no cleanup) at the chosen step of the n-th POST."""
    ctx.engine.dispose(close=False)
    original = requests.Session.request
    posts = []

    def die() -> None:
        os._exit(17)

    def request(session, method, url, **kwargs):
        if method != "POST":
            return original(session, method, url, **kwargs)
        posts.append(url)
        if len(posts) == die_at_post and kill_point == "before the request":
            die()
        response = original(session, method, url, **kwargs)
        if len(posts) == die_at_post and kill_point == "after Fortnox's 201":
            die()
        if len(posts) == die_at_post and kill_point == "during our commit":
            event.listen(ctx.engine, "commit", lambda connection: die())
        return response

    requests.Session.request = request
    export.export_approved(ctx)
    os._exit(0)


def test_an_export_killed_at_every_step_and_run_again_posts_each_approved_voucher_exactly_once(
        synced, staging, sandbox):
    iterations = 100 if staging.conn_type == "sqlite" else 20
    chooser = random.Random(20261124)
    fork = multiprocessing.get_context("fork")
    ctx = synced
    outbox = Outbox(ctx.engine, "acme")
    fast = dataclasses.replace(ctx, requests_per_window=10_000)  # this module's sandbox has no rate limit
    for iteration in range(iterations):
        drafts = [draft(f"Bokslut {iteration}.{n}", chooser.randint(1, 10**9),
                        day=f"2025-12-{chooser.randint(1, 31):02d}") for n in range(chooser.randint(1, 4))]
        added = outbox.add(drafts, "anna")
        approved = chooser.sample(added, chooser.randint(1, len(added)))
        outbox.approve(approved, "bertil")
        kill_point = chooser.choice(KILL_POINTS)
        child = fork.Process(target=_export_and_die, args=(fast, kill_point, chooser.randint(1, len(approved))))
        child.start()
        child.join(60)
        assert child.exitcode == 17, f"iteration {iteration}: the export did not die {kill_point}"
        with pytest.raises(export.ExportBusy):
            export.export_approved(fast)  # the dead export's lease still holds
        two_minutes_later(ctx)
        export.export_approved(fast)
        states = {v.outbox_id: v for v in outbox.vouchers()}
        for outbox_id in added:
            found = in_fortnox(sandbox, outbox_id)
            if outbox_id in approved:
                assert len(found) == 1, f"iteration {iteration} ({kill_point}): {outbox_id} is in Fortnox {len(found)} times"
                assert (states[outbox_id].state, states[outbox_id].fortnox_number) == (POSTED, found[0]["VoucherNumber"])
            else:
                assert found == [] and states[outbox_id].state == DRAFT


@pytest.fixture
def sandbox(companies):
    """The sandbox without Fortnox's rate limit: the kill test posts hundreds of vouchers. Our own
    limiter still keeps every other test of the module within Fortnox's budget."""
    with RunningSandbox(companies, rate_limit=False) as running:
        yield running
