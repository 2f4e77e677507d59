"""An index for the Salesforce emulator's external-id matches, for runs at 100k records.

Salesforce indexes external-id fields; the emulator (sandbox.salesforce.store)
answers ``match_external`` by scanning every record, which makes an upsert of N
records cost O(N^2) in the emulator and swamps what the bench measures (the
engine). ``index_external_ids`` gives one emulator an index kept by its own
writes. The index only ever grows (a value a record no longer has stays in it),
so each candidate is checked against the record before it is answered: the
answers are exactly the scan's, in creation order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _key(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def index_external_ids(store: Any) -> None:
    scan, create, update = store.match_external, store.create_record, store.update_record
    index: dict[tuple[str, str], dict[Any, list[str]]] = {}

    def note(obj_name: str, record: Mapping[str, Any]) -> None:
        for (obj, field), values in index.items():
            if obj == obj_name and record.get(field) is not None:
                ids = values.setdefault(_key(record[field]), [])
                if record["Id"] not in ids:
                    ids.append(record["Id"])

    def match_external(obj_name: str, field_name: str, value: Any) -> list[str]:
        obj = store.object(obj_name)
        fdef = obj.field(field_name) if obj is not None else None
        if fdef is None or fdef.type == "id":
            return scan(obj_name, field_name, value)  # type: ignore[no-any-return]
        table = store._tables[obj.name]  # noqa: SLF001 -- the emulator's own records
        key = (obj.name, fdef.name)
        if key not in index:
            index[key] = {}
            for r in table.values():
                note(obj.name, r)
        wanted = _key(value)
        found = [i for i in index[key].get(wanted, ()) if (r := table.get(i)) is not None
                 and not r["IsDeleted"] and r[fdef.name] is not None
                 and _key(r[fdef.name]) == wanted]
        if len(found) > 1:  # creation order, as the scan answers
            position = {i: n for n, i in enumerate(table)}
            found.sort(key=position.__getitem__)
        return found

    def create_record(obj: Any, given: Mapping[str, Any], honour_system: bool = False) -> str:
        record_id = create(obj, given, honour_system)
        note(obj.name, store._tables[obj.name][record_id])  # noqa: SLF001
        return str(record_id)

    def update_record(obj: Any, record_id: str, given: Mapping[str, Any],
                      touch: bool = True) -> None:
        update(obj, record_id, given, touch)
        record = store.raw(obj.name, record_id)
        if record is not None:
            note(obj.name, record)

    store.match_external, store.create_record, store.update_record = (
        match_external, create_record, update_record)
