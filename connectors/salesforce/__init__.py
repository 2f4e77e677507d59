"""Salesforce: Accounts and Contracts in two-way sync, over simple-salesforce.

Connection settings (``contracthub.yaml``; secrets only as ``${ENV}``
references -- they are never logged and never appear in an error message)::

    connections:
      salesforce:
        type: salesforce
        login_url: https://login.salesforce.com   # default; test.salesforce.com, My Domain...
        instance_url: https://acme.my.salesforce.com  # optional: else the token answer's
        api_version: "60.0"                       # pinned (the library's default moves)
        ca_bundle: certs/proxy-ca.pem             # optional, relative to the config folder
        timeout: 30                               # seconds, every request
        budget_share: 0.8                         # StopSync once api-usage reaches 80%
                                                  # of the org's daily limit
        lag_seconds: 60                           # overlap window for late commits
        page_size: 2000                           # records per page (and query batchSize,
                                                  # which Salesforce keeps within 200..2000)
        proxy: http://proxy.internal:3128         # optional; the environment is ignored
        auth:                                     # one of:
          method: client_credentials
          client_id: ${SALESFORCE_CLIENT_ID}
          client_secret: ${SALESFORCE_CLIENT_SECRET}
        # auth: {method: jwt, client_id: ..., username: integration@acme.example,
        #        private_key_file: keys/salesforce.pem}      # or private_key: ${PEM}
        # auth: {method: refresh_token, client_id: ..., client_secret: ...,
        #        refresh_token: ${SALESFORCE_REFRESH_TOKEN},
        #        token_store: state/sf-token.json}  # rotated refresh tokens land here

Behaviour, module by module:

- ``auth``: the token comes from ``{login_url}/services/oauth2/token``
  (client credentials, JWT bearer, or a rotating refresh token stored
  atomically); a rejected token is refreshed once, single-flight.
- ``client``: every call checks the daily budget first (``Sforce-Limit-Info``),
  counts itself in ``calls``, and maps failures to the connector errors:
  429/503 ``RateLimited`` with Retry-After, 5xx/timeouts ``RetryLater``, 403
  ``REQUEST_LIMIT_EXCEEDED`` ``StopSync``. Retrying is the engine's job (one
  tenacity policy, ``core.retry``); the connector itself never sleeps.
- ``cursor`` / ``connector``: reads by ``(SystemModstamp, Id)`` with an overlap
  window, following ``nextRecordsUrl``; deletions from ``getDeleted`` since
  the last check. When ``getDeleted`` refuses the window as too old
  (``INVALID_REPLICATION_DATE``, past the 15-day recycle bin) nothing is
  guessed: the cursor moves on (noting ``del_gap``) and those deletions are
  found by the engine's periodic full id sweep (``sweep_ids``), which is
  due anyway after such a gap.
- ``writes``: sObject Collections, 200 records a call, upsert on the
  external-id field; per-record failures come back as ``RecordError`` (the
  engine dead-letters them), several matches as ``MULTIPLE_MATCHES`` with
  the candidate ids.
"""

from connectors.salesforce.connector import SalesforceConnector
from connectors.salesforce.settings import SalesforceSettings, parse_settings

__all__ = ["SalesforceConnector", "SalesforceSettings", "parse_settings"]
