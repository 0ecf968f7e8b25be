"""`fortnox-etl sandbox serve`: the sandbox on a port, until interrupted, with Fortnox's rate limit
and any faults asked for on the command line (changeable later under /sandbox-admin/)."""
from __future__ import annotations

import argparse

from fortnox_etl.config import DEFAULT_CLIENTS_FILE, load_clients

# --fail-share-* flag -> fault kind; each hits that share of API requests.
SHARE_FLAGS = {
    "429": "rate_limit",
    "5xx": "server_error",
    "502": "html_502",
    "reset": "connection_reset",
    "truncated": "truncated_json",
    "malformed": "malformed_json",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 inside a container)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated books")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--clients", help="make one company per client of this clients.yaml (default: the project's)")
    source.add_argument("--companies", type=int, metavar="K", help="make K generated companies instead of the clients'")
    parser.add_argument("--size", default="S", metavar="M", help="size of the generated companies' books (with --companies)")
    parser.add_argument("--no-rate-limit", action="store_true", help="no 429s from Fortnox's 25-per-5-seconds limit")
    parser.add_argument("--lenient-lists", action="store_true",
                        help="list answers with every field of the OpenAPI file's list items, not only those real "
                             "Fortnox answers were seen to carry (for comparison; clients must not depend on them)")
    faults = parser.add_argument_group("faults", "share of API requests (/3/) that fail, each between 0 and 1")
    for flag, kind in SHARE_FLAGS.items():
        faults.add_argument(f"--fail-share-{flag}", type=float, default=0.0, metavar="P", help=f"answer {kind}")
    faults.add_argument("--slow-ms", type=int, default=0, help="answer this many milliseconds late")
    faults.add_argument("--slow-share", type=float, default=1.0, metavar="P", help="share of requests --slow-ms slows")
    faults.add_argument("--fault-path", default="/3/", help="only requests under this path fail")
    faults.add_argument("--fault-seed", type=int, default=0, help="same seed, same requests: same faults")


def fault_plan(args: argparse.Namespace):
    from fortnox_etl.sandbox.faults import Fault, FaultPlan

    faults = [
        Fault(kind, share=share, path_prefix=args.fault_path)
        for flag, kind in SHARE_FLAGS.items()
        if (share := getattr(args, f"fail_share_{flag}"))
    ]
    if args.slow_ms:
        faults.append(Fault("slow", share=args.slow_share, delay_ms=args.slow_ms, path_prefix=args.fault_path))
    return FaultPlan(tuple(faults), seed=args.fault_seed)


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from fortnox_etl.sandbox.faults import SandboxGateway
    from fortnox_etl.sandbox.generator import generate_company, sandbox_company
    from fortnox_etl.sandbox.ratelimit import SlidingWindowRateLimit
    from fortnox_etl.sandbox.server import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, create_app

    try:
        plan = fault_plan(args)
        if args.companies is not None:
            from fortnox_etl.sandbox.generator import generate_companies

            companies = generate_companies(args.seed, args.companies, args.size)
        else:
            clients = load_clients(args.clients or DEFAULT_CLIENTS_FILE)
            companies = [generate_company(sandbox_company(c, tenant, args.seed)) for tenant, c in enumerate(clients, start=1001)]
    except ValueError as error:
        raise SystemExit(f"fortnox-etl sandbox serve: {error}") from None
    app = create_app(companies, lenient_lists=args.lenient_lists)
    gateway = SandboxGateway(app, app.state.sandbox, None if args.no_rate_limit else SlidingWindowRateLimit(), plan)

    url = f"http://{args.host}:{args.port}"
    print(f"Fortnox sandbox on {url}  (OAuth {url}/oauth-v1, API {url}/3, admin {url}/sandbox-admin)")
    print(f"app client id: {SANDBOX_CLIENT_ID}  client secret: {SANDBOX_CLIENT_SECRET}")
    print("rate limit: " + ("off" if args.no_rate_limit else "25 requests per 5 s per client id + tenant"))
    print("list answers: " + ("lenient (every documented field)" if args.lenient_lists else
                              "the fields real Fortnox answers carry"))
    print("faults: " + (", ".join(_describe(fault) for fault in plan.faults) + f" (seed {plan.seed})" if plan.faults else "none"))
    print(f"{'tenant id':>9}  {'organisation number':<19}  name")
    for company in companies:
        print(f"{company.spec.tenant_id:>9}  {company.spec.organisation_number:<19}  {company.spec.name}")
    uvicorn.run(gateway, host=args.host, port=args.port, log_level="warning")


def _describe(fault) -> str:
    extra = f" of {fault.delay_ms} ms" if fault.kind == "slow" else ""
    return f"{fault.kind}{extra} on {fault.share:.0%} of {fault.path_prefix}"
