"""The sync engine: pull -> map -> reconcile -> push, crash-safe and echo-free."""
