"""Local, wire-compatible emulators of the external APIs the hub talks to.

- ``sandbox.tls``: one throwaway CA per process; ``ca_bundle_path()``.
- ``sandbox.server``: ``EmulatorServer(app, name)`` serves a WSGI app over
  HTTPS on 127.0.0.1 (ephemeral port) in a background thread.
- ``sandbox.faults``: ``FaultRule``/``FaultyApp`` fault injection and the
  per-endpoint call log every emulator keeps.
- ``sandbox.salesforce``: ``SalesforceEmulator``, the Salesforce REST API.
- ``sandbox.fixtures``: pytest fixtures (``salesforce_sandbox`` ...).

Nothing here reaches the network beyond 127.0.0.1.
"""
