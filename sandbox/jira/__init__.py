"""A stateful, in-memory Jira REST API emulator (Cloud or Data Center) served over HTTPS.

See ``JiraEmulator`` for the entry point and ``sandbox.jira.client`` for a real
``jira.JIRA`` client that trusts the sandbox CA.
"""

from sandbox.jira.emulator import JiraEmulator
from sandbox.jira.errors import JiraError
from sandbox.jira.jql import JqlError
from sandbox.jira.schema import DEFAULT_CUSTOM_FIELDS, FieldDef

__all__ = ["DEFAULT_CUSTOM_FIELDS", "FieldDef", "JiraEmulator", "JiraError", "JqlError"]
