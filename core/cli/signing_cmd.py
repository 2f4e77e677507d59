"""``contracthub contracts send|certificate|amend``, ``sign``, ``signing list|run-due|cancel``,
``renewals run|list``: signing with evidence, certificates, amendments and renewals.

Every command checks the acting user's role (core.lifecycle.roles) except ``sign``,
whose authority is the one-time link token the signer received by email.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.audit import jsonable
from core.cli.app import UserError, app, console, hub_from, print_json
from core.cli.contracts_cmd import contracts
from core.cli.templates_cmd import acting, lifecycle_errors, parse_fields
from core.lifecycle.certificate import store_certificate
from core.lifecycle.mailer import MailError, mailer_from_config
from core.lifecycle.renewals import draft_amendment, run_renewals, upcoming
from core.lifecycle.signing import (
    CONSENT_TEXT,
    SignatureInput,
    SigningError,
    cancel,
    parse_signer,
    record_refusal,
    send_for_signature,
    sign,
)
from core.lifecycle.signing_due import run_due
from core.lifecycle.signing_models import SigningRequest
from core.models import Contract

signing = typer.Typer(help="Signature requests: list, reminders and expiry, cancel.",
                      no_args_is_help=True)
renewals = typer.Typer(help="Renewal alerts and auto-renewals.", no_args_is_help=True)
app.add_typer(signing, name="signing")
app.add_typer(renewals, name="renewals")


@contextmanager
def signing_errors() -> Iterator[None]:
    with lifecycle_errors():
        try:
            yield
        except (SigningError, MailError) as exc:
            raise UserError(str(exc)) from None


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@contracts.command("send")
def send_cmd(ctx: typer.Context, number: str,
             signer: Annotated[list[str], typer.Option(
                 "--signer", help='"Name <email>", in signing order (repeat).')],
             otp: bool = typer.Option(False, "--otp", help="Also require a one-time access "
                                      "code per signer (printed here; give it by phone).")
             ) -> None:
    """Send an approved contract for signature; each signer gets a one-time link by email."""
    hub = acting(ctx, "sign.send")
    with signing_errors():
        specs = [parse_signer(text, with_code=otp) for text in signer]
        mailer = mailer_from_config(hub.config)
        with hub.session() as s, s.begin():
            sent = send_for_signature(s, hub.blobs(), mailer, number=number, signers=specs,
                                      actor=hub.config.actor, now=hub.clock.now(),
                                      settings=hub.config.signing)
            req = sent.request
            lines = [f"{number} is out for signature (request {req.id}, document sha256 "
                     f"{req.document_sha256}); expires {req.expires_at:%Y-%m-%d %H:%M} UTC"]
            lines += [f"  {s.position}. {s.name} <{s.email}>: link emailed" for s in req.signers]
            lines += [f"  access code for {email}: {code} (tell them; it is not emailed)"
                      for email, code in sent.codes.items()]
    for line in lines:
        _say(line)


@app.command("sign", help="Sign with a one-time link token as the signer (the evidence is "
             "recorded). Consent to do business electronically (--agree): " + CONSENT_TEXT)
def sign_cmd(ctx: typer.Context, token: str,
             name: str = typer.Option(..., "--name", help="The signer's typed name (intent)."),
             ip: str = typer.Option(..., "--ip", help="The signer's IP address."),
             user_agent: str = typer.Option(..., "--user-agent", help="The signer's browser."),
             agree: bool = typer.Option(False, "--agree",
                                        help="Consent to do business electronically."),
             code: str | None = typer.Option(None, "--code", help="The access code, if any.")
             ) -> None:
    hub = hub_from(ctx)
    with signing_errors():
        mailer = mailer_from_config(hub.config)
        given = SignatureInput(token=token, typed_name=name, ip=ip, user_agent=user_agent,
                               consent=agree, code=code)
        try:
            with hub.session(actor="signer") as s, s.begin():
                req = sign(s, hub.blobs(), mailer, given, now=hub.clock.now(),
                           settings=hub.config.signing)
                number = s.get(Contract, req.contract_id).number
                done = req.status == "completed"
                left = [x.name for x in req.signers if x.status != "signed"]
        except SigningError as exc:
            with hub.session(actor="signer") as s, s.begin():
                record_refusal(s, given, str(exc), now=hub.clock.now())
            raise
    _say(f"signed {number}: " + ("all signatures in; the contract is executed and locked"
                                 if done else f"waiting for {', '.join(left)}"))


@signing.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Signature requests, newest first, with each signer's state."""
    hub = acting(ctx, "signing.list")
    with hub.session() as s:
        rows = [jsonable({
            "request": r.id, "contract": s.get(Contract, r.contract_id).number,
            "status": r.status, "sent_at": r.sent_at, "expires_at": r.expires_at,
            "ended_at": r.ended_at, "archived_at": r.archived_at,
            "document_sha256": r.document_sha256,
            "signers": [{"position": x.position, "name": x.name, "email": x.email,
                         "status": x.status, "reminders": x.reminders, "signed_at": x.signed_at}
                        for x in r.signers]})
            for r in s.scalars(select(SigningRequest).options(selectinload(
                SigningRequest.signers)).order_by(SigningRequest.id.desc()))]
    if as_json:
        print_json(rows)
        return
    table = Table("request", "contract", "status", "sent", "expires", "signers")
    for r in rows:
        table.add_row(str(r["request"]), r["contract"], r["status"] + (
            " (archived)" if r["archived_at"] else ""), r["sent_at"][:16], r["expires_at"][:16],
            "; ".join(f"{x['name']} {x['status']}" for x in r["signers"]))
    console.print(table)


