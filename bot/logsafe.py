"""No personal data in logs: e-mail addresses and phone numbers are masked in every log record."""

from __future__ import annotations

import logging
import re

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<!\d)(?:\+?\d{1,3}[-\s]?)?(?:\(?\d{2,4}\)?[-\s]?)\d{2,4}[-\s]?\d{3,4}(?!\d)")


def mask(text: str) -> str:
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _PHONE.sub(lambda m: m.group(0)[:2] + "*" * max(0, len(m.group(0)) - 4) + m.group(0)[-2:], text)


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is rather than dropped
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_BODY = re.compile(r"\bbody: .*", re.DOTALL)


class NoRequestBodies(logging.Filter):
    """Slack Bolt logs a rejected request (bad signature, stale timestamp) with its whole body at
    INFO; a body carries people's names and messages, so it is cut from the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - logged as it is rather than dropped
            return True
        if "body: " in message:
            record.msg, record.args = _BODY.sub("body: (withheld)", message), None
        return True


def bolt_logger() -> logging.Logger:
    """The logger Baton gives Slack Bolt: request bodies never reach a log line."""
    logger = logging.getLogger("baton.slack")
    if not any(isinstance(f, NoRequestBodies) for f in logger.filters):
        logger.addFilter(NoRequestBodies())
    return logger


def install() -> None:
    """Attach the filter to every handler of the root logger (call after logging is configured)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskPersonalData) for f in handler.filters):
            handler.addFilter(MaskPersonalData())
