"""A Microsoft Graph emulator for OneDrive for Business / SharePoint drives.

See ``GraphEmulator``; tokens come from ``sandbox.microsoft_identity``.
"""

from sandbox.microsoft_graph.emulator import GraphEmulator
from sandbox.microsoft_graph.store import DEFAULT_COLUMNS

__all__ = ["DEFAULT_COLUMNS", "GraphEmulator"]