@signing.command("run-due")
def run_due_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Send the reminders that are due, expire old requests, archive ended ones."""
    hub = acting(ctx, "signing.run_due")
    with signing_errors():
        mailer = mailer_from_config(hub.config)
        with hub.session() as s:
            report = run_due(s, hub.clock, mailer, hub.config.signing)
    if as_json:
        print_json(asdict(report))
    else:
        _say(f"reminded {len(report.reminded)}, expired {len(report.expired)}, archived "
             f"{len(report.archived)}")
        for line in report.reminded:
            _say(f"  reminded {line}")
        for number in report.expired:
            _say(f"  expired {number}")
    if report.errors:
        raise UserError("; ".join(report.errors))


@signing.command("cancel")
def cancel_cmd(ctx: typer.Context, number: str,
               reason: str = typer.Option(..., "--reason", help="Why (audited).")) -> None:
    """Cancel a contract's pending signature request; it goes back to approved."""
    hub = acting(ctx, "sign.cancel")
    with signing_errors(), hub.session() as s, s.begin():
        req = cancel(s, number=number, actor=hub.config.actor, now=hub.clock.now(),
                     reason=reason)
    _say(f"cancelled signing request {req.id}; {number} is approved again")


@contracts.command("certificate")
def certificate_cmd(ctx: typer.Context, number: str,
                    out: Annotated[Path, typer.Option("--out", help="Where to write the PDF.")]
                    ) -> None:
    """Write the certificate of completion of an executed contract (kept as a document)."""
    hub = acting(ctx, "contracts.certificate")
    with signing_errors(), hub.session() as s, s.begin():
        doc, data, created = store_certificate(s, hub.blobs(), number,
                                               actor=hub.config.actor, now=hub.clock.now())
        sha = doc.sha256
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise UserError(f"{out}: cannot write: {exc.strerror}") from None
    _say(f"wrote {out} ({len(data)} bytes, sha256 {sha}; "
         f"{'stored as document ' + str(doc.id) if created else 'same as the stored one'})")


@contracts.command("amend")
def amend_cmd(ctx: typer.Context, number: str,
              template: str = typer.Option("renewal_amendment", "--template"),
              field: Annotated[list[str] | None, typer.Option(
                  "--field", help="NAME=VALUE (repeatable): a term or a merge field.")] = None
              ) -> None:
    """Draft an amendment of an executed contract (version + 1, linked to it)."""
    hub = acting(ctx, "contracts.amend")
    fields = parse_fields(field or [])
    with signing_errors(), hub.session() as s, s.begin():
        c = draft_amendment(s, hub.blobs(), number=number, fields=fields, template=template,
                            actor=hub.config.actor, now=hub.clock.now())
        line = f"drafted amendment {c.number} (version {c.version}) of {number} from {template}"
    _say(line)


@renewals.command("run")
def renewals_run_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Send the renewal alerts that are due and renew auto-renewing contracts that end today."""
    hub = acting(ctx, "renewals.run")
    with signing_errors():
        smtp = hub.config.signing.smtp
        mailer = mailer_from_config(hub.config) if smtp else None
        with hub.session() as s:
            report = run_renewals(s, hub.clock, mailer, hub.config.renewals)
    if as_json:
        print_json(asdict(report))
    else:
        _say(f"alerts {len(report.alerts)}, renewed {len(report.renewed)}"
             + ("" if mailer else " (signing.smtp not set: no emails)"))
        for line in report.alerts + report.renewed:
            _say(f"  {line}")
    if report.errors:
        raise UserError("; ".join(report.errors))


@renewals.command("list")
def renewals_list_cmd(ctx: typer.Context,
                      within: int = typer.Option(120, "--within", help="Days ahead."),
                      as_json: bool = typer.Option(False, "--json")) -> None:
    """Active contracts ending soon, with the alerts already sent."""
    hub = acting(ctx, "renewals.list")
    with hub.session() as s:
        rows = jsonable(upcoming(s, hub.clock.now(), within))
    if as_json:
        print_json(rows)
        return
    table = Table("contract", "customer", "kind", "ends", "days left", "auto-renew", "alerts")
    for r in rows:
        table.add_row(r["number"], r["customer"], r["kind"], r["end_date"],
                      str(r["days_left"]), "yes" if r["auto_renew"] else "no",
                      ", ".join(f"{d}d" for d in r["alerts_sent"]) or "-")
    console.print(table)
