"""Google Drive: archive copies of executed contracts (the storage protocol).

Connection settings (``contracthub.yaml``)::

    connections:
      drive:
        type: google_drive
        key_file: keys/drive-service-account.json   # relative to the config folder
        root_folder: ContractHub Archive             # a folder name (created) or a folder id
        api_endpoint: https://www.googleapis.com/    # default; the sandbox gives its own
        ca_bundle: certs/proxy-ca.pem                # optional
        timeout: 60                                  # seconds per request
        upload_chunk_bytes: 8388608                  # resumable chunk, a multiple of 256 KiB
        resumable_above_bytes: 5242880               # multipart up to here, resumable above

The service account needs only the ``drive.file`` scope: the hub sees the
files it created. Every call runs under the hub's retry policy
(``core.retry``), honouring Retry-After on 429 and 403 rate-limit answers.
"""

from connectors.google_drive.connector import GoogleDriveConnector, factory

__all__ = ["GoogleDriveConnector", "factory"]
