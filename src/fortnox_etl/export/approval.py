"""Approving a client's draft vouchers in the Airflow UI: what the approval form shows and asks per draft, and
the answer recorded in the outbox. The export DAG's human-in-the-loop step uses these; the CLI approves directly."""
from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import Engine

from fortnox_etl.config import Client
from fortnox_etl.export.outbox import DRAFT, Outbox, kronor

log = logging.getLogger(__name__)

# Each draft's answer in the form; the form starts with every draft approved.
APPROVE, REJECT = "Approve", "Reject"


def drafts_to_approve(engine: Engine, client: Client) -> dict | None:
    """The client's drafts as {"ids", "body", "choices"}: body is Markdown for the approval form, choices one
    question per draft ({outbox id: its title}); None when there are none."""
    drafts = Outbox(engine, client.key).vouchers(DRAFT)
    if not drafts:
        log.info("client %s: no draft vouchers wait for approval; nothing is asked in the UI", client.key)
        return None
    lines = [f"These {len(drafts)} draft voucher(s) wait to be posted to the Fortnox of **{client.name}** "
             f"({client.organisation_number}, client {client.key}).", "",
             f"Choose {APPROVE} or {REJECT} for each draft below, then press **{APPROVE}**: the approved drafts are "
             f"posted, the rejected stay drafts (to approve later, or reject with `fortnox-etl vouchers reject`). "
             f"The **{REJECT}** button approves none of them. Unanswered, the question lapses after three days "
             "and nothing is approved.", ""]
    for voucher in drafts:
        lines += [f"**{voucher.outbox_id}**: series {voucher.voucher_series}, {voucher.transaction_date}, "
                  f"{voucher.description} ({voucher.source})", "",
                  "| account | debit | credit | cost centre | project | text |", "|---|---:|---:|---|---|---|"]
        lines += [f"| {row.account} | {kronor(row.debit_ore) if row.debit_ore else ''} | "
                  f"{kronor(row.credit_ore) if row.credit_ore else ''} | {row.cost_center or ''} | {row.project or ''} | "
                  f"{row.row_text or ''} |" for row in voucher.rows]
        lines.append("")
    log.info("client %s: %d draft voucher(s) wait for approval in the Airflow UI (Required actions): %s",
             client.key, len(drafts), ", ".join(str(voucher) for voucher in drafts))
    return {"ids": [voucher.outbox_id for voucher in drafts], "body": "\n".join(lines),
            "choices": {voucher.outbox_id: str(voucher) for voucher in drafts}}


def chosen_for_approval(shown: list[str], answers: Mapping[str, object]) -> list[str]:
    """The shown drafts the answer approves: those answered Approve, or not answered one by one (the form's
    default, and what an answer through the API without per-draft choices means)."""
    return [outbox_id for outbox_id in shown if answers.get(outbox_id, APPROVE) == APPROVE]


def record_answer(engine: Engine, client_key: str, shown: list[str], approved: list[str], responder: str) -> list[str]:
    """Approve what the approver chose of the drafts they saw, in their name; the rest stay drafts. A draft
    approved, rejected or changed meanwhile is left as it is. Returns the drafts approved now."""
    outbox = Outbox(engine, client_key)
    still_drafts = {v.outbox_id for v in outbox.vouchers(DRAFT)}
    approving = [outbox_id for outbox_id in approved if outbox_id in still_drafts]
    if approving:
        outbox.approve(approving, responder)
    not_approved = [outbox_id for outbox_id in shown if outbox_id not in approved and outbox_id in still_drafts]
    log.info("client %s: %s approved in the Airflow UI: %s; not approved (they stay drafts): %s", client_key,
             responder, ", ".join(approving) or "none", ", ".join(not_approved) or "none")
    changed = [outbox_id for outbox_id in shown if outbox_id not in still_drafts]
    if changed:
        log.warning("client %s: %s changed state since the approval form was shown; left as they are",
                    client_key, ", ".join(changed))
    return approving


def record_no_answer(client_key: str, shown: list[str]) -> None:
    """No one answered in time: nothing is approved."""
    log.warning("client %s: no one answered the approval form in time; %s stay drafts, to be approved in the next "
                "export's form or with 'fortnox-etl vouchers approve'", client_key, ", ".join(shown) or "the drafts")
