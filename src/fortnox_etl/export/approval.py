"""Approving a client's draft vouchers in the Airflow UI: what the approval form shows, and the answer
recorded in the outbox. The export DAG's human-in-the-loop step uses these; the CLI approves directly."""
from __future__ import annotations

import logging

from sqlalchemy import Engine

from fortnox_etl.export.outbox import DRAFT, Outbox, kronor

log = logging.getLogger(__name__)


def drafts_to_approve(engine: Engine, client_key: str) -> dict | None:
    """The client's drafts as {"ids", "body"} (body: Markdown for the approval form); None when there are none."""
    drafts = Outbox(engine, client_key).vouchers(DRAFT)
    if not drafts:
        log.info("client %s: no draft vouchers wait for approval; nothing is asked in the UI", client_key)
        return None
    lines = [f"Approving posts these {len(drafts)} draft voucher(s) to the Fortnox of client **{client_key}**.", ""]
    for voucher in drafts:
        lines += [f"**{voucher.outbox_id}**: series {voucher.voucher_series}, {voucher.transaction_date}, "
                  f"{voucher.description} ({voucher.source})", "",
                  "| account | debit | credit | cost centre | project | text |", "|---|---:|---:|---|---|---|"]
        lines += [f"| {row.account} | {kronor(row.debit_ore) if row.debit_ore else ''} | "
                  f"{kronor(row.credit_ore) if row.credit_ore else ''} | {row.cost_center or ''} | {row.project or ''} | "
                  f"{row.row_text or ''} |" for row in voucher.rows]
        lines.append("")
    log.info("client %s: %d draft voucher(s) wait for approval in the Airflow UI (Required actions): %s",
             client_key, len(drafts), ", ".join(str(voucher) for voucher in drafts))
    return {"ids": [voucher.outbox_id for voucher in drafts], "body": "\n".join(lines)}


def record_approval(engine: Engine, client_key: str, outbox_ids: list[str], responder: str) -> list[str]:
    """Approve the drafts the approver saw; one approved, rejected or changed meanwhile is left as it is."""
    outbox = Outbox(engine, client_key)
    still_drafts = {v.outbox_id for v in outbox.vouchers(DRAFT)}
    approved = [outbox_id for outbox_id in outbox_ids if outbox_id in still_drafts]
    if approved:
        outbox.approve(approved, responder)
    log.info("client %s: %s approved in the Airflow UI: %s", client_key, responder, ", ".join(approved) or "none")
    left = [outbox_id for outbox_id in outbox_ids if outbox_id not in still_drafts]
    if left:
        log.warning("client %s: %s changed state since the approval form was shown; left as they are",
                    client_key, ", ".join(left))
    return approved


def record_rejection(client_key: str, outbox_ids: list[str], responder: str) -> None:
    """Reject in the approval form means: not now. The drafts stay drafts, to be approved or rejected later."""
    log.info("client %s: %s did not approve %s in the Airflow UI; they stay drafts", client_key, responder,
             ", ".join(outbox_ids) or "the drafts")
