"""TensorBoard event files (``events.out.tfevents.*``): one file, or a run directory merged into one Run.

Read with the tensorboard package's own record reader (an optional extra: ``pip install
'lossdoc[tensorboard]'``); both scalar encodings are read: ``simple_value`` (TF1, PyTorch's SummaryWriter,
HF Trainer) and the 0-d tensor of the scalars plugin (TF2). The raw loader is used, not EventFileLoader,
whose per-value migration to tensors costs 3x the reading time. Unlike
TensorBoard's EventAccumulator it keeps every point: no reservoir down-sampling to 10,000 scalars per tag
and no purge of "orphaned" points after a restart (a step going back is recorded as a rollback instead).

Tags -> series: the alias table (HF Trainer ``train/loss``, ``train/learning_rate`` -> train/lr,
``eval/loss`` -> val/loss, ``eval/accuracy`` -> val/accuracy); ``Loss/train`` style (metric/split) is turned
round to ``train/loss``; a tag without a split in an event file under a ``train``/``validation``/``eval``
subdirectory (Keras writes ``logs/train`` and ``logs/validation``, both with ``epoch_loss``) takes that
split. Points from several files are merged in wall-time order. HF's ``args/text_summary`` and
``model_config/text_summary`` (JSON text) go into meta as ``training_args`` / ``model_config``.

Line accounting: the unit is the event record (``meta["lines_unit"] = "events"``): used = events with at
least one scalar, ignored = other events (file version, graphs, text, hparams), unparsed = records that
could not be decoded (a corrupt or cut file stops there; what came before is kept).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..run import Run, canonical_name
from ._assemble import assemble

NAME = "tensorboard"
DESCRIPTION = "TensorBoard event files (events.out.tfevents.*; a file or a run directory)"
SAMPLE = "events.out.tfevents.1716560000.host.1234.0  (binary; tags like train/loss, eval/loss)"
BINARY = True  # detect() lets this reader sniff files with NUL bytes
LINES_UNIT = "events"
EVENT_GLOB = "events.out.tfevents*"
INSTALL_HINT = "pip install 'lossdoc[tensorboard]' (or: pip install tensorboard)"

# The first record of every event file is an Event whose file_version is "brain.Event:<n>"; it sits
# right after the 12-byte record header and the 9-byte wall_time field.
_MAGIC = "brain.Event:"
_MAGIC_WITHIN = 128  # characters of the decoded head

_SPLIT_WORDS = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "eval": "val",
    "evaluation": "val",
    "test": "test",
}
_TEXT_META = {"args/text_summary": "training_args", "model_config/text_summary": "model_config"}


def sniff(head: str) -> bool:
    return _MAGIC in head[:_MAGIC_WITHIN]


def event_files(path: Path) -> list[Path]:
    """The event files of a run directory (recursively), in path order; a file is its own list."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob(EVENT_GLOB) if p.is_file())


