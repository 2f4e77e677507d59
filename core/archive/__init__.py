"""The archive: executed documents copied to storage connections and kept there.

- ``mapping``: the archive mapping file (where, which kinds, how long), checked.
- ``paths``: path templates rendered with names safe for every file system.
- ``engine``: ``archive_cycle`` -- upload what is missing, then read the changes.
- ``guard``: a copy trashed, deleted, renamed, moved or altered within its
  retention is restored from the blob store, audited and reported.
- ``retention`` / ``purge``: what is past retention, and its explicit removal.
- ``job``: an archive mapping runs as a sync (CLI and daemon).
- ``models``: archive_copies, archive_incidents, archive_purged_documents.

Storage connectors are reached only through ``connectors.storage``.
"""
