"""`webhooks:` (Baton tells a CRM / MA tool what happened) and `inbound:` (a CRM / MA tool posts its
own payload shape, mapped to Baton's lead fields) — issue 16. Secrets are named by environment
variable (`secret_env`), never written here.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import quote

from pydantic import Field, ValidationInfo, field_validator, model_validator

from bot.config_checks import suggest
from bot.config_sections.base import Issue, Section, problem

# What a webhook can subscribe to (payloads in docs/api.md, "Outbound webhooks").
WEBHOOK_EVENTS = ("stage.changed", "deal.updated", "account.updated", "forecast.submitted")
TRANSFORMS = ("strip", "lower", "upper", "int", "float", "str", "bool", "epoch_ms")
ENV = r"^[A-Z][A-Z0-9_]*$"


class Webhook(Section):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$", description="Stable id of the endpoint (in failure views and lanes).", examples=["crm"])
    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=2000, description="Where events are POSTed (http or https); redirects are not followed.", examples=["https://crm.example.com/hooks/baton"])
    events: list[str] = Field(min_length=1, description=f"Event types to send: {', '.join(WEBHOOK_EVENTS)}, or * for all.", examples=["[stage.changed, deal.updated]"])
    secret_env: str = Field(pattern=ENV, description="Environment variable holding the HMAC-SHA256 signing secret.", examples=["BATON_WEBHOOK_CRM_SECRET"])
    timeout_seconds: float = Field(10, gt=0, le=30, description="One attempt gives up after this long (then retried with backoff).", examples=["10"])
    max_attempts: int = Field(20, ge=1, le=50, description="Attempts before a delivery is set aside as failed (list and replay under /api/admin/webhooks).", examples=["20"])
    enabled: bool = Field(True, description="false: nothing new is queued for this endpoint.", examples=["false"])

    @model_validator(mode="after")
    def _known_events(self) -> Webhook:
        unknown = [e for e in self.events if e != "*" and e not in WEBHOOK_EVENTS]
        if unknown:
            known = ", ".join((*WEBHOOK_EVENTS, "*"))
            raise problem("unknown_event", f"webhook '{self.id}': unknown event {unknown} (known: {known})", value=unknown[0], known=known, hint=suggest(unknown[0], WEBHOOK_EVENTS))
        return self

    def wants(self, event_type: str) -> bool:
        return self.enabled and ("*" in self.events or event_type in self.events)


class FieldMap(Section):
    path: str | None = Field(None, max_length=200, description="Dotted path into the sender's JSON (list items by index: items.0.id).", examples=["properties.email"])
    const: Any = Field(None, description="A constant value instead of a path.", examples=["hubspot"])
    transform: list[Literal["strip", "lower", "upper", "int", "float", "str", "bool", "epoch_ms"]] = Field(
        [], description="Applied in order: strip, lower, upper, int, float, str, bool, epoch_ms (milliseconds since 1970 → ISO time).", examples=["[strip, lower]"]
    )
    default: Any = Field(None, description="Used when the path is missing or empty.", examples=["unknown"])

    @model_validator(mode="after")
    def _one_source(self) -> FieldMap:
        if (self.path is None) == (self.const is None):
            raise problem("path_or_const", "a field mapping needs exactly one of 'path' or 'const'")
        return self


class Signature(Section):
    scheme: Literal["hmac_sha256", "hubspot_v3"] = Field(
        "hmac_sha256",
        description="hmac_sha256: HMAC of the raw body in `header` (hex or base64, optional sha256= prefix); hubspot_v3: HubSpot's v3 signature (method + URL + body + timestamp, 5 minutes).", examples=["hubspot_v3"],
    )
    secret_env: str = Field(pattern=ENV, description="Environment variable holding the sender's signing secret.", examples=["HUBSPOT_CLIENT_SECRET"])
    header: str = Field("X-Signature", max_length=100, description="Request header carrying the signature (hmac_sha256).", examples=["X-Signature"])
    encoding: Literal["hex", "base64"] = Field("hex", description="How the hmac_sha256 signature is written.", examples=["base64"])


class InboundSource(Section):
    items: str | None = Field(None, max_length=200, description="Dotted path to the list of records in the payload; empty: the payload is one record, or a list of records.", examples=["results"])
    fields: dict[str, FieldMap] = Field(min_length=1, description="Baton lead field (as in POST /api/leads) → where its value comes from.", examples=["{external_id: {path: id}, email: {path: properties.email, transform: [strip, lower]}}"])
    signature: Signature | None = Field(None, description="Verify the sender's signature instead of the bearer token.", examples=["{scheme: hubspot_v3, secret_env: HUBSPOT_CLIENT_SECRET}"])

    @model_validator(mode="after")
    def _identity(self) -> InboundSource:
        if not {"external_id", "email"} & set(self.fields):
            raise problem("inbound_identity", "an inbound mapping needs 'external_id' or 'email' among its fields")
        return self


def inbound_problems(section: dict[str, InboundSource], config: Any) -> list[Issue]:
    return [Issue(name, "id_format", {"value": name}, "a source name is lower-case letters, digits, - or _") for name in section if not re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", name)]


def problems(section: list[Webhook], config: Any) -> list[Issue]:
    ids = [w.id for w in section]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    return [Issue("", "duplicate_id", {"ids": ", ".join(dupes)}, f"duplicate webhook id {dupes}")] if dupes else []


# -- links: each record's page in the CRM, on every card, DM and App Home entry -------------------------------
LINK_FIELDS = {"lead": ("id", "external_id"), "opportunity": ("id", "external_id"), "account": ("id", "external_id")}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class RecordLinks(Section):
    lead: str | None = Field(None, max_length=1000, description="URL of a lead in the CRM, e.g. https://crm.example.com/leads/{external_id} (placeholders {id}, {external_id}; http or https).", examples=["https://crm.example.com/leads/{external_id}"])
    opportunity: str | None = Field(None, max_length=1000, description="URL of a deal in the CRM (placeholders {id}, {external_id}).", examples=["https://crm.example.com/deals/{external_id}"])
    account: str | None = Field(None, max_length=1000, description="URL of a customer account in the CRM (placeholders {id}, {external_id}).", examples=["https://crm.example.com/accounts/{id}"])

    @field_validator("lead", "opportunity", "account")
    @classmethod
    def _pattern(cls, pattern: str | None, info: ValidationInfo) -> str | None:
        if pattern is None:
            return None
        if not re.fullmatch(r"https?://[^\s<>|\"`]+", pattern):
            raise problem("link_url", f"a link is an http:// or https:// URL without spaces or <>|\"` ({pattern!r})", value=pattern)
        names = _PLACEHOLDER.findall(pattern)
        unknown = [n for n in names if n not in LINK_FIELDS[info.field_name]]
        rest = _PLACEHOLDER.sub("", pattern)
        if unknown or "{" in rest or "}" in rest:
            raise problem("link_placeholder", f"unknown placeholder {unknown or pattern!r} (known: (id), (external_id))", value=", ".join(unknown) or pattern)
        if not names:
            raise problem("link_no_record", "the link names no record (use (id) or (external_id))")
        return pattern

    def url(self, kind: str, record: Any) -> str | None:
        """The record's URL, or None (no pattern for its kind, or the record lacks the value named).
        Values are percent-encoded, so an external id cannot break out of the path or a Slack link."""
        pattern = getattr(self, kind, None) if kind in LINK_FIELDS else None
        if not pattern or record is None:
            return None
        values = {}
        for name in _PLACEHOLDER.findall(pattern):
            value = record.get(name) if isinstance(record, dict) else getattr(record, name, None)
            if value is None or value == "":
                return None
            values[name] = quote(str(value), safe="")
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], pattern)
