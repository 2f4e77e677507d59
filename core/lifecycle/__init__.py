"""The contract lifecycle: roles, templates, approvals, bulk send (part A);
signing, certificates, reminders, renewals and retention (part B)."""
