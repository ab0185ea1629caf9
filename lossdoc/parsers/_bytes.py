"""The bytes of a log: read once from wherever they are, decompressed by their magic bytes, decoded to text.

A path, ``-`` (standard input), a pipe, a FIFO, ``/dev/stdin`` or a process substitution (``<(zcat f)``,
``/dev/fd/63``) is read exactly once: a pipe cannot be read twice, so sniffing and parsing share these bytes
(ARCHITECTURE.md, "Conventions"). Compression is told by the magic bytes, whatever the file's name:
gzip, bz2 and xz from the standard library, zstd from ``compression.zstd`` (Python 3.14) or the optional
``zstandard`` package (``pip install 'lossdoc[zstd]'``). Text is UTF-8 with or without a BOM, or UTF-16
LE/BE (with a BOM, as PowerShell's ``>`` writes, or told by its NUL pattern); bytes that are not UTF-8 in an
otherwise UTF-8 file (a Latin-1 ``é`` in a path, a cut multi-byte character) are read as Latin-1 and the
lines holding them counted. A truly binary file (NUL or control bytes) is refused with the reason.
"""

from __future__ import annotations

import bz2
import io
import lzma
import re
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InputError

STDIN = "-"  # the path that means standard input
PROBE_BYTES = 64 * 1024  # how far the binary checks look (a text log has no NUL byte in its first 64 KiB)
CONTROL_SHARE = 0.10  # a NUL-free file with more than this share of control bytes is binary, not a log
UTF16_NUL_SHARE = 0.30  # UTF-16 without a BOM: at least this share of NULs on one byte parity (ASCII text: ~50%)
UTF16_PROBE = 4096  # bytes looked at for that pattern
ZSTD_HINT = "pip install 'lossdoc[zstd]' (or: pip install zstandard)"

# Magic numbers: RFC 1952 (gzip), bzip2's "BZh", the xz file format spec 1.0.4 §2.1.1.1, RFC 8878 §3.1.1 (zstd).
# gzip's third byte is its method (8 = deflate, the only one defined); bzip2's "BZh", a block size digit, then
# the first block's magic (the digits of pi) or the end-of-stream magic (of sqrt(pi)) for an empty stream.
MAGIC = re.compile(
    rb"(?P<gzip>\x1f\x8b\x08)|(?P<bz2>BZh[1-9](?:\x31\x41\x59\x26\x53\x59|\x17\x72\x45\x38\x50\x90))"
    rb"|(?P<xz>\xfd7zXZ\x00)|(?P<zstd>\x28\xb5\x2f\xfd)"
)
COMPRESSED_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zstd": "zstd"}

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Control bytes that text logs do hold: tab, newline, vertical tab, form feed, carriage return, backspace, ESC.
_TEXT_CONTROLS = frozenset(b"\t\n\x0b\x0c\r\x08\x1b")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in _TEXT_CONTROLS) + b"\x7f"
_ESCAPED = re.compile("[\udc80-\udcff]+")  # bytes that are not UTF-8, as surrogateescape leaves them
_ESCAPED_TO_LATIN1 = {0xDC00 + b: b for b in range(0x80, 0x100)}


def is_stdin(path: Path | str) -> bool:
    return str(path) == STDIN