def parse(path: Path) -> list[Run]:
    try:
        from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
        from tensorboard.util import tensor_util
    except ImportError:
        raise InputError(
            f"{path}: reading TensorBoard event files needs the tensorboard package: {INSTALL_HINT}"
        ) from None

    files = event_files(path)
    if not files:
        raise InputError(f"{path}: no TensorBoard event files ({EVENT_GLOB}) here")
    root = path if path.is_dir() else path.parent
    rows: list[tuple[float, int, int, str, float]] = []  # wall_time, order, step, series, value
    total = used = ignored = unparsed = 0
    errors: list[str] = []
    meta: dict[str, Any] = {"format": NAME, "source": str(path), "lines_unit": LINES_UNIT}
    tags: dict[tuple[str, str], str] = {}  # (tag, split from the directory) -> series
    for file in files:
        split_hint = _split_hint(file, root)
        plugin_of: dict[str, str] = {}  # tag -> plugin: metadata comes with the first value of a tag only
        try:
            for event in LegacyEventFileLoader(str(file)).Load():
                total += 1
                got = False
                for value in event.summary.value:
                    plugin = value.metadata.plugin_data.plugin_name
                    if plugin:
                        plugin_of[value.tag] = plugin
                    plugin = plugin_of.get(value.tag, "")
                    if plugin == "text" and value.tag in _TEXT_META:
                        _text_meta(value, tensor_util, meta)
                    if value.HasField("simple_value"):  # TF1 / PyTorch SummaryWriter scalars
                        number = float(value.simple_value)
                    elif plugin == "scalars" and value.HasField("tensor"):  # TF2 scalars: a 0-d tensor
                        array = tensor_util.make_ndarray(value.tensor)
                        if array.size != 1:
                            continue
                        number = float(array.reshape(-1)[0])
                    else:
                        continue
                    name = tags.get((value.tag, split_hint))
                    if name is None:
                        name = tags[(value.tag, split_hint)] = tag_name(value.tag, split_hint)
                    rows.append((event.wall_time, len(rows), int(event.step), name, number))
                    got = True
                if got:
                    used += 1
                else:
                    ignored += 1
        except Exception as exc:  # noqa: BLE001 - the decoder's errors (protobuf, CRC, I/O) vary by version
            unparsed += 1
            errors.append(f"{file.name}: {type(exc).__name__}: {str(exc)[:120]}")

    if total == 0:  # the record reader stops silently at the first bad frame: say so
        why = f" ({errors[0]})" if errors else ""
        raise InputError(
            f"{path}: no TensorBoard event could be read: not an event file, or cut before its first record{why}"
        )
    rows.sort(key=lambda r: (r[0], r[1]))  # wall-time order merges train/val files and resumed runs
    names = sorted({r[3] for r in rows})
    code = {n: i for i, n in enumerate(names)}
    meta["lines"] = {"total": total + unparsed, "used": used, "ignored": ignored, "unparsed": unparsed}
    meta["unparsed_sample"] = []
    meta["event_files"] = [str(f.relative_to(root)) for f in files]
    meta["tags"] = {(f"{hint}:{tag}" if hint else tag): name for (tag, hint), name in tags.items()}
    if errors:
        meta["read_errors"] = errors
    return assemble(
        [r[2] for r in rows],
        [code[r[3]] for r in rows],
        [r[4] for r in rows],
        names,
        meta,
        path.name if path.is_dir() else path.parent.name or path.stem,
        split_runs=False,
    )


def tag_name(tag: str, split_hint: str = "") -> str:
    """Series name of a scalar tag (see the module docstring)."""
    parts = tag.strip("/").split("/")
    if len(parts) == 2 and parts[1].lower() in _SPLIT_WORDS and parts[0].lower() not in _SPLIT_WORDS:
        tag = f"{parts[1]}/{parts[0]}"  # Loss/train -> train/Loss
    elif len(parts) == 1 and split_hint:
        tag = f"{split_hint}/{tag}"
    name = canonical_name(tag)
    split, _, metric = name.partition("/")
    return f"{_SPLIT_WORDS.get(split, split)}/{metric}"


def _split_hint(file: Path, root: Path) -> str:
    """The split named by the nearest directory between root and the file (Keras: logs/validation)."""
    try:
        parts = file.parent.relative_to(root).parts
    except ValueError:
        return ""
    for part in reversed(parts):
        if part.lower() in _SPLIT_WORDS:
            return _SPLIT_WORDS[part.lower()]
    return ""


def _text_meta(value: Any, tensor_util: Any, meta: dict[str, Any]) -> None:
    """HF Trainer writes its TrainingArguments and model config as JSON text summaries."""
    try:
        raw = tensor_util.make_ndarray(value.tensor).reshape(-1)[0]
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        meta[_TEXT_META[value.tag]] = json.loads(text)
    except (ValueError, IndexError, TypeError):
        return
