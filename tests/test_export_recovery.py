"""Finding a voucher whose POST answer never came, as real Fortnox allows: its list answers carry no
Comments, and its clock is not ours. Fortnox here runs 10 minutes behind our clock (ours is ahead: the
old search, `lastmodified` from our clock minus 5 minutes, missed and posted twice) and 10 minutes ahead."""
from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import requests

from fortnox_etl.export import posting as export
from fortnox_etl.export.outbox import POSTED, POSTING, Outbox
from fortnox_etl.fortnox.rate_limit import SharedRateLimiter
from fortnox_etl.sandbox.running import RunningSandbox
from test_export import approve, draft, in_fortnox, synced, two_minutes_later  # noqa: F401 (synced: a fixture, here with the skewed sandbox)

SKEW_SECONDS = 10 * 60


@pytest.fixture(params=[-SKEW_SECONDS, SKEW_SECONDS], ids=["fortnox_10_min_behind", "fortnox_10_min_ahead"])
def sandbox(companies, request):
    """Fortnox's clock 10 minutes behind or ahead of ours, its real list subsets, no rate limit of its own (ours
    holds)."""
    with RunningSandbox(companies, rate_limit=False, clock=lambda: time.time() + request.param) as running:
        yield running


class LostPosts:
    """requests.Session.request that loses the answers to chosen POSTs: booked (sent, then the answer lost), or
    held back (not sent yet: `deliver()` sends them later, as a Fortnox that books late would)."""

    def __init__(self, monkeypatch, booked: int = 0, held: int = 0):
        self.original = requests.Session.request
        self.booked, self.held = booked, held
        self.posts = 0
        self.waiting: list[tuple] = []
        self.on_get = lambda url, status: None
        monkeypatch.setattr(requests.Session, "request",
                            lambda session, method, url, **kwargs: self._request(session, method, url, **kwargs))

    def _request(self, session, method, url, **kwargs):
        if method != "POST":
            response = self.original(session, method, url, **kwargs)
            self.on_get(url, response.status_code)
            return response
        self.posts += 1
        if self.posts <= self.booked:
            self.original(session, method, url, **kwargs)
            raise requests.ReadTimeout("read timed out")
        if self.posts <= self.booked + self.held:
            self.waiting.append((session, url, kwargs))
            raise requests.ReadTimeout("read timed out")
        return self.original(session, method, url, **kwargs)

    def deliver(self) -> None:
        while self.waiting:
            session, url, kwargs = self.waiting.pop(0)
            assert self.original(session, "POST", url, **kwargs).status_code == 201


def export_twice(ctx) -> None:
    for _ in range(2):
        try:
            export.export_approved(ctx)
        except export.ExportIncomplete:
            pass


def test_a_booked_voucher_whose_answer_was_lost_is_found_with_the_clocks_10_minutes_apart(
        synced, sandbox, monkeypatch):
    (voucher,) = approve(synced, draft())
    LostPosts(monkeypatch, booked=1)
    export_twice(synced)
    found = in_fortnox(sandbox, voucher)
    assert len(found) == 1, f"posted {len(found)} times"
    recorded = Outbox(synced.engine, "acme").voucher(voucher)
    assert (recorded.state, recorded.fortnox_number) == (POSTED, found[0]["VoucherNumber"])


def test_a_voucher_fortnox_books_late_is_not_posted_again_after_missed_searches(synced, sandbox, monkeypatch):
    (voucher,) = approve(synced, draft())
    posts = LostPosts(monkeypatch, held=1)
    with pytest.raises(export.ExportIncomplete, match=f"Fortnox's answer for {voucher} never came"):
        export.export_approved(synced)
    waiting = Outbox(synced.engine, "acme").voucher(voucher)
    assert waiting.state == POSTING and "outcome unknown" in waiting.reason and "not found in series A" in waiting.reason
    assert in_fortnox(sandbox, voucher) == [], "the run that lost the answer never posts it again"
    with pytest.raises(export.ExportIncomplete, match=f"Fortnox's answer for {voucher} never came"):
        export.export_approved(synced)  # a retry at once: its two searches miss too, but the request may not be over
    waiting = Outbox(synced.engine, "acme").voucher(voucher)
    assert waiting.state == POSTING and "it is posted again no sooner than" in waiting.reason, waiting.reason
    assert in_fortnox(sandbox, voucher) == [], "nor does a retry within two minutes of its sending"
    posts.deliver()  # Fortnox books it only now
    assert export.export_approved(synced).found == [voucher]
    assert len(in_fortnox(sandbox, voucher)) == 1
    assert Outbox(synced.engine, "acme").voucher(voucher).state == POSTED


