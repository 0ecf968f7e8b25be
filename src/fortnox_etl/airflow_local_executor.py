"""Airflow's LocalExecutor, holding a slot of `[core] parallelism` for each task it hands its workers.

Airflow 3.3's own never records a task it hands on as running (apache/airflow#71914, open), so the scheduler
hands it every ready task at once and its workers take them first come, first served: at month-end the daily
token upkeep and the exports waited behind every client's sync, whatever their priority weight (bench/fleet.py:
exports ready at 0:28 started at 1:33). Holding the slot lets the scheduler choose by priority weight which
waiting task runs next, as it does for the CeleryExecutor. `[core] executor` names this class wherever the
LocalExecutor runs (demo.LOCAL_EXECUTOR); drop it once Airflow's own holds the slot."""
from __future__ import annotations

from airflow.executors.local_executor import LocalExecutor as AirflowLocalExecutor


class LocalExecutor(AirflowLocalExecutor):
    def _process_workloads(self, workload_list) -> None:
        super()._process_workloads(workload_list)
        self.running.update(workload.key for workload in workload_list)  # freed when its result comes back
