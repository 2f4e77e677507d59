"""A stateful, in-memory Dataverse (Dynamics 365) Web API emulator served over HTTPS.

See ``DataverseEmulator`` for the entry point.
"""

from sandbox.dataverse.emulator import API_VERSION, DataverseEmulator
from sandbox.dataverse.errors import DataverseError
from sandbox.dataverse.schema import Column

__all__ = ["API_VERSION", "Column", "DataverseEmulator", "DataverseError"]
