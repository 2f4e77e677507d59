"""The Drive client: google-api-python-client over our own httplib2, every call retried
by the hub's policy.

``build('drive', 'v3', static_discovery=True, ...)`` needs no network for
discovery. The transport is ``httplib2.Http(ca_certs=..., timeout=...)`` built
here (``HTTPLIB2_CA_CERTS`` is read once at import and ``build_http()`` takes
no CA), with 308 removed from the redirect codes as ``build_http()`` does, so
resumable uploads see their 308s. The library's own retries stay off
(``num_retries=0``): ``call_with_retry`` decides, honouring Retry-After
through the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import httplib2
from google.oauth2 import service_account
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build

from connectors.base import CallCounter, ConfigError
from connectors.google_drive.errors import from_exception
from connectors.google_drive.settings import DriveSettings
from core.retry import RetryPolicy, call_with_retry

log = logging.getLogger(__name__)
SCOPES = ["https://www.googleapis.com/auth/drive.file"]
T = TypeVar("T")


def make_http(settings: DriveSettings) -> httplib2.Http:
    http = httplib2.Http(ca_certs=settings.ca_bundle, timeout=settings.timeout)
    http.redirect_codes = http.redirect_codes - {308}
    return http


def load_credentials(settings: DriveSettings) -> service_account.Credentials:
    try:
        return service_account.Credentials.from_service_account_file(
            str(settings.key_file), scopes=SCOPES)
    except (ValueError, KeyError, OSError) as exc:
        raise ConfigError(f"connection {settings.name!r}: key_file {settings.key_file} is not a "
                          f"service-account JSON key ({exc.__class__.__name__})") from None


class DriveClient:
    """One authorised Drive service; ``run`` executes a request under the retry policy."""

    def __init__(self, settings: DriveSettings, *, sleep: Callable[[float], None],
                 policy: RetryPolicy | None = None) -> None:
        creds = load_credentials(settings)
        self.http = AuthorizedHttp(creds, http=make_http(settings))
        self.service = build("drive", "v3", http=self.http, static_discovery=True,
                             cache_discovery=False,
                             client_options={"api_endpoint": settings.drive_endpoint})
        # built once: each files() call re-creates every method from the discovery document
        self.files = self.service.files()
        self.changes = self.service.changes()
        self.sleep = sleep
        self.policy = policy or RetryPolicy()
        self.calls = CallCounter()

    def run(self, what: str, make: Callable[[], Any]) -> Any:
        """Build the request with ``make()`` and execute it, retried as the policy says."""
        return self.retry(what, lambda: make().execute(num_retries=0))

    def retry(self, what: str, attempt: Callable[[], T]) -> T:
        def once() -> T:
            self.calls.add(what)
            try:
                return attempt()
            except Exception as exc:  # noqa: BLE001 - mapped to the taxonomy or re-raised
                raise from_exception(exc, what) from None

        def waiting(seconds: float, exc: BaseException) -> None:
            log.info("Google Drive %s: waiting %.1fs (%s)", what, seconds, exc)

        return call_with_retry(once, policy=self.policy, sleep=self.sleep, on_wait=waiting)
