"""Jira (Cloud or Data Center): support tickets in, entitlements out, over the ``jira`` library.

Connection settings (``contracthub.yaml``; secrets only as ``${ENV}``
references -- they never appear in a log line or an error message)::

    connections:
      jira:
        type: jira
        url: https://example.atlassian.net        # Data Center: https://jira.example.com
        auth: {email: ${JIRA_EMAIL}, api_token: ${JIRA_API_TOKEN}}   # Cloud
        # auth: {pat: ${JIRA_PAT}}                 # Data Center personal access token
        projects: [SUP]                           # every search is restricted to these
        customer_rule: {field: Organization}      # a field's value names the customer
        # customer_rule: {project_customers: {SUPACME: "Acme Corp"}}  # a project per customer
        # customer_rule: {reporter_domain: true}  # the reporter's email domain
        ca_bundle: certs/proxy-ca.pem             # optional, relative to the config folder
        timeout: 30                               # seconds, every request
        lag_minutes: 2                            # overlap window for late-indexed edits
        page_size: 100                            # issues per search page
        severity_field: Severity                  # the field behind `severity` (id or name)
        first_response_field: First Response At   # optional; else the first comment by
                                                  # someone other than the reporter
        contract_url: https://hub.example.com/contracts/{number}  # for contract_link
        notify_users: false                       # edits send no notifications (Jira
                                                  # wants admin rights for that on Cloud)

The customer is never guessed: the connector reports the rule's raw value
(``customer``) and the mapping's ``find`` transform names the local
customer, or none. The remote object is ``issue``; see ``fields`` for the
synthetic fields, ``connector`` for reading and deletions, ``writes`` for
edits and the contract link, ``api`` for the status table.
"""

from connectors.jira.connector import JiraConnector
from connectors.jira.settings import JiraSettings, parse_settings

__all__ = ["JiraConnector", "JiraSettings", "parse_settings"]
