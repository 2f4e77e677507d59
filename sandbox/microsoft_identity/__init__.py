"""A Microsoft identity platform (v2.0) emulator: discovery and client credentials.

See ``IdentityEmulator``; other emulators validate bearer tokens through it.
"""

from sandbox.microsoft_identity.emulator import IdentityEmulator
from sandbox.microsoft_identity.tokens import GRAPH_RESOURCE, AppRegistration, TokenRegistry

__all__ = ["GRAPH_RESOURCE", "AppRegistration", "IdentityEmulator", "TokenRegistry"]
