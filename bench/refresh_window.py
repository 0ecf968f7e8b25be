"""How narrow is the window in which a dying process loses a rotated refresh token?

It opens when Fortnox's token answer arrives and closes when the new pair is committed. Measured
over many refreshes against the sandbox, on the staging database kinds available here; the
figures go to out/bench/refresh_window.json (milliseconds).
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox_client import BENCH_DIR, CLIENT, bench_company, connect_client, write_figures  # noqa: E402

from fortnox_etl.fortnox.token_store import TokenStore  # noqa: E402
from fortnox_etl.sandbox.running import RunningSandbox  # noqa: E402
from fortnox_etl.staging.database import create_staging_engine  # noqa: E402

REFRESHES = 200


def main() -> None:
    with RunningSandbox([bench_company()]) as sandbox:
        staging_file = BENCH_DIR / "refresh_window" / "staging.db"
        app, key = connect_client(sandbox.base_url, staging_file)
        store = TokenStore(create_staging_engine(str(staging_file)), key, app)
        windows = []
        for _ in range(REFRESHES):
            store.refresh(CLIENT.key, stale_access_token=store.load(CLIENT.key).access_token)
            windows.append(store.unsaved_window_seconds * 1000)
    windows.sort()
    figures = {"database": "sqlite", "refreshes": REFRESHES, "median_ms": round(statistics.median(windows), 2),
               "p99_ms": round(windows[int(REFRESHES * 0.99) - 1], 2), "max_ms": round(windows[-1], 2)}
    path = write_figures("refresh_window", figures)
    print(f"refresh window: from Fortnox's answer to our commit, over {REFRESHES} refreshes (SQLite staging)")
    for name in ("median_ms", "p99_ms", "max_ms"):
        print(f"  {name:<12}{figures[name]:>8.2f}")
    print(f"  figures: {path}")


if __name__ == "__main__":
    main()
