"""Celery's settings for Airflow's CeleryExecutor (`[celery] celery_config_options`): Airflow's own, and the
modules every task needs (Airflow's task runner, task_imports), imported once by each worker before it forks its pool processes:
a task process is forked from a pool process and starts with them."""
from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG = {**DEFAULT_CELERY_CONFIG, "imports": ("airflow.sdk.execution_time.task_runner", "fortnox_etl.task_imports")}
