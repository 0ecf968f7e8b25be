"""One notification about one client: its event, the client, the period, what went wrong in the operator's
words and where to look (the task's log, or the period's report)."""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path


class Event(StrEnum):
    TASK_FAILED = "task_failed"
    PERIOD_CHECKS_FAILED = "period_checks_failed"
    RECONNECT_NEEDED = "reconnect_needed"
    TOKEN_EXPIRING = "token_expiring"


# What the subject says happened, after the company's name.
HEADLINES = {
    Event.TASK_FAILED: "a Fortnox task failed",
    Event.PERIOD_CHECKS_FAILED: "the period's checks found errors",
    Event.RECONNECT_NEEDED: "the Fortnox connection must be reconnected",
    Event.TOKEN_EXPIRING: "the Fortnox connection expires soon",
}


@dataclass(frozen=True)
class Notice:
    event: Event
    client_key: str
    client_name: str
    period: str | None  # YYYY-MM; None where the event belongs to no period (a connection)
    words: str  # what went wrong and what to do, as the task's log says it
    link: str  # the task's log in the Airflow UI, or the period's report
    dag_id: str
    task_id: str

    @property
    def subject(self) -> str:
        period = f", period {self.period}" if self.period else ""
        return f"[fortnox-etl] {self.client_name} ({self.client_key}){period}: {HEADLINES[self.event]}"

    def text(self) -> str:
        return "\n".join([
            f"Client: {self.client_name} ({self.client_key})",
            f"Period: {self.period or '-'}",
            f"What happened: {self.words}",
            f"Where to look: {self.link}",
            f"Airflow: DAG {self.dag_id}, task {self.task_id}",
        ])

    def html(self) -> str:
        rows = [("Client", f"{self.client_name} ({self.client_key})"), ("Period", self.period or "-"),
                ("What happened", self.words), ("Airflow", f"DAG {self.dag_id}, task {self.task_id}")]
        cells = "".join(f"<tr><th align='left'>{name}</th><td>{html.escape(value)}</td></tr>" for name, value in rows)
        link = html.escape(self.link, quote=True)
        headline = HEADLINES[self.event]
        return (f"<p>{html.escape(headline[0].upper() + headline[1:])}.</p><table>{cells}</table>"
                f"<p>Where to look: <a href=\"{link}\">{link}</a></p>")

    def payload(self) -> dict:
        """The webhook's JSON body."""
        return {**asdict(self), "event": str(self.event), "subject": self.subject}


def report_link(out_dir: Path, client_key: str, period_end: dt.date) -> str:
    """The period report beside the SIE file, as a file address an operator's browser opens."""
    return (Path(out_dir).resolve() / client_key / f"{client_key}_rapport_{period_end.isoformat()}.html").as_uri()


def expiry_words(client_key: str, days_left: float, expires_on: dt.date) -> str:
    return (f"client {client_key}: the Fortnox connection expires in {max(days_left, 0):.0f} days, on "
            f"{expires_on.isoformat()}, and was not renewed today; if the daily renewal does not succeed before "
            f"then, the client must reconnect ('fortnox-etl connect {client_key}'): see the renewal's log")
