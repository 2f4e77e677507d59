"""``contracthub templates list|show|publish|render`` and ``contracts draft``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment
from rich.table import Table
from sqlalchemy import select

from core.blobs import BlobError
from core.cli.app import UserError, app, console, hub_from, print_json
from core.cli.contracts_cmd import contracts
from core.documents import DocumentError, contract_by_number
from core.entitlement import find_customer
from core.hub import Hub
from core.lifecycle import roles
from core.lifecycle.approvals import ApprovalError
from core.lifecycle.render import TemplateError
from core.lifecycle.template_models import ContractTemplate
from core.lifecycle.templates import (
    RESERVED,
    draft_from_template,
    ensure_shipped,
    get_template,
    latest,
    publish,
    render_contract,
)

templates = typer.Typer(help="Contract templates: versions, merge fields, rendering.",
                        no_args_is_help=True)
app.add_typer(templates, name="templates")


@contextmanager
def lifecycle_errors() -> Iterator[None]:
    """Lifecycle problems as one line for the user."""
    try:
        yield
    except (TemplateError, ApprovalError, DocumentError, BlobError) as exc:
        raise UserError(str(exc)) from None


def acting(ctx: typer.Context, action: str) -> Hub:
    """The hub, after checking the acting user may do ``action``."""
    hub = hub_from(ctx)
    roles.require(hub.config, hub.config.actor, action)
    return hub


def merge_fields(body: str) -> list[str]:
    names = meta.find_undeclared_variables(SandboxedEnvironment().parse(body))
    return sorted(names - RESERVED)


def _row(t: ContractTemplate) -> dict[str, Any]:
    v = latest(t)
    return {"name": t.name, "kind": t.kind, "title": t.title, "version": v.version,
            "published_by": v.published_by, "published_at": v.published_at.isoformat(),
            "sha256": v.sha256}


@templates.command("list")
def list_cmd(ctx: typer.Context,
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List templates with their latest version."""
    hub = acting(ctx, "templates.list")
    with hub.session() as s, s.begin():
        ensure_shipped(s, hub.clock.now())
        rows = [_row(t) for t in s.scalars(select(ContractTemplate)
                                           .order_by(ContractTemplate.name))]
    if as_json:
        print_json(rows)
        return
    table = Table("name", "kind", "title", "version", "published_by", "published_at")
    for r in rows:
        table.add_row(r["name"], r["kind"], r["title"], str(r["version"]), r["published_by"],
                      r["published_at"][:19])
    console.print(table)


@templates.command("show")
def show_cmd(ctx: typer.Context, name: str,
             version: int | None = typer.Option(None, help="A version [default: the latest]."),
             body: bool = typer.Option(False, "--body", help="Print the template text."),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show a template's versions and the merge fields its text uses."""
    hub = acting(ctx, "templates.show")
    with lifecycle_errors(), hub.session() as s, s.begin():
        ensure_shipped(s, hub.clock.now())
        t = get_template(s, name)
        chosen = next((v for v in t.versions if v.version == version), None) \
            if version else latest(t)
        if chosen is None:
            raise TemplateError(f"template {name} has no version {version} "
                                f"(latest is {latest(t).version})")
        data = {**_row(t), "version": chosen.version, "sha256": chosen.sha256,
                "fields": merge_fields(chosen.body),
                "versions": [{"version": v.version, "published_by": v.published_by,
                              "published_at": v.published_at.isoformat(), "sha256": v.sha256}
                             for v in t.versions]}
        text = chosen.body
    if as_json:
        print_json({**data, "body": text} if body else data)
        return
    if body:
        typer.echo(text, nl=False)
        return
    console.print(f"{data['name']} ({data['kind']}): {data['title']}", markup=False)
    console.print(f"version {data['version']}, sha256 {data['sha256'][:16]}", markup=False)
    console.print(f"merge fields: {', '.join(data['fields']) or 'none'}", markup=False)
    for v in data["versions"]:
        console.print(f"  v{v['version']} published by {v['published_by']} at "
                      f"{v['published_at'][:19]}", markup=False)


@templates.command("publish")
def publish_cmd(ctx: typer.Context, name: str,
                file: Annotated[Path, typer.Argument(help="The template text (Jinja2 HTML).")],
                kind: str | None = typer.Option(None, help="Contract kind, for a new template."),
                title: str | None = typer.Option(None, help="Title, for a new template.")
                ) -> None:
    """Publish FILE as the next version of template NAME (legal or admin)."""
    hub = acting(ctx, "templates.publish")
    if not file.is_file():
        raise UserError(f"{file}: no such file")
    with lifecycle_errors(), hub.session() as s, s.begin():
        ver, created = publish(s, hub.config, name=name, body=file.read_text(encoding="utf-8"),
                               actor=hub.config.actor, now=hub.clock.now(), kind=kind,
                               title=title)
        line = (f"{'published' if created else 'unchanged'}: {name} v{ver.version} "
                f"sha256 {ver.sha256[:16]}")
    console.print(line, markup=False)


@templates.command("render")
def render_cmd(ctx: typer.Context, name: str,
               contract: Annotated[str, typer.Option("--contract", help="Contract number.")],
               out: Annotated[Path, typer.Option("--out", help="FILE.pdf or FILE.html")]
               ) -> None:
    """Render a contract with template NAME (its own version if it came from NAME)."""
    hub = acting(ctx, "templates.render")
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "html"):
        raise UserError(f"--out {out}: use a .pdf or .html file name")
    with lifecycle_errors(), hub.session() as s:
        data = render_contract(s, contract_by_number(s, contract), now=hub.clock.now(),
                               template=name, fmt=fmt)
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data)} bytes)", markup=False)


def parse_fields(items: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--field {item!r}: use NAME=VALUE")
        fields[key.strip()] = value.strip()
    return fields


@contracts.command("draft")
def draft_cmd(ctx: typer.Context,
              template: Annotated[str, typer.Option("--template", help="Template name.")],
              customer: Annotated[str, typer.Option("--customer",
                                                    help="Customer name, id or domain.")],
              field: Annotated[list[str] | None, typer.Option(
                  "--field", help="NAME=VALUE (repeatable): a contract term (tier, value, "
                                  "start_date...) or a merge field.")] = None) -> None:
    """Draft a contract from the latest version of a template and store its PDF."""
    hub = acting(ctx, "contracts.draft")
    fields = parse_fields(field or [])
    with lifecycle_errors(), hub.session() as s, s.begin():
        c = draft_from_template(s, hub.blobs(), template=template,
                                customer=find_customer(s, customer), fields=fields,
                                actor=hub.config.actor, now=hub.clock.now())
        line = f"drafted {c.number} for {c.customer.name} from {template} ({c.status})"
    console.print(line, markup=False)
