"""Fixtures for the lifecycle tests. Signing/renewals: a local SMTP sink (aiosmtpd on an ephemeral
port of 127.0.0.1), a mailer and settings pointing at it, and an approved contract with
its draft document, and helpers to send and sign."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from core.blobs import BlobStore
from core.config import SigningSettings, SmtpSettings
from core.hub import Hub
from core.lifecycle.mailer import SmtpMailer
from core.lifecycle.signing import SignerSpec, send_for_signature
from tests.factories import contract, customer

LINK_BASE = "https://sign.test/s/"
LINK_RE = re.compile(re.escape(LINK_BASE) + r"([A-Za-z0-9_\-]+)")
DRAFT = b"%PDF-1.4\n% support agreement draft for signing tests\n"


class SmtpSink:
    """Every message the sink accepted, parsed, with its envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(envelope.content, policy=default_policy)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    def take(self) -> list[EmailMessage]:
        with self._lock:
            out, self.messages = self.messages, []
        return out


class _EphemeralController(Controller):
    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_sink() -> Iterator[tuple[SmtpSink, int]]:
    sink = SmtpSink()
    controller = _EphemeralController(sink, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


@pytest.fixture
def settings(smtp_sink: tuple[SmtpSink, int]) -> SigningSettings:
    _, port = smtp_sink
    return SigningSettings(link_base=LINK_BASE, smtp=SmtpSettings(
        host="127.0.0.1", port=port, **{"from": "contracts@hub.test"}))


@pytest.fixture
def sink(smtp_sink: tuple[SmtpSink, int]) -> SmtpSink:
    return smtp_sink[0]


@pytest.fixture
def mailer(settings: SigningSettings) -> SmtpMailer:
    assert settings.smtp is not None
    return SmtpMailer(settings.smtp)


@pytest.fixture
def blobs(hub: Hub) -> BlobStore:
    return BlobStore(hub.config.blob_folder)


def token_in(msg: EmailMessage) -> str:
    m = LINK_RE.search(msg.get_content())
    assert m, f"no signing link in {msg['Subject']!r}"
    return m.group(1)


def approved_contract(hub: Hub, blobs: BlobStore, number: str = "C-100", *,
                      customer_name: str = "Acme Corp", **kw: Any) -> None:
    """A customer, an approved contract and its draft document (v1)."""
    from core.documents import add_document

    values: dict[str, Any] = {"status": "approved", "start_date": date(2026, 4, 1),
                              "end_date": date(2027, 3, 31)}
    values.update(kw)
    path = hub.config.folder / f"{number}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(DRAFT + number.encode())
    with hub.session() as s, s.begin():
        cust = customer(s, customer_name)
        contract(s, cust, number, **values)
        add_document(s, blobs, number, path, kind="draft", actor="legal", now=hub.clock.now())


SIGNERS = [SignerSpec("Ada Lovelace", "ada@acme.test"),
           SignerSpec("Grace Hopper", "grace@vendor.test")]


def send(hub: Hub, blobs: BlobStore, mailer: SmtpMailer, settings: SigningSettings,
         number: str = "C-100", signers: list[SignerSpec] | None = None) -> Any:
    with hub.session() as s, s.begin():
        return send_for_signature(s, blobs, mailer, number=number, signers=signers or SIGNERS,
                                  actor="legal", now=hub.clock.now(), settings=settings)


UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


def do_sign(hub: Hub, blobs: BlobStore, mailer: SmtpMailer, settings: SigningSettings,
            token: str, name: str = "Ada Lovelace", **kw: Any) -> Any:
    """Sign with a link token as a signer would (evidence defaults are a browser's)."""
    from core.lifecycle.signing import SignatureInput, sign

    given = SignatureInput(token=token, typed_name=name, ip=kw.pop("ip", "203.0.113.7"),
                           user_agent=kw.pop("user_agent", UA), consent=kw.pop("consent", True),
                           code=kw.pop("code", None))
    with hub.session() as s, s.begin():
        return sign(s, blobs, mailer, given, now=hub.clock.now(), settings=settings)


def execute_contract(hub: Hub, blobs: BlobStore, mailer: SmtpMailer, settings: SigningSettings,
                     sink: SmtpSink, number: str = "C-100", **kw: Any) -> None:
    """An approved contract signed by Ada then Grace: active and locked."""
    from datetime import timedelta

    approved_contract(hub, blobs, number, **kw)
    send(hub, blobs, mailer, settings, number)
    ada = token_in(next(m for m in sink.take() if m["To"] == "ada@acme.test"))
    hub.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    do_sign(hub, blobs, mailer, settings, ada)
    grace = token_in(sink.take()[0])
    hub.clock.advance(timedelta(hours=20))  # type: ignore[attr-defined]
    do_sign(hub, blobs, mailer, settings, grace, "Grace Hopper", ip="2001:db8::1")
    sink.take()
