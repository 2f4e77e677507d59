"""A loaded mapping: frozen values, nothing that can change after loading.

``Mapping`` is what the engine runs; ``FieldMap`` one line of its ``fields``;
``Transform`` one allow-listed function with its arguments. Arguments are
deep-frozen (mappings become read-only views, lists tuples), so a transform
cannot be changed by the code that calls it.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from core.mapping.conversions import TransformError
from core.mapping.problems import FieldPath
from core.mapping.transforms import TRANSFORMS, MappingContext, TransformKind
from core.mapping.yamlsource import locate

Direction = Literal["in", "out", "both"]
Policy = Literal["store_wins", "remote_wins", "newest_wins", "manual"]
Deletes = Literal["ignore", "flag", "propagate"]

DIRECTIONS: tuple[str, ...] = ("in", "out", "both")
POLICIES: tuple[str, ...] = ("store_wins", "remote_wins", "newest_wins", "manual")
DELETES: tuple[str, ...] = ("ignore", "flag", "propagate")
ENTITIES: tuple[str, ...] = ("customer", "contract", "ticket", "document")


def freeze(value: Any) -> Any:
    """A read-only deep copy: dicts -> ``MappingProxyType``, lists -> tuples."""
    if isinstance(value, MappingABC):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


@dataclass(frozen=True)
class Transform:
    """One allow-listed transform and its arguments (``None`` when it takes none).

    ``path`` is where it sits in the file, e.g. ``('fields', 3, 'transform', 0)``.
    """

    name: str
    args: Any = field(default=None, hash=False)
    path: FieldPath = field(default=(), compare=False)

    @property
    def kind(self) -> TransformKind:
        return TRANSFORMS[self.name]

    def to_remote(self, value: Any, record: MappingABC[str, Any],
                  ctx: MappingContext | None = None) -> Any:
        return self.kind.to_remote(value, self.args, record, ctx)

    def to_local(self, value: Any, record: MappingABC[str, Any],
                 ctx: MappingContext | None = None) -> Any:
        convert = self.kind.to_local
        if convert is None:
            raise TransformError(f"the {self.name} transform works outbound only")
        return convert(value, self.args, record, ctx)


@dataclass(frozen=True)
class FieldMap:
    """One entry of ``fields``: a local field <-> a remote field, in a direction.

    ``local`` is ``None`` only for outbound fields fed by ``constant`` or
    ``template``. ``remote`` is the name as written (an id, or a unique label
    until ``resolve_mapping`` replaces it by the id).
    """

    local: str | None
    remote: str
    direction: Direction = "both"
    conflict: Policy | None = None
    transforms: tuple[Transform, ...] = ()
    line: int = 0
    index: int = field(default=0, compare=False)

    @property
    def inbound(self) -> bool:
        return self.direction in ("in", "both")

    @property
    def outbound(self) -> bool:
        return self.direction in ("out", "both")

    @property
    def label(self) -> str:
        """How errors name this field: the local name, else the remote one."""
        return self.local or self.remote


@dataclass(frozen=True)
class Mapping:
    """One sync: (connection, remote object) <-> local entity, field by field."""

    name: str
    connection: str
    remote_object: str
    local_entity: str
    upsert_key: str | None
    match_local: str | None
    match_remote: str | None
    conflict_policy: Policy
    deletes: Deletes
    fields: tuple[FieldMap, ...]
    path: str
    version: int = 1
    locations: MappingABC[FieldPath, tuple[int, int, int, int]] = field(
        default_factory=dict, compare=False, repr=False)
    """(value line, value column, key line, key column) of every node, by path."""

    def inbound_fields(self) -> tuple[FieldMap, ...]:
        return tuple(f for f in self.fields if f.inbound)

    def outbound_fields(self) -> tuple[FieldMap, ...]:
        return tuple(f for f in self.fields if f.outbound)

    def policy_for(self, local_field: str) -> str:
        """The conflict policy for ``local_field``: its own override, else the mapping's."""
        for f in self.fields:
            if f.local == local_field and f.conflict:
                return f.conflict
        return self.conflict_policy

    def remote_fields(self) -> tuple[str, ...]:
        """Remote fields to read: inbound targets, the match field and the upsert key."""
        names = [f.remote for f in self.inbound_fields()]
        names += [n for n in (self.match_remote, self.upsert_key) if n]
        return tuple(dict.fromkeys(names))

    def where(self, path: FieldPath, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the node at ``path`` (its key with ``key=True``)."""
        return locate(self.locations, path, key=key)
