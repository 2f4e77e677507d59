"""Run a mapping over one record, in either direction.

Both functions are pure: they read the values given and return a new dict.
A field absent from the input is left out of the output (a partial read or
write must not clear it); ``None`` passes through as ``None`` without
running the transforms, except for ``constant`` and ``template`` fields,
which make their value themselves. A value that cannot be converted raises
``FieldValueError`` naming the field and the value, so the engine can
dead-letter the record.

Remote names are used as written in the mapping: run ``resolve_mapping``
first when the mapping names remote fields by label.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from typing import Any

from core.mapping.conversions import TransformError
from core.mapping.model import FieldMap, Mapping
from core.mapping.problems import FieldValueError
from core.mapping.transforms import MappingContext


def to_local(mapping: Mapping, remote_fields: MappingABC[str, Any],
             ctx: MappingContext | None = None) -> dict[str, Any]:
    """Local values from one remote record's fields (``in`` and ``both`` fields)."""
    out: dict[str, Any] = {}
    for f in mapping.inbound_fields():
        if f.local is None or f.remote not in remote_fields:
            continue
        value = remote_fields[f.remote]
        try:
            for t in reversed(f.transforms):
                if value is None:
                    break
                value = t.to_local(value, remote_fields, ctx)
        except TransformError as exc:
            raise _error(f, remote_fields[f.remote], exc) from None
        out[f.local] = value
    return out


def to_remote(mapping: Mapping, local_values: MappingABC[str, Any],
              ctx: MappingContext | None = None) -> dict[str, Any]:
    """Remote field values from one local record (``out`` and ``both`` fields)."""
    out: dict[str, Any] = {}
    for f in mapping.outbound_fields():
        makes_own = bool(f.transforms) and f.transforms[0].kind.is_source
        if not makes_own and (f.local is None or f.local not in local_values):
            continue
        original = local_values.get(f.local) if f.local else None
        value = original
        try:
            for t in f.transforms:
                if value is None and not t.kind.is_source:
                    break
                value = t.to_remote(value, local_values, ctx)
        except TransformError as exc:
            raise _error(f, original, exc) from None
        out[f.remote] = value
    return out


def _error(f: FieldMap, value: Any, exc: TransformError) -> FieldValueError:
    return FieldValueError(f.label, value, str(exc))
