"""Progress goes to a terminal's stderr only: never on a pipe, never with --json, never on stdout."""

from __future__ import annotations

import io
import time
from pathlib import Path

from click.testing import CliRunner

from lossdoc import progress
from lossdoc.cli import app


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_and_not_with_json() -> None:
    assert progress.wanted(_Tty(), quiet=False)
    assert not progress.wanted(_Tty(), quiet=True)  # --json
    assert not progress.wanted(io.StringIO(), quiet=False)  # a pipe or a file


def test_big_input_shows_a_spinner_at_once_small_one_only_after_a_while(tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "run.log"
    log.write_text("iter 0: loss 3.0, time 1.0ms, mfu 1.00%\n")
    tty = _Tty()
    with progress.working(log, stream=tty):
        pass  # quick and small: nothing drawn
    assert tty.getvalue() == ""
    monkeypatch.setattr(progress, "PROGRESS_MIN_BYTES", 1)
    tty = _Tty()
    with progress.working(log, stream=tty):
        time.sleep(0.3)
    assert "reading run.log" in tty.getvalue()


def test_cli_prints_no_progress_on_a_pipe(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(progress, "PROGRESS_MIN_BYTES", 1)
    log = tmp_path / "run.log"
    log.write_text("iter 0: loss 3.0, time 1.0ms, mfu 1.00%\niter 1: loss 2.9, time 1.0ms, mfu 1.00%\n")
    result = CliRunner().invoke(app, ["show", str(log)])
    assert result.exit_code == 0
    assert "reading" not in result.output
