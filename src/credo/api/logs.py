"""How `credo serve` logs: plain lines (the default) or one JSON object per line
(``--log-format json`` / ``CREDO_LOG_FORMAT=json``), for a log collector.

credo's own messages never carry a national id or a payload (they name codes, counts and
positions). Exception messages can come from libraries and echo input, so a JSON line holds
the exception's type and its stack frames (file, line, function), never its message.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from typing import Any, Literal

LogFormat = Literal["text", "json"]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
            line["stack"] = [
                f"{f.filename}:{f.lineno} in {f.name}"
                for f in traceback.extract_tb(record.exc_info[2])
            ]
        return json.dumps(line, ensure_ascii=False)


def log_config(log_format: LogFormat) -> dict[str, Any]:
    """A `logging.config.dictConfig` for uvicorn and credo: warnings and above to stderr."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "credo", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"credo": formatter},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.access": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "credo": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }
