"""What stands between a client and the sandbox app: Fortnox's rate limit, injected faults, request
counts, each tenant's latest API requests and the /sandbox-admin/ endpoint.

`SandboxGateway` wraps the app from outside as ASGI middleware, so the app's routes know nothing
of it. Faults are chosen deterministically: whether a share-`p` fault hits a request depends only
on the plan's seed, the rule, and which occurrence of (tenant, method, path with query) the request
is. The same seed and the same requests give the same faults, also when other tenants' requests
interleave, so a failing test can be replayed.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
from collections import Counter, defaultdict, deque
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from fortnox_etl.sandbox.ratelimit import SlidingWindowRateLimit
from fortnox_etl.sandbox.server import KNOWN_SCOPES

API_PREFIX = "/3/"
ADMIN_PREFIX = "/sandbox-admin"

# What a client sees for each kind of fault.
FAULT_KINDS = {
    "rate_limit": "429 as if the window were full",
    "server_error": "500 or 503 with Fortnox's system-exception body",
    "slow": "the real answer, delay_ms late",
    "connection_reset": "the headers and half the real body, then the connection closes",
    "truncated_json": "the real answer cut in half, with a Content-Length that fits the cut",
    "malformed_json": "the real answer with a trailing comma",
    "html_502": "a proxy's HTML error page with status 502",
    "revoke": "the customer revokes the integration, then the request goes on",
    "withdraw_licence": "the company loses the licence for `scope`, then the request goes on",
}
# These act on a tenant, so they only hit requests whose token names one.
TENANT_FAULTS = {"revoke": "revoke_refresh_tokens", "withdraw_licence": "withdraw_licence"}

CODE_SYSTEM_EXCEPTION = 1000003
RATE_LIMITED_BODY = {"message": "Too many requests"}  # from the gateway in front of the API, like its 401
SERVER_ERROR_BODIES = {
    500: {"ErrorInformation": {"error": 1, "message": "Ett oväntat fel har uppstått.", "code": CODE_SYSTEM_EXCEPTION}},
    503: {"ErrorInformation": {"error": 1, "message": "Tjänsten är tillfälligt otillgänglig.", "code": CODE_SYSTEM_EXCEPTION}},
}
BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
NO_TOKEN = "no-token"  # the admin endpoint's key for requests without a readable token
# The API requests kept per tenant, oldest forgotten first: enough for a tenant's month-end in a test, bounded for a
# sandbox that serves a demo for days.
REQUEST_LOG_LENGTH = 10_000


@dataclass(frozen=True)
class Fault:
    """One rule: `kind` hits either the next `next_n` matching requests or a share `share` of them.

    A request matches when its path starts with `path_prefix` and, if `tenant_id` is set, its token
    names that tenant.
    """

    kind: str
    share: float = 0.0
    next_n: int = 0
    path_prefix: str = API_PREFIX
    tenant_id: int | None = None
    delay_ms: int = 1000  # slow
    scope: str = "bookkeeping"  # withdraw_licence

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(FAULT_KINDS)}")
        if not 0 <= self.share <= 1 or self.next_n < 0:
            raise ValueError(f"{self.kind}: share must be within 0..1 and next_n not negative")
        if (self.share > 0) == (self.next_n > 0):
            raise ValueError(f"{self.kind}: give either share (a share of requests) or next_n (the next N requests)")
        if not self.path_prefix.startswith("/") or self.path_prefix.startswith(ADMIN_PREFIX):
            raise ValueError(f"{self.kind}: path_prefix must be a path outside {ADMIN_PREFIX}")
        if self.kind == "withdraw_licence" and self.scope not in KNOWN_SCOPES:
            raise ValueError(f"{self.kind}: unknown scope {self.scope!r}")

    def matches(self, path: str, tenant_id: int | None) -> bool:
        if self.kind in TENANT_FAULTS and tenant_id is None:
            return False
        return path.startswith(self.path_prefix) and (self.tenant_id is None or self.tenant_id == tenant_id)


@dataclass(frozen=True)
class FaultPlan:
    """The faults of a run, tried in order: the first rule that hits a request decides its fate."""

    faults: tuple[Fault, ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "faults", tuple(self.faults))

    def to_json(self) -> dict:
        return {"seed": self.seed, "faults": [asdict(fault) for fault in self.faults]}

    @classmethod
    def from_json(cls, data: dict) -> FaultPlan:
        """The admin endpoint's JSON; raises ValueError on anything it does not understand."""
        if not isinstance(data, dict) or set(data) - {"seed", "faults"}:
            raise ValueError('expected {"seed": N, "faults": [...]}')
        known = {field.name for field in fields(Fault)}
        faults = []
        for item in data.get("faults", []):
            if not isinstance(item, dict) or set(item) - known:
                raise ValueError(f"a fault takes only these keys: {', '.join(sorted(known))}")
            try:
                faults.append(Fault(**item))
            except TypeError as error:
                raise ValueError(str(error)) from None
        seed = data.get("seed", 0)
        if not isinstance(seed, int):
            raise ValueError("seed must be an integer")
        return cls(tuple(faults), seed)


