"""The long-running processes of `make up`, each leading its own process group (so that stopping it stops the
workers and tasks it started), recorded in var/up/processes.json for `make down`, their output in
var/up/logs/<name>.log."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from fortnox_etl.demo import DemoPaths

# On SIGTERM the scheduler waits for its running tasks; a period run may be waiting out Fortnox's rate limit.
STOP_GRACE_SECONDS = 20


@dataclass(frozen=True)
class Service:
    name: str
    pid: int  # also its process group's id
    started: float  # the process's creation time: a recorded pid that a later process reuses is not ours


def up_dir(paths: DemoPaths) -> Path:
    return paths.var_dir / "up"


def log_dir(paths: DemoPaths) -> Path:
    return up_dir(paths) / "logs"


def _record_file(paths: DemoPaths) -> Path:
    return up_dir(paths) / "processes.json"


def start(paths: DemoPaths, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
    """Start the command in a process group of its own, its output appended to its log; record it."""
    log_dir(paths).mkdir(parents=True, exist_ok=True)
    with open(log_dir(paths) / f"{name}.log", "ab") as log:
        process = subprocess.Popen(command, env=env, cwd=paths.var_dir, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    _write(paths, [*recorded(paths)[0], Service(name, process.pid, psutil.Process(process.pid).create_time())])
    return process


def record_details(paths: DemoPaths, **details) -> None:
    """What `make up` printed (the UI's address, the users), for printing it again while it runs."""
    services, old = recorded(paths)
    _write(paths, services, {**old, **details})


def recorded(paths: DemoPaths) -> tuple[list[Service], dict]:
    try:
        data = json.loads(_record_file(paths).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [], {}
    return [Service(**service) for service in data["services"]], data.get("details", {})


def _write(paths: DemoPaths, services: list[Service], details: dict | None = None) -> None:
    if details is None:
        details = recorded(paths)[1]
    _record_file(paths).parent.mkdir(parents=True, exist_ok=True)
    _record_file(paths).write_text(json.dumps({"services": [asdict(s) for s in services], "details": details}, indent=1),
                                   encoding="utf-8")


def members(service: Service) -> list[psutil.Process]:
    """The live processes of the service's process group that started no earlier than the service itself."""
    found = []
    for process in psutil.process_iter(["pid", "create_time"]):
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if os.getpgid(process.pid) == service.pid and process.info["create_time"] >= service.started - 1 \
                    and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
    return found


def running(paths: DemoPaths) -> list[Service]:
    """The recorded services of which some process still runs."""
    return [service for service in recorded(paths)[0] if members(service)]


def stop_all(paths: DemoPaths, grace_seconds: float = STOP_GRACE_SECONDS) -> list[str]:
    """Every recorded service's process group ended, with the processes they started in groups of their own
    (Airflow's task supervisors leave the scheduler's group): SIGTERM, then SIGKILL after the grace period; the
    record removed. Returns the names of the services that were still running."""
    services = recorded(paths)[0]
    stopped, processes = [], []
    for service in services:
        members_now = members(service)
        if members_now:
            stopped.append(service.name)
        for process in members_now:
            with contextlib.suppress(psutil.Error):
                processes += [process, *process.children(recursive=True)]
    processes = list({process.pid: process for process in processes}.values())
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(processes, timeout=grace_seconds)
    for process in alive + [process for service in services for process in members(service)]:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=5)
    _record_file(paths).unlink(missing_ok=True)
    return stopped
