"""Representative values for every template, one module per template (`<name>.py`):

    KIND = "message" | "view"
    SAMPLES = [ {...values...}, ... ]   # each rendered in ja and en and checked against Slack's limits

Objects the templates read as attributes are plain `SimpleNamespace`s: a template depends on the
values it is given, never on the database."""

from types import SimpleNamespace
from typing import Any

from bot.config_sections.integrations import RecordLinks

# app.yaml `links` for the samples that show a record's CRM link (an ampersand and a query, to be escaped).
LINKS = RecordLinks(
    lead="https://crm.example.com/leads/{external_id}",
    opportunity="https://crm.example.com/deals/{external_id}?view=full&tab=1",
    account="https://crm.example.com/accounts/{id}",
)


def with_external_id(record: Any, external_id: str = "SF-00Q <1>") -> SimpleNamespace:
    """A sample record as the CRM knows it (an id with a space and <>, percent-encoded in the link)."""
    return SimpleNamespace(**{**vars(record), "external_id": external_id})
