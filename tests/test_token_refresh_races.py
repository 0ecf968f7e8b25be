"""Refresh races and crashes, in real processes against the sandbox.

20 processes force a refresh of one client at the same moment, 50 times: Fortnox rotates once per
round and nobody ever presents a dead refresh token. A process killed at each step of a refresh
leaves a state the next run recovers from, except after Fortnox has rotated the token, which the
next run recognises and reports as critical.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import time

import pytest

from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.errors import ReconnectNeeded
from fortnox_etl.fortnox.token_store import TokenStore
from fortnox_etl.staging.database import create_staging_engine, staging_url

PROCESSES = 20
ROUNDS = 50
SPAWN = multiprocessing.get_context("spawn")


def _race(url: str, key: str, app: oauth.FortnoxApp, client_key: str, barrier, results) -> None:
    store = TokenStore(create_staging_engine(url), key, app)
    refused = 0
    for _ in range(ROUNDS):
        barrier.wait()
        stale = store.load(client_key).access_token  # every process saw this token fail
        barrier.wait()
        try:
            store.refresh(client_key, stale_access_token=stale)
        except ReconnectNeeded:
            refused += 1
    results.put(refused)


def test_twenty_processes_refreshing_at_once_never_lose_the_token(make_context, staging, clients, app, sandbox):
    ctx = make_context(clients[0])
    url = staging_url(staging).render_as_string(hide_password=False)
    token_requests = sandbox.state.request_count(None, "/oauth-v1/token")
    barrier, results = SPAWN.Barrier(PROCESSES), SPAWN.Queue()
    workers = [SPAWN.Process(target=_race, args=(url, ctx.token_key, app, clients[0].key, barrier, results))
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    refused = [results.get(timeout=240) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert refused == [0] * PROCESSES, "no process was ever told invalid_grant"
    assert sandbox.state.request_count(None, "/oauth-v1/token") - token_requests == ROUNDS, "one rotation per round"
    stored = ctx.tokens().load(clients[0].key)
    oauth.refresh(app, stored.refresh_token)  # the stored refresh token is the one Fortnox holds as current


def _refresh_and_die_at(url: str, key: str, app: oauth.FortnoxApp, client_key: str, step: str) -> None:
    def checkpoint(reached: str) -> None:
        if reached == step:
            os._exit(9)  # as abrupt as a killed worker: no cleanup, no rollback handler

    store = TokenStore(create_staging_engine(url), key, app, lease_seconds=1, checkpoint=checkpoint)
    store.refresh(client_key, stale_access_token=store.load(client_key).access_token)


@pytest.mark.parametrize("step, recoverable", [
    ("before_request", True), ("after_response", False), ("during_write", False),
])
def test_a_refresh_killed_at_each_step(make_context, staging, clients, app, step, recoverable, caplog):
    ctx = make_context(clients[0])
    url = staging_url(staging).render_as_string(hide_password=False)
    before = ctx.tokens().load(clients[0].key)
    victim = SPAWN.Process(target=_refresh_and_die_at, args=(url, ctx.token_key, app, clients[0].key, step))
    victim.start()
    victim.join(timeout=60)
    assert victim.exitcode == 9, f"the process died at {step}"
    assert ctx.tokens().load(clients[0].key).refresh_token == before.refresh_token, "nothing half-written"

    next_run = TokenStore(ctx.engine, ctx.token_key, app, lease_seconds=1)
    time.sleep(1.1)  # the dead process's lease runs out
    caplog.set_level(logging.WARNING, logger="fortnox_etl")
    if recoverable:
        renewed = next_run.refresh(clients[0].key, stale_access_token=before.access_token)
        assert renewed.refresh_token != before.refresh_token
        assert "an interrupted token refresh" in caplog.text and "was recovered" in caplog.text
    else:
        with pytest.raises(ReconnectNeeded, match="interrupted after Fortnox rotated the token"):
            next_run.refresh(clients[0].key, stale_access_token=before.access_token)
        critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
        assert critical and "the new one was never saved. The client must reconnect" in critical[0].getMessage()
        assert before.refresh_token not in caplog.text
