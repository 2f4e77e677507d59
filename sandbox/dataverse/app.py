"""The Dataverse emulator's WSGI app: routes, bearer tokens, service protection, headers.

Everything lives under ``/api/data/v9.x/``:

    GET                WhoAmI                              the caller's ids
    GET                EntityDefinitions(LogicalName='t')  table metadata ($select ignored)
    GET                EntityDefinitions(LogicalName='t')/{Attributes,Keys,
                                                      ManyToOneRelationships}
    GET                .../Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata
                                                      (choice values, ``$expand=OptionSet``)
    GET, POST          {entityset}                         query / create
    GET, PATCH, DELETE {entityset}(<guid> | key='value')   read / upsert / delete

Every request needs ``Authorization: Bearer <token>`` that ``validate(header,
org_url)`` accepts (the identity emulator's ``validate``, or the built-in
issuer); otherwise 401 with ``WWW-Authenticate``. Then it spends one request
of the caller's service-protection window (429 + Retry-After past it). Every
answer carries ``OData-Version: 4.0``; errors are ``{"error": {"code",
"message"}}``. ``POST $batch`` runs several requests in one call (``batch``).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.dataverse import batch, query, writes
from sandbox.dataverse.errors import NOT_FOUND, THROTTLED, DataverseError, no_resource
from sandbox.dataverse.limits import ServiceProtection
from sandbox.dataverse.schema import Table, attribute_metadata, option_set
from sandbox.dataverse.store import Store

log = logging.getLogger(__name__)
JSON_TYPE = "application/json; odata.metadata=minimal"
_ENTITY = re.compile(r"^(?P<set>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<key>.*)\))?$")
_DEFINITION = re.compile(r"^EntityDefinitions\(LogicalName='(?P<name>[^']*)'\)"
                         r"(?:/(?P<part>Attributes(?:/Microsoft\.Dynamics\.CRM\."
                         r"PicklistAttributeMetadata)?|Keys|ManyToOneRelationships))?$")
Validator = Callable[[str | None, str], str | None]


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    headers = {"OData-Version": "4.0", **(headers or {})}
    if status == 204 or body is None:
        return Response(status=status, headers=headers)
    return Response(json.dumps(body), status=status, content_type=JSON_TYPE, headers=headers)


class DataverseApp:
    def __init__(self, store: Store, validate: Callable[[], Validator],
                 limits: ServiceProtection) -> None:
        self.store, self.validate, self.limits = store, validate, limits
        self.organization_id = str(uuid.uuid4())
        self.user_ids: dict[str, str] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except DataverseError as exc:
            response = _json(exc.status, exc.body(), exc.headers)
        except Exception:  # an emulator bug still answers in Dataverse's shape
            log.exception("dataverse emulator failed on %s %s", request.method, request.path)
            response = _json(500, {"error": {"code": "0x80040216",
                                             "message": "An unexpected error occurred."}})
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        m = re.match(r"^/api/data/(?P<version>v9\.[0-2])/(?P<rest>.*)$", request.path)
        if m is None:
            raise no_resource(request.path)
        org_url = request.host_url.rstrip("/")
        subject = self.validate()(request.headers.get("Authorization"), org_url)
        if subject is None:
            return _json(401, None, {"WWW-Authenticate": 'Bearer authorization_uri='
                                     '"https://login.microsoftonline.com/common/oauth2/'
                                     'authorize", resource_id="' + org_url + '"'})
        wait = self.limits.spend(subject)
        if wait is not None:
            error = DataverseError(429, THROTTLED, f"Number of requests exceeded the limit of "
                                   f"{self.limits.limit} over time window of "
                                   f"{int(self.limits.window.total_seconds())} seconds.",
                                   {"Retry-After": str(int(wait))})
            return _json(429, error.body(), {**error.headers, **self.limits.headers(subject)})
        root = f"{request.host_url}api/data/{m.group('version')}/"
        if m.group("rest") == "$batch" and request.method == "POST":
            with self.store.lock:
                content_type, body = batch.run(
                    request, f"/api/data/{m.group('version')}/",
                    lambda inner, rest: self.route(inner, rest, root, subject))
            return Response(body, status=200, content_type=content_type,
                            headers={"OData-Version": "4.0", **self.limits.headers(subject)})
        with self.store.lock:
            try:
                status, answer = self.route(request, m.group("rest"), root, subject)
            except DataverseError as exc:
                exc.headers.update(self.limits.headers(subject))
                raise
        return _json(status, answer.body if status != 204 else None,
                     {**answer.headers, **self.limits.headers(subject)})

    def route(self, request: Request, rest: str, root: str, subject: str
              ) -> tuple[int, query.Answer]:
        if rest.rstrip("()") == "WhoAmI" and request.method == "GET":
            user = self.user_ids.setdefault(subject, str(uuid.uuid4()))
            return 200, query.Answer({
                "@odata.context": f"{root}$metadata#Microsoft.Dynamics.CRM."
                                  "WhoAmIResponse", "BusinessUnitId": self.organization_id,
                "UserId": user, "OrganizationId": self.organization_id}, {})
        definition = _DEFINITION.match(rest)
        if definition is not None and request.method == "GET":
            return 200, self.metadata(definition.group("name"), definition.group("part"), root)
        entity = _ENTITY.match(rest)
        table = self.store.by_set(entity.group("set")) if entity else None
        if entity is None or table is None:
            raise no_resource(rest.split("(")[0])
        key = entity.group("key")
        args = request.args.to_dict()
        prefer = request.headers.get("Prefer", "")
        if key is None:
            if request.method == "GET":
                return 200, query.read_set(self.store, table, args, prefer, root)
            if request.method == "POST":
                return writes.create(self.store, table, writes.read_payload(request.get_data()),
                                     prefer, args.get("$select"), root)
        elif request.method == "GET":
            return 200, writes.get_row(self.store, table, key, args.get("$select"), root)
        elif request.method == "PATCH":
            return writes.upsert(self.store, table, key, writes.read_payload(request.get_data()),
                                 request.headers, prefer, args.get("$select"), root)
        elif request.method == "DELETE":
            writes.delete(self.store, table, key, request.headers)
            return 204, query.Answer({}, {})
        raise DataverseError(405, "0x80060888", f"The HTTP method '{request.method}' is not "
                                                "allowed for this resource.")

    def metadata(self, logical_name: str, part: str | None, root: str) -> query.Answer:
        table: Table | None = self.store.tables.get(logical_name)
        if table is None:
            raise DataverseError(404, NOT_FOUND, f"Could not find entity with name "
                                                 f"'{logical_name}'.")
        context = f"{root}$metadata#EntityDefinitions('{logical_name}')"
        if part is None:
            return query.Answer({"@odata.context": context, "LogicalName": table.logical_name,
                                 "EntitySetName": table.entity_set,
                                 "PrimaryIdAttribute": table.primary_id,
                                 "PrimaryNameAttribute": table.primary_name,
                                 "ChangeTrackingEnabled": True}, {})
        if part == "Attributes":
            value = [attribute_metadata(table, c) for c in table.columns.values()]
        elif part.endswith("PicklistAttributeMetadata"):  # ?$expand=OptionSet
            value = [{"LogicalName": c.name, "OptionSet": option_set(c)}
                     for c in table.columns.values() if c.type == "Picklist"]
        elif part == "Keys":
            value = [{"LogicalName": name, "KeyAttributes": list(cols),
                      "EntityKeyIndexStatus": "Active"} for name, cols in table.keys.items()]
        else:
            value = [{"ReferencingAttribute": c.name, "ReferencedEntity": target,
                      "ReferencingEntityNavigationPropertyName": c.nav,
                      "ReferencedAttribute": self.store.tables[target].primary_id}
                     for c in table.columns.values() if c.type == "Lookup"
                     for target in c.targets if target in self.store.tables]
        return query.Answer({"@odata.context": f"{context}/{part}", "value": value}, {})
