"""One writer at a time for a client-year's books: a sync's load or a `sie import`, never both at once, and no
SIE file read out of them while one writes them.

A sync plans its load on what staging holds (an incremental load keeps the staged vouchers before a
date) and commits minutes later; an import that committed in between would leave its vouchers under
Fortnox's name. So each takes the client-year's lease before it reads what it builds on, and the
first statement of its writing transaction checks that it still holds it:

    with BooksLease(engine, "acme", "2025-01-01", "the sync of client acme") as lease:
        ...read, plan, download...
        with engine.begin() as connection:
            lease.hold(connection)
            ...write...

A run that finds the lease taken waits, saying in its log who holds it. A lease whose holder died
runs out after LEASE_SECONDS and may be taken over; the dead holder's commit (should it wake) is then
refused by `hold`, and its run fails and is retried, planning afresh.
"""
from __future__ import annotations

import logging
import time
import uuid

from sqlalchemy import Connection, Engine, text

from fortnox_etl.staging.database import run_sql, sql

log = logging.getLogger(__name__)

# Longer than a year's load from planning to commit takes (a million transactions: about a minute).
LEASE_SECONDS = 600.0
POLL_SECONDS = 0.2


class BooksLeaseLost(RuntimeError):
    """The lease ran out and another run took the books over; nothing of this run was written."""


class BooksLease:
    def __init__(self, engine: Engine, client_key: str, year_start: str, held_by: str,
                 seconds: float = LEASE_SECONDS, clock=time.time) -> None:
        self._engine = engine
        self._key = {"client_key": client_key, "year_start": str(year_start)[:10]}
        self.held_by = held_by
        self._seconds = seconds
        self._clock = clock
        self._holder = uuid.uuid4().hex

    def __enter__(self) -> "BooksLease":
        waiting_logged = False
        while not self._take():
            if not waiting_logged:
                self._log_waiting()
                waiting_logged = True
            time.sleep(POLL_SECONDS)
        if waiting_logged:
            log.info("client %s: the books of the year from %s are free; %s goes on", self._key["client_key"],
                     self._key["year_start"], self.held_by)
        return self

    def __exit__(self, *exc_info) -> None:
        with self._engine.begin() as connection:
            connection.execute(text(sql("books_lease/release_lease")), {**self._key, "holder": self._holder})

    def hold(self, connection: Connection) -> None:
        """In the caller's writing transaction, before anything is written: refuse if the lease was taken over."""
        held = connection.execute(text(sql("books_lease/hold_lease")), {
            **self._key, "holder": self._holder, "expires_at": self._clock() + self._seconds})
        if held.rowcount != 1:
            raise BooksLeaseLost(
                f"client {self._key['client_key']}: {self.held_by} took longer than {self._seconds / 60:g} minutes, "
                f"and another run took over the books of the year from {self._key['year_start']}; nothing of this "
                "run was written. Run it again")

    def _take(self) -> bool:
        now = self._clock()
        with self._engine.begin() as connection:
            run_sql(connection, "books_lease/ensure_lease", **self._key)
            taken = connection.execute(text(sql("books_lease/take_lease")), {
                **self._key, "holder": self._holder, "held_by": self.held_by, "now": now,
                "expires_at": now + self._seconds})
            return taken.rowcount == 1

    def _log_waiting(self) -> None:
        with self._engine.connect() as connection:
            current = connection.execute(text(sql("books_lease/select_lease")), self._key).first()
        if current is None or current.held_by is None:
            return  # freed in the meantime
        log.info("client %s: %s waits for %s to be done with the books of the year from %s (it began at %s UTC; "
                 "if it died, its lease runs out at %s UTC)", self._key["client_key"], self.held_by, current.held_by,
                 self._key["year_start"], _utc(current.held_since), _utc(current.expires_at))


def _utc(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(epoch))
