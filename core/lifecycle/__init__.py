"""The contract lifecycle: roles, templates, approvals, bulk send (part A);
signing, certificates, reminders, renewals and retention (part B).

Importing the package registers the approvals' before-flush listener (an edit
to a contract under approval restarts its approvals) and the bulk send's
approved-contract hook (queued contracts go out for signature) in every
process that touches the lifecycle.
"""

from core.lifecycle import approvals as _approvals  # noqa: E402,F401
from core.lifecycle import bulk as _bulk  # noqa: E402,F401
