"""Dynamics 365: accounts and support contracts in two-way sync, over the Dataverse Web API.

Connection settings (``contracthub.yaml``; the secret only as a ``${ENV}``
reference -- it is never logged and never appears in an error message)::

    connections:
      dynamics:
        type: dynamics
        org_url: https://contoso.crm.dynamics.com   # the environment; the token scope is
                                                    # {org_url}/.default
        api_version: "9.2"                          # default
        auth:                                       # an app registration that is an
          tenant_id: contoso.onmicrosoft.com        # application user in the environment
          client_id: 11111111-1111-1111-1111-111111111111
          client_secret: ${DYNAMICS_CLIENT_SECRET}
          authority_host: https://login.microsoftonline.com   # default
        ca_bundle: certs/proxy-ca.pem               # optional, relative to the config folder
        timeout: 30                                 # seconds, every request
        page_size: 1000                             # rows a page (Prefer: odata.maxpagesize)
        budget_share: 0.8                           # pace calls once 80% of the
        request_limit: 6000                         # service-protection window is used
        proxy: http://proxy.internal:3128           # optional; the environment is ignored

Mappings name a table by its logical name (``account``,
``chub_supportcontract``) and a column by its name in a row (a lookup
``chub_accountid`` is ``_chub_accountid_value``); ``upsert_key`` is a column
of an alternate key that holds the store's id (``chub_contracthubid``).

Modules: ``api`` (token, headers, pacing, call counts), ``errors`` (answers ->
connector errors), ``metadata`` (describe), ``cursor`` (delta links),
``writes`` (alternate-key upserts with etags, 200 a ``$batch``), ``batch`` (the
``$batch`` wire format), ``connector`` (the protocol).
"""

from connectors.dynamics.connector import DynamicsConnector
from connectors.dynamics.settings import DynamicsSettings, parse_settings

__all__ = ["DynamicsConnector", "DynamicsSettings", "parse_settings"]