def read_input(path: Path) -> bytes:
    """All the bytes of a path, ``-`` (stdin), a FIFO or a /dev/fd pipe, in one read."""
    if is_stdin(path):
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise InputError("-: there is no standard input to read")
        if sys.stdin.isatty():
            raise InputError("-: standard input is a terminal; pipe a log into it (cat run.log | lossdoc show -)")
        return stream.read()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give the log file inside it") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def read_probe(path: Path) -> bytes:
    """The first PROBE_BYTES of a regular file (to refuse a large binary file without reading it all)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(PROBE_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def compression_of(data: bytes) -> str | None:
    m = MAGIC.match(data)
    return m.lastgroup if m else None


def logical_path(path: Path) -> Path:
    """The name of the log inside a compressed file: run.log.gz -> run.log (what readers name the run after)."""
    if path.suffix.lower() in COMPRESSED_SUFFIXES and path.stem:
        return path.with_name(path.stem)
    return path


def decompress(data: bytes, path: Path) -> tuple[bytes, str | None]:
    """(the decompressed bytes, the compression) by magic bytes; uncompressed data comes back as it is.

    Concatenated members (``cat a.gz b.gz``) are all read. A stream cut short (a log still being written
    through ``gzip``) gives what it holds; corrupt data is an InputError.
    """
    kind = compression_of(data)
    if kind is None:
        return data, None
    if kind == "zstd":
        return _zstd(data, path), kind
    make: Callable[[], Any] = {
        "gzip": lambda: zlib.decompressobj(wbits=31),  # 31 = gzip header and trailer (zlib manual)
        "bz2": bz2.BZ2Decompressor,
        "xz": lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ),
    }[kind]
    out: list[bytes] = []
    rest = data
    try:
        while rest:
            decoder = make()
            out.append(decoder.decompress(rest))
            if not decoder.eof:
                break  # cut short: keep what was there
            rest = decoder.unused_data
            if not rest.strip(b"\x00"):
                break  # trailing padding after the last member
            if compression_of(rest) != kind:
                break  # something after the compressed data: not ours to guess
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as exc:
        raise InputError(f"{path}: {kind} data is corrupt ({exc})") from None
    return b"".join(out), kind


def _zstd(data: bytes, path: Path) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python >= 3.14

        try:
            return bytes(zstd.decompress(data))
        except zstd.ZstdError as exc:
            raise InputError(f"{path}: zstd data is corrupt ({exc})") from None
    except ImportError:
        pass
    try:
        import zstandard
    except ImportError:
        raise InputError(f"{path}: is zstd-compressed; reading it needs the zstandard package: {ZSTD_HINT}") from None
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True)
        return reader.read()
    except zstandard.ZstdError as exc:
        raise InputError(f"{path}: zstd data is corrupt ({exc})") from None


def text_encoding(data: bytes) -> str | None:
    """The text encoding told by a BOM or by UTF-16's NUL pattern; None for UTF-8 (or binary)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    probe = data[:UTF16_PROBE]
    if len(probe) >= 8:
        even, odd = probe[0::2].count(0), probe[1::2].count(0)
        half = len(probe) / 2
        if odd >= UTF16_NUL_SHARE * half and even == 0:
            return "utf-16-le"
        if even >= UTF16_NUL_SHARE * half and odd == 0:
            return "utf-16-be"
    return None


def binary_reason(data: bytes) -> str | None:
    """Why bytes (already decompressed, not UTF-16) are not a text log, or None when they may be one."""
    probe = data[:PROBE_BYTES]
    if b"\x00" in probe:
        return "looks like a binary file (NUL bytes in the first 64 KiB), not a text log"
    if probe:
        controls = len(probe) - len(probe.translate(None, _CONTROL_BYTES))
        if controls > CONTROL_SHARE * len(probe):
            share = controls / len(probe)
            return f"looks like a binary file ({share:.0%} control bytes in the first 64 KiB), not a text log"
    return None


def looks_binary(data: bytes) -> bool:
    """Whether the start of a file is binary as it stands (not compressed, not UTF-16)."""
    return compression_of(data) is None and text_encoding(data) is None and binary_reason(data) is not None


def decode(data: bytes, path: Path, compression: str | None = None) -> Any:
    """Bytes -> LogText (in _text). Refuses binary data with the reason."""
    from ._text import LogText

    encoding = text_encoding(data)
    bad = 0
    if encoding in ("utf-16-le", "utf-16-be"):
        body = data[2:] if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data
        text = body.decode(encoding, errors="replace")
        if "\ufffd" in text:
            bad = sum(1 for line in text.split("\n") if "\ufffd" in line)
    else:
        if encoding == "utf-8-sig":
            data = data[3:]
        reason = binary_reason(data)
        if reason:
            raise InputError(f"{path}: {reason}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text, bad = _decode_repairing(data)
    return LogText(
        path=path,
        text=text,
        decode_errors=bad,
        ends_with_newline=text.endswith("\n"),
        encoding=encoding or "utf-8",
        compression=compression,
    )


def _decode_repairing(data: bytes) -> tuple[str, int]:
    """UTF-8 with the bytes that are not UTF-8 read as Latin-1; and how many lines held such bytes."""
    text = data.decode("utf-8", errors="surrogateescape")
    lines, line, pos = 0, -1, 0
    row = 0
    for m in _ESCAPED.finditer(text):
        row += text.count("\n", pos, m.start())
        pos = m.start()
        if row != line:
            lines, line = lines + 1, row
    return _ESCAPED.sub(lambda m: m.group().translate(_ESCAPED_TO_LATIN1), text), lines
