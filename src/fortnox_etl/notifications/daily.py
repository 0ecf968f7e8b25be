"""Notices told once per client, event and day, whatever the number of tries and runs that find the cause."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from fortnox_etl.staging.database import sql


def claim_daily_notice(engine: Engine, client_key: str, event: str, day: dt.date) -> bool:
    """True for the first claim of the client's `event` on `day` (then tell it), False once it was claimed."""
    with engine.begin() as connection:
        inserted = connection.execute(text(sql("notifications/claim_daily_notice").rstrip().rstrip(";")), {
            "client_key": client_key, "event": event, "day": day.isoformat(),
            "sent_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
        return inserted.rowcount == 1
