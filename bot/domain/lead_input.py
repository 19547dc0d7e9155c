"""The lead as it comes in and as rules read it: the input models of the API and CSV import, field
validation and its errors (shared by accounts and opportunities intake), and the flat record that
config rules (scoring, routing, SLA) match against."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import select

from bot.context import UnitOfWork
from bot.models import Lead

LEAD_FIELDS = (
    "external_id", "email", "name", "company", "title", "phone", "industry",
    "employees", "country", "region", "source", "campaign",
)  # fmt: skip
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Record ids are BIGINT; a larger number names no record and must not reach the driver (OverflowError
# on SQLite, DataError on PostgreSQL). References kept in INTEGER columns (a deal's account_id,
# source_lead_id) are bounded by MAX_REF.
MAX_ID = 2**63 - 1
MAX_REF = 2**31 - 1


def record_id(value: Any) -> int | None:
    """An id from outside (a path, a body) as a database id, or None when no record can have it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not (value.isascii() and value.isdecimal()) or len(value) > 19:
            return None
        value = int(value)
    return value if isinstance(value, int) and 1 <= value <= MAX_ID else None


# C0 and C1 control characters except tab, newline and carriage return (notes may hold lines): NUL
# breaks PostgreSQL text, the others break Slack cards and terminals.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_ACTIVITIES = 1000  # activities in one lead or one request
MAX_ATTRIBUTES = 50  # extra keys kept on a lead (or an activity)
MAX_ATTRIBUTES_JSON = 16_384  # characters of a lead's extra attributes as JSON
MAX_ACTIVITY_DATA_JSON = 4_096


def _strings(value: Any) -> list[str]:
    """Every key and string inside a JSON value, without recursion."""
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            out += [str(k) for k in v]
            stack += v.values()
        elif isinstance(v, list):
            stack += v
    return out


def extra_problem(extra: dict[str, Any], max_json: int) -> str | None:
    """Why extra attributes cannot be stored (too many, too large, control characters), or None."""
    if len(extra) > MAX_ATTRIBUTES:
        return f"at most {MAX_ATTRIBUTES} extra attributes"
    if any(CONTROL.search(t) for t in _strings(extra)):
        return "an extra attribute contains a control character"
    if len(json.dumps(extra, ensure_ascii=False, default=str)) > max_json:
        return f"extra attributes larger than {max_json} characters as JSON"
    return None


class CleanInput(BaseModel):
    """Input models refuse text with control characters in any field (422 naming it)."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_control(cls, v: Any) -> Any:
        if isinstance(v, str) and (m := CONTROL.search(v)):
            raise ValueError(f"contains a control character (U+{ord(m.group()):04X})")
        return v


class ActivityIn(CleanInput):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    type: str = Field(min_length=1, max_length=100)
    at: datetime | None = None

    @model_validator(mode="after")
    def _extra(self) -> ActivityIn:
        if problem := extra_problem(dict(self.model_extra or {}), MAX_ACTIVITY_DATA_JSON):
            raise ValueError(problem)
        return self


def business_time(v: Any) -> Any:
    """An API's `occurred_at`: an ISO datetime with a zone, or a day. Parsed in one place, so a bad
    value is one error on the field (not one per member of the union); bounds: `events.check_occurred`."""
    if v is None or isinstance(v, (datetime, date)):
        return v
    text = v.strip() if isinstance(v, str) else ""
    try:
        return date.fromisoformat(text) if _DAY.match(text) else datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not an ISO 8601 datetime with a zone (2026-04-01T10:00:00+09:00) or a day (2026-04-01)") from None


class LeadIn(CleanInput):
    """The lead JSON of the public API (documented in docs/api.md). Unknown fields become attributes."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    external_id: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    name: str | None = Field(None, max_length=200)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    company: str | None = Field(None, max_length=300)
    title: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=50)
    industry: str | None = Field(None, max_length=100)
    employees: int | None = Field(None, ge=0, le=10_000_000)
    country: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=100)
    source: str | None = Field(None, max_length=100)
    campaign: str | None = Field(None, max_length=200)
    activities: list[ActivityIn] = Field(default_factory=list, max_length=MAX_ACTIVITIES)
    mql: bool = False
    # When the lead came in (and became an MQL, if this request makes it one) in the business: an
    # ISO datetime with a zone, or a day (`YYYY-MM-DD`: the start of that day in the company zone,
    # today = now). Bounded by `events.check_occurred`; default now.
    occurred_at: datetime | date | None = None

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _day(cls, v: Any) -> Any:
        return business_time(v)

    @field_validator("external_id", mode="before")
    @classmethod
    def _id_as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not _EMAIL.match(v):
            raise ValueError("not an email address")
        return v.lower()

    @model_validator(mode="after")
    def _identity(self) -> LeadIn:
        if not self.external_id and not self.email:
            raise ValueError("a lead needs external_id or email")
        if problem := extra_problem(self.attributes(), MAX_ATTRIBUTES_JSON):
            raise ValueError(problem)
        if not self.name and (self.first_name or self.last_name):
            # Japanese order (family name first) reads naturally in both locales' cards.
            self.name = " ".join(p for p in (self.last_name, self.first_name) if p)
        return self

    def attributes(self) -> dict[str, Any]:
        extra = dict(self.model_extra or {})
        return {k: v for k, v in extra.items() if _json_safe(v)}


def _json_safe(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool, list, dict))


@dataclass
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "error": self.message}


def validation_errors(exc: ValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(lead)"
        out.append(FieldError(loc, err["msg"].removeprefix("Value error, ")))
    return out


# A record named in an API path: digits are Baton's id, `ext:<id>` (or anything not all digits) is the
# id the sending system gave it. A CRM whose ids are numbers writes `ext:12345`.
EXTERNAL_PREFIX = "ext:"


def parse_ref(ref: str) -> tuple[int | None, str | None]:
    """`"12"` → (12, None); `"ext:12"` / `"SF-1"` → (None, "12" / "SF-1"); (None, None) for nothing usable."""
    ref = (ref or "").strip()
    if ref.startswith(EXTERNAL_PREFIX):
        ext = ref[len(EXTERNAL_PREFIX) :].strip()
        return None, (ext if 0 < len(ext) <= 200 else None)
    if ref.isascii() and ref.isdecimal():
        return record_id(ref), None  # out of any id's range: nothing
    return None, (ref if 0 < len(ref) <= 200 else None)


async def find_by_ref(uow: UnitOfWork, model: Any, ref: str) -> Any:
    """The lead / deal / account `ref` names (see `parse_ref`), or None."""
    baton_id, external_id = parse_ref(ref)
    if baton_id is not None:
        return await uow.session.get(model, baton_id)
    if external_id is None:
        return None
    return await uow.session.scalar(select(model).where(model.external_id == external_id).order_by(model.id).limit(1))


def parse_lead(raw: Any) -> LeadIn | list[FieldError]:
    if not isinstance(raw, dict):
        return [FieldError("(lead)", "must be a JSON object")]
    try:
        return LeadIn.model_validate(raw)
    except ValidationError as e:
        return validation_errors(e)


def lead_record(lead: Lead, activity_types: list[str] | None = None) -> dict[str, Any]:
    """The flat view of a lead that config rules (scoring, routing, SLA) match against."""
    record = dict(lead.attributes or {})
    record.update({name: getattr(lead, name) for name in LEAD_FIELDS})
    record["stage"] = lead.stage
    record["score"] = lead.score
    record["activity"] = activity_types or []
    return record
