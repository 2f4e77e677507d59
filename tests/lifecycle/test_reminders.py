"""Reminders every 48h to the current signer, expiry after 90 days, archiving after 365 days:
a FakeClock moves time, the local SMTP sink catches every email, nothing sleeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.config import SigningSettings
from core.lifecycle.signing import SignerSpec, SigningError
from core.lifecycle.signing_due import run_due
from core.lifecycle.signing_models import Signer, SigningRequest
from core.models import AuditEvent, Contract, Document
from tests.lifecycle.conftest import approved_contract, do_sign, send, token_in


def due(hub, mailer, settings):  # noqa: ANN001,ANN201
    with hub.session() as s:
        return run_due(s, hub.clock, mailer, settings)


def test_reminders_every_48h_then_expiry_at_90_days(hub, blobs, mailer, settings, sink,
                                                    clock):
    approved_contract(hub, blobs)
    send(hub, blobs, mailer, settings)
    start = clock.now()
    sink.take()
    reminded_at: list[timedelta] = []
    expired_at: list[timedelta] = []
    for _ in range(int(timedelta(days=91) / timedelta(hours=6))):
        clock.advance(timedelta(hours=6))
        report = due(hub, mailer, settings)
        assert not report.errors
        for m in sink.take():
            elapsed = clock.now() - start
            if m["Subject"].startswith("Reminder"):
                assert m["X-Envelope-To"] == "ada@acme.test"  # the current signer only
                reminded_at.append(elapsed)
            elif m["Subject"].startswith("Expired"):
                assert m["X-Envelope-To"] == "ada@acme.test, grace@vendor.test"
                expired_at.append(elapsed)
    assert reminded_at == [timedelta(hours=48 * k) for k in range(1, 45)]
    assert expired_at == [timedelta(days=90)]
    with hub.session() as s:
        assert s.scalar(select(Contract.status)) == "approved"  # may be sent again
        assert s.scalar(select(SigningRequest.status)) == "expired"
        assert s.scalar(select(Signer.reminders).where(Signer.position == 1)) == 44
        assert len(s.scalars(select(AuditEvent).where(
            AuditEvent.action == "signing.reminded")).all()) == 44


def test_a_reminder_replaces_the_link_and_follows_the_signing_order(
        hub, blobs, mailer, settings, sink, clock):
    approved_contract(hub, blobs)
    send(hub, blobs, mailer, settings)
    first = token_in(sink.to("ada@acme.test")[0])
    sink.take()
    clock.advance(timedelta(hours=47, minutes=59))
    assert due(hub, mailer, settings).reminded == []
    clock.advance(timedelta(minutes=1))
    assert due(hub, mailer, settings).reminded == ["C-100: ada@acme.test"]
    fresh = token_in(sink.take()[0])
    with pytest.raises(SigningError, match="unknown signing link"):
        do_sign(hub, blobs, mailer, settings, first, "Ada Lovelace")
    clock.advance(timedelta(hours=30))
    do_sign(hub, blobs, mailer, settings, fresh, "Ada Lovelace")
    assert [m["X-Envelope-To"] for m in sink.take()] == ["grace@vendor.test"]
    clock.advance(timedelta(hours=47))  # Grace's clock starts when her turn came
    assert due(hub, mailer, settings).reminded == []
    clock.advance(timedelta(hours=1))
    assert due(hub, mailer, settings).reminded == ["C-100: grace@vendor.test"]


def test_intervals_come_from_the_config(hub, blobs, mailer, settings, sink, clock):
    short = SigningSettings(**{**settings.model_dump(by_alias=True),
                               "reminder_every": "12h", "expire_after": "2d"})
    approved_contract(hub, blobs)
    send(hub, blobs, mailer, short)
    sink.take()
    clock.advance(timedelta(hours=12))
    assert due(hub, mailer, short).reminded == ["C-100: ada@acme.test"]
    clock.advance(timedelta(hours=36))
    assert due(hub, mailer, short).expired == ["C-100"]


def test_a_mail_failure_leaves_the_reminder_due(hub, blobs, mailer, settings, sink,
                                                clock):
    approved_contract(hub, blobs)
    send(hub, blobs, mailer, settings)
    sink.take()
    clock.advance(timedelta(hours=48))
    broken = type(mailer)(settings.smtp.model_copy(update={"port": 1}))
    report = due(hub, broken, settings)
    assert report.reminded == [] and "not sent via 127.0.0.1:1" in report.errors[0]
    assert due(hub, mailer, settings).reminded == ["C-100: ada@acme.test"]


def test_completed_requests_are_archived_after_365_days_and_tokens_purged(
        hub, blobs, mailer, settings, sink, clock):
    approved_contract(hub, blobs)
    send(hub, blobs, mailer, settings, signers=[SignerSpec("Ada Lovelace", "ada@acme.test")])
    do_sign(hub, blobs, mailer, settings, token_in(sink.take()[0]), "Ada Lovelace")
    clock.advance(timedelta(days=364))
    assert due(hub, mailer, settings).archived == []
    clock.advance(timedelta(days=1))
    assert len(due(hub, mailer, settings).archived) == 1
    assert due(hub, mailer, settings).archived == []  # once
    with hub.session() as s:
        req = s.scalar(select(SigningRequest))
        assert req.status == "completed" and req.archived_at == clock.now()
        assert s.scalars(select(Signer.token_hash)).all() == [None]
        assert s.scalar(select(Document.kind).where(Document.kind == "executed")) == "executed"
        assert s.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "signing.archived")) == "signing.archived"


def test_the_daemon_pass_reminds_and_renews(hub, blobs, mailer, settings, sink, clock):
    from core.lifecycle.due import run_lifecycle_due

    hub.config = hub.config.model_copy(update={"signing": settings})
    approved_contract(hub, blobs)
    send(hub, blobs, mailer, settings)
    sink.take()
    clock.advance(timedelta(hours=48))
    out = run_lifecycle_due(hub)
    assert out["signing"]["reminded"] == ["C-100: ada@acme.test"]
    assert out["renewals"] == {"alerts": [], "renewed": [], "errors": []}
    hub.config = hub.config.model_copy(update={"signing": SigningSettings()})
    assert run_lifecycle_due(hub)["signing"] == {"skipped": "signing.smtp is not set"}
