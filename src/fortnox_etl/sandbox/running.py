"""Run the sandbox with uvicorn in a background thread, for tests and the demo."""
from __future__ import annotations

import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from fortnox_etl.sandbox.faults import FaultPlan, SandboxGateway
from fortnox_etl.sandbox.generator import Company
from fortnox_etl.sandbox.ratelimit import SlidingWindowRateLimit
from fortnox_etl.sandbox.server import SandboxState, create_app

STARTUP_TIMEOUT_SECONDS = 10


class RunningSandbox:
    """`with RunningSandbox(companies) as sandbox:` serves the sandbox at `sandbox.base_url`.

    Fortnox's rate limit is on unless `rate_limit=False`; pass a `SlidingWindowRateLimit` to give
    it another clock or size. `faults` is a `FaultPlan`, replaceable while running with `set_faults`.
    """

    def __init__(self, companies: list[Company], port: int = 0, host: str = "127.0.0.1",
                 rate_limit: bool | SlidingWindowRateLimit = True, faults: FaultPlan | None = None,
                 **create_app_kwargs) -> None:
        self.app: FastAPI = create_app(companies, **create_app_kwargs)
        self.state: SandboxState = self.app.state.sandbox
        if rate_limit is True:
            rate_limit = SlidingWindowRateLimit()
        self.gateway = SandboxGateway(self.app, self.state, rate_limit or None, faults)
        self.host = host
        self.port = port
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RunningSandbox:
        # Binding here, not in uvicorn, gives the real port of port=0 before the server starts.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        self.port = listener.getsockname()[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(self.gateway, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listener]}, name=f"fortnox-sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._server.should_exit = True
                listener.close()
                raise RuntimeError(f"the Fortnox sandbox did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_TIMEOUT_SECONDS)

    def set_faults(self, plan: FaultPlan | None) -> None:
        self.gateway.set_faults(plan)

    def requests(self, tenant_id: int | None) -> dict[str, int]:
        """Requests per path for a tenant, including those answered with 429 or a fault."""
        return self.gateway.requests(tenant_id)

    def outcomes(self, tenant_id: int | None) -> dict[str, int]:
        """The tenant's requests refused by the rate limit ("rate_limited") or hit by each kind of fault."""
        return self.gateway.outcomes(tenant_id)