def test_a_voucher_booked_between_the_search_and_its_confirmation_is_found_not_posted_again(
        synced, sandbox, monkeypatch):
    (voucher,) = approve(synced, draft())
    posts = LostPosts(monkeypatch, held=1)
    with pytest.raises(export.ExportIncomplete):
        export.export_approved(synced)
    misses = []

    def book_after_the_first_miss(url, status):
        if "/3/vouchers/A/" in url and status == 404:
            misses.append(url)
            if len(misses) == 1:
                posts.deliver()

    posts.on_get = book_after_the_first_miss
    assert export.export_approved(synced).found == [voucher]
    assert len(in_fortnox(sandbox, voucher)) == 1


def test_a_voucher_never_booked_is_posted_again_once_two_searches_reach_the_series_end(synced, sandbox, monkeypatch):
    (voucher,) = approve(synced, draft())
    posts = LostPosts(monkeypatch, held=1)
    with pytest.raises(export.ExportIncomplete):
        export.export_approved(synced)
    posts.waiting.clear()  # the request never reached Fortnox
    two_minutes_later(synced)
    summary = export.export_approved(synced)
    assert (summary.found, summary.posted) == ([], [voucher])
    assert len(in_fortnox(sandbox, voucher)) == 1
    assert Outbox(synced.engine, "acme").voucher(voucher).state == POSTED


def test_a_search_is_bounded_and_goes_on_where_it_stopped(synced, sandbox, monkeypatch):
    """Others book vouchers in the series after ours was sent: each search reads at most the bound (each read
    counting against the rate limit), the voucher waits, and a later search reads on from there."""
    monkeypatch.setattr(export, "MAX_SEARCH_READS", 2)
    (voucher,) = approve(synced, draft())
    posts = LostPosts(monkeypatch, held=1)
    with pytest.raises(export.ExportIncomplete):
        export.export_approved(synced)
    monkeypatch.setattr(requests.Session, "request", posts.original)
    api = synced.api()
    for n in range(5):  # booked by hand in Fortnox meanwhile
        api.post("/3/vouchers", {"Voucher": {
            "Description": f"Manuell {n}", "TransactionDate": "2025-12-15", "VoucherSeries": "A",
            "VoucherRows": [{"Account": 1930, "Debit": 10 + n}, {"Account": 3001, "Credit": 10 + n}]}})
    posts.deliver()  # ours is booked last, after the five
    sent, budgeted = [], []
    monkeypatch.setattr(requests.Session, "request", lambda session, method, url, **kwargs: (
        sent.append(url), posts.original(session, method, url, **kwargs))[1])
    acquire = SharedRateLimiter.acquire
    monkeypatch.setattr(SharedRateLimiter, "acquire", lambda limiter, tenant: (
        budgeted.append(tenant), acquire(limiter, tenant))[1])
    with pytest.raises(export.ExportIncomplete):
        export.export_approved(synced)
    waiting = Outbox(synced.engine, "acme").voucher(voucher)
    assert waiting.state == POSTING and "the next search starts" in waiting.reason
    assert len([url for url in sent if re.search(r"/3/vouchers/A/\d+", url)]) == export.MAX_SEARCH_READS
    assert len(budgeted) == len(sent), "every read took its place in the shared rate limit"
    summaries = []
    for _ in range(3):
        try:
            summaries.append(export.export_approved(synced))
            break
        except export.ExportIncomplete:
            continue
    assert summaries and summaries[-1].found == [voucher]
    assert len(in_fortnox(sandbox, voucher)) == 1


def test_a_post_sent_late_after_rate_limit_waits_is_timed_from_its_last_attempt(synced, sandbox, monkeypatch):
    """Fortnox's 429s held the POST back (as if for two minutes) after the voucher was claimed; its answer is then
    lost. A retry at once must time the wait from that last attempt, not from the claim."""
    (voucher,) = approve(synced, draft())
    posts = LostPosts(monkeypatch, held=1)
    held_back, later = posts._request, []
    clock = export.now
    monkeypatch.setattr(export, "now", lambda: (dt.datetime.fromisoformat(clock()) + sum(later, dt.timedelta())).isoformat())

    def rate_limited_first(session, method, url, **kwargs):
        if method == "POST" and not later:
            later.append(dt.timedelta(seconds=export.LEASE_SECONDS + 10))  # the 429s' pauses
            response = requests.Response()
            response.status_code, response._content = 429, b'{"message": "Too many requests"}'
            return response
        return held_back(session, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request",
                        lambda session, method, url, **kwargs: rate_limited_first(session, method, url, **kwargs))
    for _ in range(2):  # the run that lost the answer, and a retry at once
        with pytest.raises(export.ExportIncomplete, match=f"Fortnox's answer for {voucher} never came"):
            export.export_approved(synced)
    assert in_fortnox(sandbox, voucher) == [], "not posted again within two minutes of its last attempt"
    posts.deliver()
    assert export.export_approved(synced).found == [voucher]
    assert len(in_fortnox(sandbox, voucher)) == 1
