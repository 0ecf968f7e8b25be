"""One table of every benchmark's figures, read from out/bench/*.json: what `make bench` ends with."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox_client import BENCH_DIR  # noqa: E402


def rows(figures: dict[str, dict]) -> list[tuple[str, str, str, str]]:
    """(benchmark, figure, target, verdict) for each benchmark that has written its figures."""
    table = []

    def add(name: str, figure: str, target: str, met: bool | None) -> None:
        table.append((name, figure, target, "-" if met is None else ("met" if met else "NOT met")))

    if "import_requests" in figures:
        f = figures["import_requests"]
        add("import_requests", f"{f['requests']:,} requests for {f['vouchers']:,} vouchers "
                               f"({f['requests_one_per_voucher']:,} one per voucher)", "fewest requests",
            f["requests"] < f["requests_one_per_voucher"])
    if "throughput" in figures:
        f = figures["throughput"]
        add("throughput", f"XL {f['transactions']:,} transactions: {f['seconds']:.1f} s, {f['ratio_to_copy']:.1f}x COPY",
            "within 3x COPY", f["ratio_to_copy"] <= 3)
        if "database_seconds" in f:
            add("throughput", f"of it the database alone: {f['database_seconds']:.1f} s, "
                              f"{f['database_seconds'] / f['copy_seconds']:.1f}x COPY", "(the floor of this schema)", None)
        peaks = ", ".join(f"{size['size']} {size['peak_rss_mb']:.0f}" for size in f.get("sizes", []) if "size" in size)
        add("throughput", f"peak memory MB: {peaks or f['peak_rss_mb']}", "under 500 MB",
            all(size["peak_rss_mb"] < 500 for size in f.get("sizes", [f])))
    if "dag_parse" in figures:
        f = figures["dag_parse"]
        add("dag_parse", f"{f['clients']:,} clients: {f['seconds']:.2f} s", "under 2 s", f["seconds"] < 2)
    if "clients_page" in figures:
        f = figures["clients_page"]
        add("clients_page", f"{f['clients']:,} clients: median {f['median_seconds']:.2f} s, max {f['max_seconds']:.2f} s "
                            "from a warm API server", "under 1 s", f["median_seconds"] < f["target_seconds"])
    if "period_report" in figures:
        f = figures["period_report"]
        add("period_report", f"M company ({f['vouchers']:,} vouchers): {f['seconds']:.2f} s in a fresh process, "
                             f"{f['warm_seconds']:.2f} s warm", "under 1 s per client-period", f["seconds"] < 1)
    if "fleet" in figures:
        f = figures["fleet"]
        add("fleet", f"{f['clients']:,} clients ({f['executor']}): {f['seconds']:.0f} s, 1,000 clients in "
                     f"{f['projected_minutes_1000']:.0f} min (linear)", f"under {f['target_minutes_1000']} min",
            f["projected_minutes_1000"] < f["target_minutes_1000"])
        add("fleet", f"core-seconds: Airflow {f['airflow_core_seconds']:.0f} + tasks {f['task_core_seconds']:.0f} "
                     f"against {f['baseline_core_seconds']:.0f} without Airflow; {f['requests']:,} requests, "
                     f"peak {f['peak_rss_mb']:,} MB", "Airflow's share no larger than the work",
            f["overhead_core_seconds"] <= f["baseline_core_seconds"])
    if "rate_limit" in figures:
        f = figures["rate_limit"]
        add("rate_limit", f"{f['requests']} requests in {f['seconds']} s, {f['budget_used']:.1%} of the budget, "
                          f"{f['http_429']} x 429", "no 429", f["http_429"] == 0)
    if "refresh_window" in figures:
        f = figures["refresh_window"]
        add("refresh_window", f"median {f['median_ms']} ms, p99 {f['p99_ms']} ms, max {f['max_ms']} ms",
            "as short as can be", None)
    return table


def main() -> None:
    figures = {path.stem: json.loads(path.read_text()) for path in sorted(BENCH_DIR.glob("*.json"))}
    table = rows(figures)
    widths = [max(len(row[column]) for row in [("benchmark", "figures", "target", "verdict"), *table])
              for column in range(4)]
    for row in [("benchmark", "figures", "target", "verdict"), *table]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
    print(f"figures: {BENCH_DIR}/*.json")


if __name__ == "__main__":
    main()
