"""Inbound mapping: a CRM / marketing-automation tool posts its own payload shape to
`POST /api/inbound/{source}`; `inbound.<source>` of app.yaml maps it to the lead JSON of
`POST /api/leads` (dotted paths, constants, transforms), so no middleman is needed. Where the sender
signs its requests the signature is verified here (secret from the environment).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.config_sections.integrations import FieldMap, InboundSource, Signature

HUBSPOT_MAX_AGE_MS = 5 * 60 * 1000


class MappingError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def get_path(obj: Any, path: str) -> Any:
    """`a.b.0.c` into dicts and lists; None where it leads nowhere."""
    for part in path.split("."):
        if isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        elif isinstance(obj, dict):
            obj = obj.get(part)
        else:
            return None
    return obj


def _put(dst: dict[str, Any], path: str, value: Any) -> None:
    """Set `activities.0.type` style targets: a digit makes (or grows) a list."""
    parts = path.split(".")
    cur: Any = dst
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt: Any = value if last else ([] if parts[i + 1].isdigit() else {})
        if isinstance(cur, list):
            n = int(part)
            while len(cur) <= n:
                cur.append([] if not last and parts[i + 1].isdigit() else {})
            if last:
                cur[n] = value
            cur = cur[n]
        else:
            if last:
                cur[part] = value
            else:
                cur = cur.setdefault(part, nxt)


def _transform(value: Any, name: str) -> Any:
    if name in ("strip", "lower", "upper"):
        return getattr(value, name)() if isinstance(value, str) else value
    if name == "int":
        return int(float(value)) if isinstance(value, str) else int(value)
    if name == "float":
        return float(value)
    if name == "str":
        return str(value)
    if name == "epoch_ms":
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC).isoformat()
    if name == "bool":
        return value.strip().lower() in ("true", "1", "yes", "y") if isinstance(value, str) else bool(value)
    raise ValueError(name)


def _value(spec: FieldMap, record: Any) -> Any:
    value = spec.const if spec.path is None else get_path(record, spec.path)
    if value is None or value == "":
        return spec.default
    for name in spec.transform:
        value = _transform(value, name)
    return value


def map_record(source: InboundSource, record: Any) -> dict[str, Any]:
    """One sender record → the native lead JSON; MappingError names the target field that failed."""
    out: dict[str, Any] = {}
    for target, spec in source.fields.items():
        try:
            value = _value(spec, record)
        except (TypeError, ValueError, OverflowError):
            raise MappingError(target, f"cannot apply {spec.transform} to the value at '{spec.path}'") from None
        if value is not None:
            _put(out, target, value)
    return out


def records(source: InboundSource, body: Any) -> list[Any] | None:
    """The sender's records: at `items`, or the body itself (one object or a list). None: no list there."""
    found = get_path(body, source.items) if source.items else body
    if isinstance(found, dict):
        return [found]
    return found if isinstance(found, list) else None


def verify(sig: Signature, env: Mapping[str, str], headers: Mapping[str, str], body: bytes, *, method: str, url: str, now: datetime) -> bool:
    secret = env.get(sig.secret_env)
    if not secret:
        return False  # not configured: nothing unsigned gets in
    key = secret.encode()
    if sig.scheme == "hubspot_v3":
        # HubSpot: base64(HMAC-SHA256(client secret, method + URI + body + timestamp)), timestamp in ms.
        given, ts = headers.get("X-HubSpot-Signature-v3", ""), headers.get("X-HubSpot-Request-Timestamp", "")
        try:
            if abs(now.timestamp() * 1000 - int(ts)) > HUBSPOT_MAX_AGE_MS:
                return False
        except ValueError:
            return False
        expected = base64.b64encode(hmac.new(key, method.encode() + url.encode() + body + ts.encode(), hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, given)
    given = headers.get(sig.header, "").strip().removeprefix("sha256=")
    digest = hmac.new(key, body, hashlib.sha256).digest()
    expected = digest.hex() if sig.encoding == "hex" else base64.b64encode(digest).decode()
    return hmac.compare_digest(expected, given)
