"""The host name Airflow records for a task ([core] hostname_callable), for Celery workers started side by
side on one machine as if on several: each worker's own name, from its environment."""
from __future__ import annotations

import os

from airflow.utils.net import getfqdn

WORKER_NAME_VARIABLE = "FORTNOX_ETL_TEST_WORKER_NAME"


def from_environment() -> str:
    return os.environ.get(WORKER_NAME_VARIABLE) or getfqdn()