# Set while a response is abandoned on purpose, so that uvicorn's complaint about it is not logged.
_abandoned_on_purpose: ContextVar[bool] = ContextVar("abandoned_on_purpose", default=False)


class _HideDeliberateResets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _abandoned_on_purpose.get()


class SandboxGateway:
    """ASGI app in front of the sandbox app: rate limit, faults, counts, and /sandbox-admin/."""

    def __init__(self, app, state, rate_limit: SlidingWindowRateLimit | None = None, faults: FaultPlan | None = None) -> None:
        self.app = app
        self.state = state
        self.rate_limit = rate_limit
        self._lock = threading.Lock()
        self._requests: Counter[tuple[int | None, str]] = Counter()
        self._outcomes: Counter[tuple[int | None, str]] = Counter()
        self._request_log: defaultdict[int, deque[dict]] = defaultdict(lambda: deque(maxlen=REQUEST_LOG_LENGTH))
        self._plan = FaultPlan()
        self._occurrences: Counter[tuple] = Counter()
        self._remaining: list[int] = []
        self.set_faults(faults)
        self._admin = _admin_app(self)
        uvicorn_errors = logging.getLogger("uvicorn.error")
        if not any(isinstance(existing, _HideDeliberateResets) for existing in uvicorn_errors.filters):
            uvicorn_errors.addFilter(_HideDeliberateResets())

    # --- run-time control and what tests look at ---

    @property
    def faults(self) -> FaultPlan:
        return self._plan

    def set_faults(self, plan: FaultPlan | None) -> None:
        """Replace the fault plan; its counts of "next N" and of occurrences start afresh."""
        plan = plan or FaultPlan()
        for fault in plan.faults:
            method = TENANT_FAULTS.get(fault.kind)
            if method and not hasattr(self.state, method):
                raise ValueError(f"{fault.kind}: this sandbox's state has no {method}() yet")
        with self._lock:
            self._plan = plan
            self._occurrences.clear()
            self._remaining = [fault.next_n for fault in plan.faults]

    def requests(self, tenant_id: int | None) -> dict[str, int]:
        """Requests per path for a tenant (None: without a readable token), whatever their answer."""
        with self._lock:
            return {path: count for (tenant, path), count in sorted(self._requests.items(), key=str) if tenant == tenant_id}

    def outcomes(self, tenant_id: int | None) -> dict[str, int]:
        """How many of the tenant's requests were refused by the rate limit ("rate_limited") or hit by each fault."""
        with self._lock:
            return {kind: count for (tenant, kind), count in sorted(self._outcomes.items(), key=str) if tenant == tenant_id}

    def request_log(self, tenant_id: int) -> list[dict]:
        """The tenant's latest API requests as they arrived, whatever their answer: {"at": seconds since the epoch
        by this machine's clock (which processes sending the requests share), "method", "path"}."""
        with self._lock:
            return list(self._request_log.get(tenant_id, ()))

    def tenants(self) -> list[int | None]:
        with self._lock:
            return sorted({tenant for tenant, _ in self._requests}, key=str)

    # --- ASGI ---

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            await self._admin(scope, receive, send)
            return
        authorization = _header(scope, b"authorization")
        claims = _unverified_claims(authorization)
        tenant_id = claims.get("tenantId")
        with self._lock:
            self._requests[(tenant_id, path)] += 1
            if tenant_id is not None and path.startswith(API_PREFIX):  # what Fortnox's rate limit counts
                self._request_log[tenant_id].append({"at": time.time(), "method": scope["method"], "path": path})
        if self._over_rate_limit(path, claims):
            self._note(tenant_id, "rate_limited")
            await self._answer_instead(authorization, path, send, 429, RATE_LIMITED_BODY)
            return
        chosen = self._choose_fault(scope, path, tenant_id)
        if chosen is None:
            await self.app(scope, receive, send)
            return
        fault, dice = chosen
        self._note(tenant_id, fault.kind)
        await self._inject(fault, dice, tenant_id, authorization, scope, receive, send)

    def _over_rate_limit(self, path: str, claims: dict) -> bool:
        # The limit is on the API, per client id + tenant; the app itself refuses unusable tokens.
        if self.rate_limit is None or not path.startswith(API_PREFIX):
            return False
        client_id, tenant_id = claims.get("clientId"), claims.get("tenantId")
        if client_id is None or tenant_id is None:
            return False
        return not self.rate_limit.admit((client_id, tenant_id))

    def _choose_fault(self, scope, path: str, tenant_id: int | None) -> tuple[Fault, random.Random] | None:
        target = path + ("?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
        with self._lock:
            plan = self._plan
            occurrence_key = (tenant_id, scope["method"], target)
            self._occurrences[occurrence_key] += 1
            occurrence = self._occurrences[occurrence_key]
            for index, fault in enumerate(plan.faults):
                if not fault.matches(path, tenant_id):
                    continue
                # A string seed is hashed with SHA-512: the same in every process, unlike hash().
                dice = random.Random(f"{plan.seed}:{index}:{tenant_id}:{scope['method']}:{target}:{occurrence}")
                if fault.next_n:
                    if self._remaining[index] > 0:
                        self._remaining[index] -= 1
                        return fault, dice
                elif dice.random() < fault.share:
                    return fault, dice
        return None

    def _note(self, tenant_id: int | None, outcome: str) -> None:
        with self._lock:
            self._outcomes[(tenant_id, outcome)] += 1

    async def _answer_instead(self, authorization: str | None, path: str, send, status: int, body: dict | str) -> None:
        """Answer without the app; the app's own per-tenant count still hears of the request."""
        self.state.record_request(authorization, path)
        if isinstance(body, str):
            await _send_whole(send, status, [(b"content-type", b"text/html")], body.encode())
        else:
            await _send_whole(send, status, [(b"content-type", b"application/json")], json.dumps(body, ensure_ascii=False).encode())

    async def _inject(self, fault: Fault, dice: random.Random, tenant_id, authorization, scope, receive, send) -> None:
        path = scope["path"]
        if fault.kind == "rate_limit":
            await self._answer_instead(authorization, path, send, 429, RATE_LIMITED_BODY)
        elif fault.kind == "server_error":
            status = dice.choice(sorted(SERVER_ERROR_BODIES))
            await self._answer_instead(authorization, path, send, status, SERVER_ERROR_BODIES[status])
        elif fault.kind == "html_502":
            await self._answer_instead(authorization, path, send, 502, BAD_GATEWAY_PAGE)
        elif fault.kind == "slow":
            await asyncio.sleep(fault.delay_ms / 1000)
            await self.app(scope, receive, send)
        elif fault.kind == "revoke":
            self.state.revoke_refresh_tokens(tenant_id)
            await self.app(scope, receive, send)
        elif fault.kind == "withdraw_licence":
            self.state.withdraw_licence(tenant_id, fault.scope)
            await self.app(scope, receive, send)
        else:
            status, headers, body = await self._real_answer(scope, receive)
            if fault.kind == "truncated_json":
                await _send_whole(send, status, headers, body[: len(body) // 2])
            elif fault.kind == "malformed_json":
                await _send_whole(send, status, headers, _with_trailing_comma(body))
            else:  # connection_reset
                await _send_half_then_abandon(send, status, headers, body)

    async def _real_answer(self, scope, receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """The app's whole answer, to be spoilt; its Content-Length is dropped and set anew."""
        start: dict = {}
        body = bytearray()

        async def collect(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(scope, receive, collect)
        headers = [(name, value) for name, value in start.get("headers", []) if name.lower() != b"content-length"]
        return start["status"], headers, bytes(body)


def _with_trailing_comma(body: bytes) -> bytes:
    stripped = body.rstrip()
    if stripped.endswith((b"}", b"]")):
        return stripped[:-1] + b"," + stripped[-1:]  # {"a": 1,} : the classic hand-made JSON mistake
    return body + b","


async def _send_whole(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _send_half_then_abandon(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """Promise the whole body, send half of it and return: uvicorn then closes the connection."""
    promised = max(len(body), 1)  # an empty body must still fall short
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(promised).encode())]})
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
    _abandoned_on_purpose.set(True)  # uvicorn logs from this same task once we return


def _header(scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _unverified_claims(authorization: str | None) -> dict:
    """The bearer JWT's claims without checking its signature: the app refuses bad tokens itself."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return {}
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _admin_app(gateway: SandboxGateway) -> FastAPI:
    """GET/POST JSON under /sandbox-admin/: the fault plan, request counts, a tenant's latest requests, revoke,
    withdraw a licence."""
    admin = FastAPI(title="Fortnox sandbox admin", docs_url=None, redoc_url=None, openapi_url=None)

    def tenant_key(tenant_id: int | None) -> str:
        return NO_TOKEN if tenant_id is None else str(tenant_id)

    def refused(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @admin.get(f"{ADMIN_PREFIX}/faults")
    def get_faults():
        return gateway.faults.to_json()

    @admin.post(f"{ADMIN_PREFIX}/faults")
    async def set_faults(request: Request):
        try:
            plan = FaultPlan.from_json(await request.json())
            gateway.set_faults(plan)
        except ValueError as error:  # json.JSONDecodeError is a ValueError too
            return refused(str(error))
        return plan.to_json()

    @admin.get(f"{ADMIN_PREFIX}/requests")
    def requests():
        tenants = gateway.tenants()
        return {
            "rate_limit": None if gateway.rate_limit is None else {
                "limit": gateway.rate_limit.limit, "window_seconds": gateway.rate_limit.window_seconds,
            },
            "requests": {tenant_key(tenant): gateway.requests(tenant) for tenant in tenants},
            "outcomes": {tenant_key(tenant): gateway.outcomes(tenant) for tenant in tenants},
        }

    def known_tenant(tenant_id: int) -> bool:
        return tenant_id in gateway.state.companies

    @admin.get(f"{ADMIN_PREFIX}/tenants/{{tenant_id}}/requests")
    def tenant_requests(tenant_id: int):
        if not known_tenant(tenant_id):
            return refused(f"no company with tenant id {tenant_id}", 404)
        return {"tenant_id": tenant_id, "requests": gateway.request_log(tenant_id)}

    @admin.post(f"{ADMIN_PREFIX}/tenants/{{tenant_id}}/revoke")
    def revoke(tenant_id: int):
        if not known_tenant(tenant_id):
            return refused(f"no company with tenant id {tenant_id}", 404)
        if not hasattr(gateway.state, "revoke_refresh_tokens"):
            return refused("this sandbox's state cannot revoke yet", 501)
        gateway.state.revoke_refresh_tokens(tenant_id)
        return {"tenant_id": tenant_id, "revoked": True}

    @admin.post(f"{ADMIN_PREFIX}/tenants/{{tenant_id}}/withdraw-licence")
    async def withdraw_licence(tenant_id: int, request: Request):
        try:
            scope = (await request.json())["scope"]
        except (ValueError, KeyError, TypeError):
            return refused('expected {"scope": "<scope>"}')
        if not known_tenant(tenant_id):
            return refused(f"no company with tenant id {tenant_id}", 404)
        if not hasattr(gateway.state, "withdraw_licence"):
            return refused("this sandbox's state cannot withdraw licences yet", 501)
        try:
            gateway.state.withdraw_licence(tenant_id, scope)
        except ValueError as error:
            return refused(str(error))
        return {"tenant_id": tenant_id, "withdrawn": scope}

    return admin
