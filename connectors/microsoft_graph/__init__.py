"""OneDrive for Business / SharePoint: archive copies of executed contracts (the storage
protocol) through Microsoft Graph, with msal client credentials.

Connection settings (``contracthub.yaml``; the secret only as ``${ENV}``)::

    connections:
      sharepoint:
        type: microsoft_graph
        auth:
          tenant_id: contoso.onmicrosoft.com            # or the tenant GUID
          client_id: 11111111-2222-3333-4444-555555555555
          client_secret: ${GRAPH_CLIENT_SECRET}
          authority_host: https://login.microsoftonline.com   # default
        site: {hostname: contoso.sharepoint.com, path: /sites/contracts, library: Documents}
        # or: drive_id: b!xxxx (a OneDrive or library drive id) instead of site
        root_folder: ContractHub Archive                 # folder path in the library
        graph_url: https://graph.microsoft.com/v1.0     # default; the sandbox gives its own
        ca_bundle: certs/proxy-ca.pem                    # optional
        timeout: 60
        upload_fragment_bytes: 3276800                   # multiple of 320 KiB
        session_above_bytes: 4194304                     # small PUT up to here, session above

The library needs two columns (Single line of text, indexed: ``ContractHubDocument``;
Multiple lines of text: ``ContractHubProperties``); the app needs ``Sites.Selected``
with a write grant on the site. Every call runs under the hub's retry policy.
"""

from connectors.microsoft_graph.connector import GraphConnector, factory

__all__ = ["GraphConnector", "factory"]
