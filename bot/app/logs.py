"""Logging for `socialdesk run`, `demo` and `check`: LOG_LEVEL, and LOG_FORMAT=json for a log collector.

Records name what they are about with `extra=`: `conversation` (its number), `source` (its name) and
`outbox_key`; these become JSON fields, or `key=value` after a text line. Text a customer wrote goes
only in `customer_text`, only at DEBUG: at any other level the handler drops it, so a log kept at
INFO never holds what customers wrote.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

FIELDS = ("conversation", "source", "outbox_key")
CUSTOMER_TEXT = "customer_text"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")


def _fields(record: logging.LogRecord) -> dict:
    names = (*FIELDS, CUSTOMER_TEXT) if record.levelno <= logging.DEBUG else FIELDS
    return {name: getattr(record, name) for name in names if getattr(record, name, None) is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the fields that are set, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage(), **_fields(record)}
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value …`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record)
        fields = " ".join(f"{name}={value!r}" if name == CUSTOMER_TEXT else f"{name}={value}"
                          for name, value in _fields(record).items())
        return f"{line} {fields}" if fields else line


def setup_logging(level: str, log_format: str) -> None:
    """Send every logger's records at `level` and above to standard error, as text or JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
