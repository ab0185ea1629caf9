"""Read once, from anything: stdin, pipes, FIFOs, compressed files, UTF-16 and BOM, Latin-1 bytes, binary refused.

Every corpus file read through stdin and through gzip gives the same counts as the plain file (through the
library with a stdin shim; one real subprocess pipes a file through `python -m lossdoc show -` and another
through /dev/stdin, as `<(cat f)` would).
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from lossdoc import InputError, load
from lossdoc.parsers import detect

from .conftest import CORPUS, ROOT, corpus_file

NANO = (
    "step 0: train loss 4.2874, val loss 4.2823\n"
    "iter 0: loss 4.2654, time 29678.32ms, mfu -100.00%\n"
    "iter 1: loss 3.9711, time 62.10ms, mfu -100.00%\n"
    "iter 2: loss 3.8000, time 61.90ms, mfu 12.34%\n"
)


def counts(runs: list[Any]) -> list[tuple[Any, ...]]:
    """What must not depend on how the bytes arrived: per run, every series' length and the line accounting."""
    out = []
    for run in runs:
        series = {f"{s}/{m}": int(n) for (s, m), n in run.df.groupby(["split", "metric"], observed=True).size().items()}
        lines = run.meta.get("lines", {})
        out.append((sorted(series.items()), lines.get("total"), lines.get("used"), lines.get("unparsed")))
    return out


