"""A stateful, in-memory Salesforce REST API emulator served over HTTPS.

See ``SalesforceEmulator`` for the entry point.
"""

from sandbox.salesforce.emulator import SalesforceEmulator
from sandbox.salesforce.errors import ApiError, RecordError
from sandbox.salesforce.soql import SoqlError

__all__ = ["ApiError", "RecordError", "SalesforceEmulator", "SoqlError"]
