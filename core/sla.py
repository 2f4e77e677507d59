"""SLA clocks: how long a ticket has been (or was) on the clock, and what is due when.

Rules:

* Two clocks per ticket, one per measure: ``first_response`` runs from ``created_at``
  to ``first_response_at`` (or to ``resolved_at`` when a ticket was resolved without a
  recorded response: a resolution answers the customer too; the earlier of the two
  when both are set); ``resolution`` runs from ``created_at`` to ``resolved_at``. A
  clock whose stop time is still in the future of ``now`` is read as running.
* Time counts on the coverage calendar of the contract the ticket falls under
  (:mod:`core.calendar`): 24x7 counts every minute, business hours only the covered
  windows (weekends and public holidays excluded).
* Pauses: while the ticket sits in a pause status ("Waiting for customer", "Pending
  customer" by default, compared case-insensitively; configurable) no time counts,
  on both clocks. Pauses come from ``Ticket.status_history`` (see
  :func:`pauses_from_history`); an open pause lasts until the clock's end (stop or
  ``now``). Only *covered* paused time matters: a pause over a weekend on business
  hours removes nothing the calendar had not already removed.
* ``elapsed = covered_elapsed(coverage, created, stop or now, pauses)``.
  ``paused`` is the covered time inside the pauses over the same span.
* State: ``met`` (stopped, ``elapsed <= target``), ``breached`` (``elapsed > target``,
  stopped or not), ``at_risk`` (running, ``elapsed >= at_risk * target``, 0.75 by
  default), else ``running``. Exactly on target is still met.
* Due: the *earliest* instant at which the elapsed covered time, less the pauses
  seen so far, reaches the target. Equivalently ``add_covered_time(created, target +
  P)`` where ``P`` is the covered paused time *before that instant*: a pause pushes
  the due time later by its covered length, but a pause that starts after the target
  was already reached does not move it (the breach had already happened). While a
  pause is still open, the due time is computed as if it ended ``now`` -- it moves
  on as long as the ticket keeps waiting. For a breached clock the due time is the
  instant of the breach (what :mod:`core.credits` uses to file it under a month).

:func:`evaluate_ticket` is the one function that touches the store: it picks the
contract, computes the clocks, writes the ticket's derived fields (only those that
changed) and audits each breach once (``sla.breached``, per ticket and measure).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import Coverage, add_covered_time, covered_elapsed
from core.clock import utc
from core.entitlement import SeverityTarget, coverage_of, resolve, targets_of
from core.models import AuditEvent, Contract, Customer, Ticket

Measure = Literal["first_response", "resolution"]
State = Literal["met", "breached", "at_risk", "running"]
Interval = tuple[datetime, datetime]

MEASURES: tuple[Measure, ...] = ("first_response", "resolution")
NO_ENTITLEMENT = "no entitlement found"
"""The coverage written on a ticket whose customer is unknown or has no contract in force."""
DEFAULT_PAUSE_STATUSES: tuple[str, ...] = ("Waiting for customer", "Pending customer")
DEFAULT_AT_RISK = 0.75
BREACH_ACTION = "sla.breached"
_ZERO = timedelta(0)


class NoTarget(ValueError):
    """The contract (its SLA plan or tier defaults) sets no target for the severity."""


@dataclass(frozen=True)
class SlaClock:
    ticket: str | None
    measure: Measure
    severity: str
    target_minutes: int
    started: datetime
    stopped: datetime | None
    measured_until: datetime
    elapsed: timedelta
    paused: timedelta
    due: datetime
    state: State
    contract: str | None
    coverage: Coverage

    @property
    def target(self) -> timedelta:
        return timedelta(minutes=self.target_minutes)

    @property
    def used(self) -> float:
        """Share of the target used (1.0 = exactly on target)."""
        if self.target_minutes == 0:
            return 0.0 if self.elapsed == _ZERO else float("inf")
        return self.elapsed / self.target

    @property
    def breached(self) -> bool:
        return self.state == "breached"

    @property
    def breached_at(self) -> datetime | None:
        return self.due if self.breached else None

    @property
    def elapsed_minutes(self) -> float:
        return self.elapsed.total_seconds() / 60

    @property
    def paused_minutes(self) -> float:
        return self.paused.total_seconds() / 60


@dataclass(frozen=True)
class TicketSla:
    """What :func:`evaluate_ticket` found for one ticket."""

    ticket: str
    first_response: SlaClock | None
    resolution: SlaClock | None
    contract_id: int | None = None
    contract_number: str | None = None
    tier: str | None = None
    coverage: str | None = None
    pauses: tuple[Interval, ...] = ()
    reason: str | None = None
    changed: tuple[str, ...] = ()
    newly_breached: tuple[str, ...] = ()
    clocks: tuple[SlaClock, ...] = field(default=())

    @property
    def breached(self) -> bool:
        return any(c.breached for c in self.clocks)


# --------------------------------------------------------------------------- pure


def _norm_status(s: str) -> str:
    return " ".join(str(s).split()).casefold()


def _parse_at(value: Any) -> datetime:
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, str):
        try:
            return utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        except ValueError:
            pass
    raise ValueError(f"status history time {value!r} is not an ISO timestamp")


def pauses_from_history(history: Iterable[dict[str, Any]] | None,
                        pause_statuses: Iterable[str] | None = DEFAULT_PAUSE_STATUSES,
                        until: datetime | None = None) -> list[Interval]:
    """The ``(start, end)`` intervals the ticket sat in a pause status, in time order.

    ``history`` is ``[{"at": ISO or datetime, "status": "..."}]`` in any order (sorted
    by time here; a naive time is read as UTC). A pause starts at the first entry with
    a pause status and ends at the next entry with a non-pause status; moving between
    two pause statuses continues the same pause. Entries at or after ``until`` are
    ignored and an open pause ends at ``until`` (required when a pause is still open).
    An entry without ``at`` or ``status`` is an error naming it.
    """
    paused_set = {_norm_status(s) for s in (pause_statuses or ())}
    end = utc(until) if until is not None else None
    entries: list[tuple[datetime, str]] = []
    for e in history or ():
        if not isinstance(e, dict) or "at" not in e or "status" not in e:
            raise ValueError(f"status history entry {e!r} needs 'at' and 'status'")
        entries.append((_parse_at(e["at"]), _norm_status(e["status"])))
    entries.sort(key=lambda x: x[0])
    out: list[Interval] = []
    start: datetime | None = None
    for at, status in entries:
        if end is not None and at >= end:
            break
        if status in paused_set:
            if start is None:
                start = at
        elif start is not None:
            if at > start:
                out.append((start, at))
            start = None
    if start is not None:
        if end is None:
            raise ValueError("the ticket is still paused: pass `until` to close the pause")
        if end > start:
            out.append((start, end))
    return out


def _merge(pauses: Sequence[Interval], lo: datetime, hi: datetime) -> list[Interval]:
    clipped = sorted((max(utc(a), lo), min(utc(b), hi)) for a, b in pauses)
    merged: list[Interval] = []
    for a, b in clipped:
        if a >= b:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def due_time(cov: Coverage, start: datetime, target: timedelta,
             pauses: Sequence[Interval], until: datetime) -> datetime:
    """Earliest instant at which covered time since ``start``, less pauses, reaches ``target``.

    Pauses are clipped to ``[start, until)``; only those starting before that
    instant push it (see the module rules).
    """
    cursor, remaining = utc(start), target
    for p0, p1 in _merge(pauses, cursor, max(utc(until), cursor)):
        work = covered_elapsed(cov, cursor, p0)
        if remaining <= work:
            break
        remaining -= work
        cursor = p1
    return add_covered_time(cov, cursor, remaining)


def _stop_of(ticket: Any, measure: Measure) -> datetime | None:
    if measure == "resolution":
        return utc(ticket.resolved_at) if ticket.resolved_at else None
    stops = [utc(t) for t in (ticket.first_response_at, ticket.resolved_at) if t]
    return min(stops) if stops else None


def clocks_for(ticket: Any, target: SeverityTarget | Contract, coverage: Coverage | None,
               now: datetime, pause_statuses: Iterable[str] | None = DEFAULT_PAUSE_STATUSES,
               at_risk: float = DEFAULT_AT_RISK) -> tuple[SlaClock, SlaClock]:
    """``(first_response, resolution)`` clocks of ``ticket`` measured at ``now``.

    ``target`` is the entitlement's :class:`~core.entitlement.SeverityTarget` for the
    ticket's severity (then ``coverage`` is required: a SeverityTarget does not carry
    the holiday calendar) or a :class:`~core.models.Contract` (targets from its SLA plan
    or tier defaults; ``coverage`` defaults to the contract's). ``ticket`` needs
    ``created_at``, ``first_response_at``, ``resolved_at``, ``status_history``,
    ``severity`` (and optionally ``key``). Pure: nothing is read or written.
    """
    if not 0 < at_risk <= 1:
        raise ValueError(f"at_risk must be in (0, 1], got {at_risk}")
    if isinstance(target, SeverityTarget):
        if coverage is None:
            raise TypeError("clocks_for needs the coverage when given a SeverityTarget")
        minutes = {"first_response": target.first_response_minutes,
                   "resolution": target.resolution_minutes}
        number: str | None = target.contract
    else:
        t = targets_of(target).get(ticket.severity)
        if t is None:
            raise NoTarget(f"contract {target.number} sets no {ticket.severity} target")
        minutes = {"first_response": t[0], "resolution": t[1]}
        number = target.number
        coverage = coverage or coverage_of(target)
    now, created = utc(now), utc(ticket.created_at)
    history = ticket.status_history or []
    clocks = []
    for measure in MEASURES:
        stop = _stop_of(ticket, measure)
        if stop is not None and stop > now:
            stop = None  # not stopped yet as of `now`
        end = max(stop or now, created)
        pauses = pauses_from_history(history, pause_statuses, until=end)
        elapsed = covered_elapsed(coverage, created, end, pauses)
        paused = covered_elapsed(coverage, created, end) - elapsed
        tgt = timedelta(minutes=minutes[measure])
        if elapsed > tgt:
            state: State = "breached"
        elif stop is not None:
            state = "met"
        elif elapsed >= tgt * at_risk:
            state = "at_risk"
        else:
            state = "running"
        clocks.append(SlaClock(
            ticket=getattr(ticket, "key", None), measure=measure, severity=ticket.severity,
            target_minutes=minutes[measure], started=created, stopped=stop, measured_until=end,
            elapsed=elapsed, paused=paused, due=due_time(coverage, created, tgt, pauses, end),
            state=state, contract=number, coverage=coverage))
    return clocks[0], clocks[1]


def coverage_label(cov: Coverage) -> str:
    """What the ticket shows: ``24x7`` or ``business_hours America/New_York (US)``."""
    if cov.kind == "24x7":
        return "24x7"
    text = f"business_hours {cov.timezone}"
    if cov.holiday_country:
        cal = cov.holiday_country + (f"-{cov.holiday_subdiv}" if cov.holiday_subdiv else "")
        text += f" ({cal})"
    return text[:64]


# --------------------------------------------------------------------------- store


def _pick_contract(session: Session, ticket: Ticket) -> tuple[Contract | None, str | None, str]:
    """(contract, tier to show, reason when none)."""
    if ticket.contract_id is not None:
        c = session.get(Contract, ticket.contract_id)
        if c is None:  # pragma: no cover - the foreign key prevents it
            return None, None, f"ticket {ticket.key}: contract {ticket.contract_id} not found"
        return c, c.tier, ""
    if ticket.customer_id is None:
        return None, None, f"ticket {ticket.key} has no customer: no entitlement"
    customer = session.get(Customer, ticket.customer_id)
    assert customer is not None
    ent = resolve(session, customer, ticket.created_at)
    if not ent.entitled:
        return None, None, ent.reasons[0] if ent.reasons else "no entitlement"
    t = ent.targets.get(ticket.severity)
    if t is None:
        return None, ent.tier, (f"no contract of {customer.name} sets a {ticket.severity} "
                                "target")
    c = session.scalar(select(Contract).where(Contract.number == t.contract))
    return c, ent.tier, ""


def audited_breaches(session: Session, ticket_key: str) -> set[str]:
    """Measures for which ``sla.breached`` was already audited on this ticket."""
    payloads = session.scalars(select(AuditEvent.payload).where(
        AuditEvent.action == BREACH_ACTION, AuditEvent.entity == "ticket",
        AuditEvent.entity_id == ticket_key)).all()
    return {p.get("measure") for p in payloads if isinstance(p, dict)}


def evaluate_ticket(session: Session, ticket: Ticket, now: datetime,
                    pause_statuses: Iterable[str] | None = DEFAULT_PAUSE_STATUSES,
                    at_risk: float = DEFAULT_AT_RISK) -> TicketSla:
    """Compute the ticket's clocks and bring its derived fields up to date.

    The contract: ``ticket.contract_id`` when set, otherwise the contract that wins the
    ticket's severity in the entitlement at ``ticket.created_at`` (and ``contract_id``
    is then recorded on the ticket). Fields are assigned only when they differ, so an
    unchanged ticket stays clean (no outbox row). A ticket without entitlement gets no
    clocks, its derived fields cleared and the reason. Each newly breached measure is
    audited once (``sla.breached``, entity ``ticket``, id = ticket key). Runs in the
    caller's transaction; nothing is committed here.
    """
    now = utc(now)
    contract, tier, why = _pick_contract(session, ticket)
    clocks: tuple[SlaClock, ...] = ()
    pauses: tuple[Interval, ...] = ()
    if contract is not None:
        cov = coverage_of(contract)
        try:
            clocks = clocks_for(ticket, contract, cov, now, pause_statuses, at_risk)
        except NoTarget as exc:
            why = str(exc)
        except ValueError as exc:  # a malformed status history: say which ticket
            raise ValueError(f"ticket {ticket.key}: {exc}") from exc
        else:
            end = clocks[1].measured_until
            pauses = tuple(_merge(pauses_from_history(ticket.status_history, pause_statuses,
                                                      until=end), clocks[1].started, end))
    if clocks:
        assert contract is not None
        wanted: dict[str, Any] = {
            "contract_id": contract.id, "contract_number": contract.number,
            "entitlement_tier": tier, "coverage": coverage_label(clocks[0].coverage),
            "first_response_due": clocks[0].due, "resolution_due": clocks[1].due,
            "breached": any(c.breached for c in clocks)}
    else:
        # the flag a support agent sees on the ticket: never a guessed entitlement
        wanted = {"contract_number": None, "entitlement_tier": None, "coverage": NO_ENTITLEMENT,
                  "first_response_due": None, "resolution_due": None, "breached": False}
    changed = []
    for name, value in wanted.items():
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)
            changed.append(name)
    newly: list[str] = []
    breached = [c for c in clocks if c.breached]
    if breached:
        done = audited_breaches(session, ticket.key)
        for c in breached:
            if c.measure in done:
                continue
            audit.append(session, at=now, actor=session.info.get("actor", "system"),
                         action=BREACH_ACTION, entity="ticket", entity_id=ticket.key,
                         payload={"measure": c.measure, "severity": c.severity,
                                  "target_min": c.target_minutes,
                                  "elapsed_min": round(c.elapsed_minutes, 2),
                                  "breached_at": c.due, "contract": c.contract})
            newly.append(c.measure)
    return TicketSla(
        ticket=ticket.key, first_response=clocks[0] if clocks else None,
        resolution=clocks[1] if clocks else None,
        contract_id=contract.id if clocks and contract else None,
        contract_number=contract.number if clocks and contract else None,
        tier=tier if clocks else None,
        coverage=wanted["coverage"], pauses=pauses, reason=None if clocks else why,
        changed=tuple(changed), newly_breached=tuple(newly), clocks=clocks)
