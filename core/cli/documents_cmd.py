"""``contracthub documents add|list|get``: a contract's files, content-addressed."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from core.blobs import BlobError
from core.cli.app import UserError, app, console, hub_from, print_json
from core.documents import DocumentError, add_document, document_bytes, list_documents

documents = typer.Typer(help="Contract documents (drafts, executed copies, certificates).",
                        no_args_is_help=True)
app.add_typer(documents, name="documents")


@documents.command("add")
def add_cmd(ctx: typer.Context, contract: str, file: Path,
            kind: str = typer.Option("draft", help="draft, executed, amendment, certificate")
            ) -> None:
    """Add a file to a contract as its next version of that kind."""
    hub = hub_from(ctx)
    try:
        with hub.session() as s, s.begin():
            doc, created = add_document(s, hub.blobs(), contract, file, kind=kind,
                                        actor=hub.config.actor, now=hub.clock.now())
            line = (f"{'added' if created else 'unchanged'}: document {doc.id} {doc.kind} "
                    f"v{doc.version} sha256 {doc.sha256}")
    except (DocumentError, BlobError) as exc:
        raise UserError(str(exc)) from None
    console.print(line, markup=False)


@documents.command("list")
def list_cmd(ctx: typer.Context, contract: str,
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List a contract's documents."""
    hub = hub_from(ctx)
    try:
        with hub.session() as s:
            rows = [{"id": d.id, "kind": d.kind, "version": d.version, "filename": d.filename,
                     "media_type": d.media_type, "size": d.size, "sha256": d.sha256,
                     "created_at": d.created_at.isoformat()} for d in list_documents(s, contract)]
    except DocumentError as exc:
        raise UserError(str(exc)) from None
    if as_json:
        print_json(rows)
        return
    table = Table("id", "kind", "version", "filename", "size", "sha256")
    for r in rows:
        table.add_row(str(r["id"]), r["kind"], str(r["version"]), r["filename"], str(r["size"]),
                      r["sha256"][:16])
    console.print(table)


@documents.command("get")
def get_cmd(ctx: typer.Context, doc_id: int,
            out: Path = typer.Option(..., "--out", help="Where to write the file.")) -> None:
    """Write a document's bytes to a file (verified against its hash)."""
    hub = hub_from(ctx)
    try:
        with hub.session() as s:
            doc, data = document_bytes(s, hub.blobs(), doc_id)
    except (DocumentError, BlobError) as exc:
        raise UserError(str(exc)) from None
    out.write_bytes(data)
    console.print(f"wrote {out} ({doc.size} bytes, sha256 {doc.sha256})", markup=False)