class _Stdin:
    """sys.stdin stand-in holding bytes (what a pipe into `lossdoc show -` gives)."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)

    def isatty(self) -> bool:
        return False


def load_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> list[Any]:
    monkeypatch.setattr(sys, "stdin", _Stdin(data))
    return load("-")


def _corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return ["(corpus absent)"]
    return sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md")


@pytest.mark.parametrize("relative", _corpus_files())
def test_every_corpus_file_through_stdin_and_gzip_gives_the_same_counts(
    relative: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = corpus_file(relative)
    data = path.read_bytes()
    gz = tmp_path / (path.name + ".gz")
    gz.write_bytes(gzip.compress(data, compresslevel=1))
    try:
        plain = load(path)
    except InputError as exc:  # a file refused (the W&B runs table) is refused the same way every way
        for other in (lambda: load_stdin(monkeypatch, data), lambda: load(gz)):
            with pytest.raises(InputError) as err:
                other()
            assert str(err.value).split(": ", 1)[1] == str(exc).split(": ", 1)[1]
        return
    expected = counts(plain)
    assert counts(load_stdin(monkeypatch, data)) == expected
    from_gz = load(gz)
    assert counts(from_gz) == expected
    assert [r.name for r in from_gz] == [r.name for r in plain]  # run.log.gz is named as run.log
    assert from_gz[0].meta["compression"] == "gzip" and from_gz[0].meta["source"] == str(gz)


def _cli(args: list[str], data: bytes) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "lossdoc", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )


def test_cli_reads_a_real_pipe_on_dash_and_dev_stdin() -> None:
    """`cat f | lossdoc show - --json` and `lossdoc show /dev/stdin` (what `<(cat f)` is) read every point."""
    path = corpus_file("llmc/mng-llmc-gpt2-124M-8xH100.log")
    data = path.read_bytes()
    procs = [_cli(["show", "-", "--json"], data), _cli(["show", "/dev/stdin", "--json"], gzip.compress(data, 1))]
    outs = [p.communicate(payload) for p, payload in zip(procs, (data, gzip.compress(data, 1)))]
    for proc, (out, err) in zip(procs, outs):
        assert proc.returncode == 0, err.decode()
        doc = json.loads(out)
        assert doc["runs"][0]["series"]["train/loss"]["points"] == 19560
        assert doc["runs"][0]["series"]["val/loss"]["points"] == 80
        assert doc["lines"]["total"] == 19640


def test_a_fifo_with_a_writer_thread_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    # 3,000 lines (150 KB): more than one pipe buffer (64 KiB), so the writer blocks until the reader reads
    body = "".join(f"iter {i}: loss {4 - i / 1000:.4f}, time 61.90ms, mfu 12.34%\n" for i in range(3000))

    def write() -> None:
        with open(fifo, "w") as fh:
            fh.write(body)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    runs = load(fifo)
    writer.join(5)
    (run,) = runs
    assert len(run.series("train/loss")) == 3000 and run.meta["lines"]["total"] == 3000


@pytest.mark.parametrize(
    "name, pack",
    [
        ("run.log.gz", gzip.compress),
        ("run.log.bz2", bz2.compress),
        ("run.log.xz", lzma.compress),
        ("run.log", gzip.compress),  # by magic bytes, whatever the name
        ("run.txt", lzma.compress),
    ],
)
def test_compressed_by_magic_bytes(tmp_path: Path, name: str, pack: Any) -> None:
    path = tmp_path / name
    path.write_bytes(pack(NANO.encode()))
    assert detect(path).NAME == "nanogpt"
    (run,) = load(path)
    assert len(run.series("train/loss")) == 3 and run.meta["lines"]["total"] == 4
    assert run.name == "run"


def test_concatenated_gzip_members_and_a_cut_stream(tmp_path: Path) -> None:
    path = tmp_path / "two.log.gz"
    half = NANO.encode()
    path.write_bytes(gzip.compress(half) + gzip.compress(b"iter 3: loss 3.7000, time 61.90ms, mfu 12.34%\n"))
    (run,) = load(path)
    assert len(run.series("train/loss")) == 4
    body = "".join(f"iter {i}: loss {4 - i / 1000:.4f}, time 61.90ms, mfu 12.34%\n" for i in range(3000))
    whole = gzip.compress(body.encode())
    path.write_bytes(whole[: len(whole) // 2])  # a log still being written through gzip
    (run,) = load(path)
    assert 500 < len(run.series("train/loss")) < 3000


def test_zstd(tmp_path: Path) -> None:
    zstandard = pytest.importorskip("zstandard", reason="the optional extra lossdoc[zstd] is not installed")
    path = tmp_path / "run.log.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(NANO.encode()))
    (run,) = load(path)
    assert len(run.series("train/loss")) == 3 and run.meta["compression"] == "zstd"


def test_zstd_missing_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "run.log.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    monkeypatch.setitem(sys.modules, "zstandard", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "compression", None)
    with pytest.raises(InputError, match=r"zstd.*pip install 'lossdoc\[zstd\]'"):
        load(path)


def test_corrupt_gzip_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.log.gz"
    path.write_bytes(b"\x1f\x8b\x08" + b"\xff" * 40)
    with pytest.raises(InputError, match="gzip data is corrupt"):
        load(path)


@pytest.mark.parametrize(
    "encoding, bom, label",
    [
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("utf-16-le", b"\xff\xfe", "utf-16-le"),  # PowerShell's `>`
        ("utf-16-be", b"\xfe\xff", "utf-16-be"),
        ("utf-16-le", b"", "utf-16-le"),  # no BOM: told by the NUL bytes on every other byte
    ],
)
def test_bom_and_utf16(tmp_path: Path, encoding: str, bom: bytes, label: str) -> None:
    path = tmp_path / "ps.log"
    path.write_bytes(bom + NANO.replace("\n", "\r\n").encode(encoding))
    (run,) = load(path)
    assert len(run.series("train/loss")) == 3 and len(run.series("val/loss")) == 1
    assert run.meta["lines"] == {"total": 4, "used": 4, "ignored": 0, "unparsed": 0}
    assert run.meta["encoding"] == label


def test_latin1_bytes_in_a_utf8_line_are_read_and_counted(tmp_path: Path) -> None:
    data = "dataset = 'caf\u00e9'\n".encode() + "out_dir = 'r\u00e9sum\u00e9'\n# \u00e9t\u00e9\n".encode("latin-1")
    path = tmp_path / "x.log"
    path.write_bytes(data + NANO.encode())
    (run,) = load(path)
    assert run.meta["decode_errors"] == 2  # two lines held bytes that are not UTF-8
    assert run.meta["config"]["dataset"] == "caf\u00e9"  # valid UTF-8 stays UTF-8
    assert run.meta["config"]["out_dir"] == "r\u00e9sum\u00e9"  # Latin-1 read as Latin-1, not U+FFFD
    assert len(run.series("train/loss")) == 3 and run.meta["lines"]["total"] == 7


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\x00\x01\x02\x03binary" * 10, "NUL bytes"),
        (bytes(range(1, 32)) * 20, "control bytes"),
    ],
)
def test_binary_is_refused_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, reason: str) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(data)
    with pytest.raises(InputError, match=f"binary file.*{reason}"):
        load(path)
    with pytest.raises(InputError, match=f"binary file.*{reason}"):
        load_stdin(monkeypatch, data)


def test_empty_stdin_and_a_terminal_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="empty"):
        load_stdin(monkeypatch, b"")
    tty = _Stdin(b"")
    tty.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdin", tty)
    with pytest.raises(InputError, match="terminal"):
        load("-")


def test_directories_keep_working(tmp_path: Path) -> None:
    run_dir = tmp_path / "out" / "checkpoint-20"
    run_dir.mkdir(parents=True)
    state = {"log_history": [{"step": 10, "loss": 2.5}, {"step": 20, "loss": 2.0}], "global_step": 20}
    (run_dir / "trainer_state.json").write_text(json.dumps(state))
    (run,) = load(tmp_path / "out")
    assert run.meta["format"] == "hf-trainer" and len(run.series("train/loss")) == 2


def test_tensorboard_events_through_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    """A binary input that is not a file (a pipe) is given to its reader as a temporary file."""
    pytest.importorskip("tensorboard", reason="the optional extra lossdoc[tensorboard] is not installed")
    from .conftest import EXAMPLES

    path = EXAMPLES / "events.out.tfevents.hf-trainer-example"
    expected = counts(load(path))
    runs = load_stdin(monkeypatch, path.read_bytes())
    assert counts(runs) == expected and runs[0].meta["source"] == "-"


def test_a_device_is_refused_not_read_for_ever() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    with pytest.raises(InputError, match="is a device"):
        load("/dev/zero")
