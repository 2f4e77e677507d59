"""Jira's error shapes and the sentences Jira answers with.

A refused request answers ``{"errorMessages": [...], "errors": {field: message}}``
with an HTTP status (the shape every Jira client reads). Sentences marked
"Jira's" are the vendor's own wording, as recorded from Jira Cloud / Data
Center; the others are the emulator's where no recording was available.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

# Jira's own sentences -------------------------------------------------------
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
AUTH_REQUIRED = "Client must be authenticated to access this resource."
SEARCH_GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/"
    "#CHANGE-2046"
)
INVALID_PAYLOAD = "Invalid request payload. Refer to the REST API documentation and try again."
UNBOUNDED_JQL = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
SUMMARY_REQUIRED = "You must specify a summary of the issue."
SUMMARY_NEWLINE = "The summary is invalid because it contains newline characters."
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
COMMENT_NOT_VALID = "Comment body is not valid!"
# the emulator's wording (no recording of Jira's) ------------------------------
RATE_LIMITED = "Rate limit exceeded."
BAD_PAGE_TOKEN = "The provided next page token is invalid or does not belong to this query."


def not_on_screen(field: str) -> str:
    """Jira's answer for a field an edit or create cannot set (or does not know)."""
    return f"Field '{field}' cannot be set. It is not on the appropriate screen, or unknown."


class JiraError(Exception):
    """An error answering the whole request in Jira's shape."""

    def __init__(self, status: int, messages: list[str] | None = None,
                 errors: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.messages = list(messages or [])
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        super().__init__(f"{status}: {'; '.join(self.messages + list(self.errors.values()))}")

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


def issue_not_found() -> JiraError:
    return JiraError(404, [ISSUE_NOT_FOUND])


def bad_request(message: str) -> JiraError:
    return JiraError(400, [message])


def field_errors(errors: dict[str, str]) -> JiraError:
    return JiraError(400, [], errors)


def default_fault_body(status: int) -> dict[str, Any]:
    """Body of an injected fault without an explicit one: Jira's error shape."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    if status == 429:
        phrase = RATE_LIMITED
    return {"errorMessages": [phrase], "errors": {}}
