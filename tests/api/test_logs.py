"""`credo serve --log-format json`: one JSON object per line, no exception message."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from credo.api.logs import JsonFormatter, log_config
from credo.cli import app


def _record(exc_info: Any = None) -> logging.LogRecord:
    return logging.LogRecord(
        "credo.ledger.sequencer", logging.WARNING, __file__, 1, "group of %d failed", (3,), exc_info
    )


def test_a_json_line_has_time_level_logger_and_message() -> None:
    line = json.loads(JsonFormatter().format(_record()))
    assert line["level"] == "warning"
    assert line["logger"] == "credo.ledger.sequencer"
    assert line["message"] == "group of 3 failed"
    assert line["time"].endswith("Z")


def test_a_json_line_keeps_an_exceptions_type_and_stack_but_not_its_message() -> None:
    """A library's exception message may echo the input (a national id in a body)."""
    try:
        raise ValueError("national id TH-1103700012345 is malformed")
    except ValueError:
        import sys

        record = _record(exc_info=sys.exc_info())
    text = JsonFormatter().format(record)
    line = json.loads(text)
    assert line["exception"] == "ValueError"
    assert line["stack"]
    assert "TH-1103700012345" not in text


def test_serve_takes_log_format_json(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: got.update(kw))
    result = CliRunner().invoke(
        app, ["serve", "--data", str(data_dir), "--processes", "1", "--log-format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert got["log_config"] == log_config("json")
    bad = CliRunner().invoke(app, ["serve", "--data", str(data_dir), "--log-format", "xml"])
    assert bad.exit_code == 2
