"""Running the same work from several threads at the same moment, as concurrent runs or requests would."""
from __future__ import annotations

import threading
from collections.abc import Callable


def run_at_once(work: Callable[[], object], times: int) -> tuple[list, list[Exception]]:
    """`work` called from `times` threads released together: what the calls returned, and what they raised."""
    start, results, errors = threading.Barrier(times), [], []

    def run() -> None:
        start.wait()
        try:
            results.append(work())
        except Exception as error:  # noqa: BLE001 - each call's failure is for the test to judge
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
