"""Bulk send: one template to many customers from a CSV.

Each row is one contract: ``customer`` (name, id or e-mail domain, as in
``entitlement show``) is required; every other non-empty cell is a field for
the draft (contract terms such as ``tier``, ``value``, ``start_date``, or merge
fields such as ``customer_signatory``). An optional ``signers`` cell
(``Ada Lovelace <ada@example.com>; Bob <bob@example.com>``, in signing order)
queues the contract for signing: ``send_queued``, registered in
``approvals.APPROVED_HOOKS``, sends it for signature as soon as its last
approval step passes. A send that fails (no SMTP configured, mail refused)
never undoes the approval: it is audited as ``signing.queue_failed`` and the
contract stays approved, to be sent with ``contracthub contracts send``.

Every row is drafted and submitted for approval in its own savepoint: a bad
row is reported with its line number and reason and the others go ahead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core import audit
from core.blobs import BlobError, BlobStore
from core.config import ConfigFileError
from core.documents import DocumentError
from core.entitlement import NotFound, find_customer
from core.importer import ImportRejected, read_rows
from core.lifecycle import roles
from core.lifecycle.approvals import (
    APPROVED_HOOKS,
    ApprovalError,
    load_rules,
    rules_path,
    submit,
)
from core.lifecycle.mailer import MailError, mailer_from_config
from core.lifecycle.render import TemplateError
from core.lifecycle.signing import SigningError, parse_signer, send_for_signature
from core.lifecycle.template_models import ContractFields
from core.lifecycle.templates import draft_from_template, ensure_shipped, get_template, latest
from core.models import Contract

ROW_ERRORS = (TemplateError, ApprovalError, NotFound, DocumentError, BlobError, SigningError,
              ValueError)


@dataclass
class BulkResult:
    created: list[tuple[int, str, str]] = field(default_factory=list)  # (line, number, status)
    problems: list[tuple[int, str]] = field(default_factory=list)      # (line, reason)


def parse_signers(text: str) -> list[str]:
    """``Name <email>`` entries separated by ``;``; a malformed one is an error."""
    out = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        try:
            parse_signer(part)
        except SigningError as exc:
            raise ValueError(f"signers: {exc}") from None
        out.append(part)
    return out


def queued_signers(session: Session, contract: Contract) -> list[str]:
    """The signers a bulk send queued for this contract (``Name <email>``), if any."""
    row = session.get(ContractFields, contract.id)
    return list((row.values if row else {}).get("signers") or [])


def bulk_send(session: Session, blobs: BlobStore, config: Any, *, template: str, path: Path,
              actor: str, now: datetime) -> BulkResult:
    """Draft and submit one contract per row; returns what was created and each bad row."""
    roles.require(config, actor, "contracts.bulk")
    try:
        rows = read_rows(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: cannot read: {exc}") from None
    except ImportRejected as exc:
        raise TemplateError(str(exc)) from None
    ensure_shipped(session, now)
    latest(get_template(session, template))
    rules = load_rules(rules_path(config))
    result = BulkResult()
    for line, row in rows:
        try:
            with session.begin_nested():
                contract = _one(session, blobs, config, row, template=template, actor=actor,
                                now=now, rules=rules)
            result.created.append((line, contract.number, contract.status))
        except ROW_ERRORS as exc:
            result.problems.append((line, str(exc)))
    return result


def _one(session: Session, blobs: BlobStore, config: Any, row: dict[str, Any], *, template: str,
         actor: str, now: datetime, rules: dict[str, Any]) -> Contract:
    fields = {k: v for k, v in row.items() if str(v).strip()}
    name = fields.pop("customer", "")
    if not name:
        raise ValueError("customer: missing (required)")
    signers = parse_signers(fields.pop("signers", ""))
    customer = find_customer(session, name)
    contract = draft_from_template(session, blobs, template=template, customer=customer,
                                   fields=fields, actor=actor, now=now)
    if signers:
        row_fields = session.get(ContractFields, contract.id)
        assert row_fields is not None
        row_fields.values = {**row_fields.values, "signers": signers}
    session.flush()
    submit(session, config, contract=contract, actor=actor, now=now, rules=rules)
    return contract


def send_queued(session: Session, contract: Contract, actor: str, now: datetime) -> None:
    """Send an approved contract that a bulk send queued, to its signers in order.

    Needs the hub (``session.info["hub"]``, set by the CLI) for the blob store,
    the SMTP settings and the signing settings."""
    signers = queued_signers(session, contract)
    hub = session.info.get("hub")
    if not signers or hub is None:
        return
    try:
        with session.begin_nested():
            send_for_signature(session, hub.blobs(), mailer_from_config(hub.config),
                               number=contract.number, signers=[parse_signer(x) for x in signers],
                               actor=actor, now=now, settings=hub.config.signing)
    except (SigningError, MailError, ConfigFileError, BlobError) as exc:
        audit.append(session, at=now, actor=actor, action="signing.queue_failed",
                     entity="contract", entity_id=contract.number,
                     payload={"signers": signers, "reason": str(exc)})
        session.info.setdefault("notices", []).append(
            f"{contract.number} is approved but not sent for signature: {exc}")


APPROVED_HOOKS.append(send_queued)
