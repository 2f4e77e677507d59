"""The three-way merge of one record, field by field (pure).

For each inbound field, compare the local value and the remote value with
the base -- the last value both sides agreed on -- to tell who changed it:

    remote changed, local not  -> take the remote value
    local changed, remote not  -> keep local (the push sends it)
    both changed to one value  -> agreed
    both changed, differently  -> a conflict, decided by the field's policy:
        store_wins   keep local, push it
        remote_wins  take remote
        newest_wins  the side modified last (ties keep the store's value)
        manual       change nothing, hold the conflict for a person

With no base yet (a record paired on first sync) an empty side never
conflicts: the side with a value wins. Fields mapped ``in`` only take the
remote value whenever the remote changed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from core.sync.local import norm

MISSING = object()
Outcome = Literal["local", "remote", "pending"]


@dataclass(frozen=True)
class FieldConflict:
    field: str
    base: Any
    local: Any
    remote: Any
    policy: str
    outcome: Outcome


@dataclass
class MergeResult:
    take: dict[str, Any] = field(default_factory=dict)
    """Fields to set locally, with the remote's (local-form) value."""
    base: dict[str, Any] = field(default_factory=dict)
    """The new agreed values (normalised) for fields that now agree."""
    conflicts: list[FieldConflict] = field(default_factory=list)
    push: bool = False
    """Some field kept a local value the remote does not have."""


def merge(base: dict[str, Any], local: dict[str, Any], remote: dict[str, Any],
          policies: dict[str, str], directions: dict[str, str], *,
          local_newer: bool | None = None, pending: frozenset[str] = frozenset()) -> MergeResult:
    out = MergeResult(base=dict(base))
    for f, r_val in remote.items():
        r, l_ = norm(r_val), norm(local.get(f))
        b = base.get(f, MISSING)
        if f in pending:
            continue
        if r == l_:
            out.base[f] = r
            continue
        remote_changed = b is MISSING or r != b
        local_changed = b is MISSING or l_ != b
        if directions.get(f) == "in":
            if remote_changed:
                out.take[f] = r_val
                out.base[f] = r
            continue
        if b is MISSING and (l_ is None or r is None):
            if l_ is None:
                out.take[f], out.base[f] = r_val, r
            else:
                out.push = True
            continue
        if remote_changed and not local_changed:
            out.take[f], out.base[f] = r_val, r
        elif local_changed and not remote_changed:
            out.push = True
        else:
            policy = policies.get(f, "store_wins")
            outcome = _decide(policy, local_newer)
            out.conflicts.append(FieldConflict(f, None if b is MISSING else b, l_, r, policy,
                                               outcome))
            if outcome == "remote":
                out.take[f], out.base[f] = r_val, r
            elif outcome == "local":
                out.push = True
    return out


def _decide(policy: str, local_newer: bool | None) -> Outcome:
    if policy == "remote_wins":
        return "remote"
    if policy == "manual":
        return "pending"
    if policy == "newest_wins" and local_newer is False:
        return "remote"
    return "local"
