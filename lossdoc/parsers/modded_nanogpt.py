"""modded-nanogpt record logs (KellerJordan/modded-nanogpt ``records/**/*.txt`` and its forks).

A record log is the training script's own source, then ``nvidia-smi`` and a few header lines, then:
    step:1/6000 train_loss:11.0091 train_time:24179ms step_avg:nanms     -> train/loss, timing
    step:0/6000 val_loss:11.0149 train_time:305ms step_avg:nanms         -> val/loss
    step:1/1750 train_time:151ms step_avg:151.14ms                       newer records: timing only
    step:125/3350 val_loss:4.66393 train_time:22.870s step_avg:182.95ms  track 3: train_time in seconds
    ... tokens_seen:5.24e+05 tokens/sec:9.90e+04 vram:15.7/23.5GB        forks add fields
The source itself contains ``step:`` and ``val_loss`` (in f-strings), so records are anchored on whole lines
``step:N/M key:value ...`` and everything before the first record is header. What the embedded source states
plainly (the ``Hyperparameters`` class and literal ``GPT(...)``/``GPTConfig(...)`` arguments) is read with
``ast`` (never executed) into ``meta["config"]``, and from it ``max_steps``, ``warmup_steps``,
``warmdown_steps`` (or ``cooldown_frac``), ``batch_size``/``block_size``/``tokens_per_step`` where the batch is
stated in sequences. Scripts without that class (track 3) keep their literal module-level constants apart in
``config["module_constants"]``, unused for meta: a module-level ``warmup_steps = 10`` can be kernel warm-up.
A printed ``Hyperparameters(...)`` repr (the values actually used) wins over the source defaults.
Timing: ``train_time`` (cumulative, validation excluded; seconds converted to ms) and ``step_avg`` are kept,
and ``train/step_time_ms`` is their per-step difference. Several runs in one file (the counter back to 0) are
several runs (the shared assemble()). The header is read by _modded_header.py, the embedded script (with ``ast``)
by _modded_script.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..run import Run
from . import _events, _sniffers
from ._assemble import PointBuffer, assemble
from ._fast import Grammar, Scan, Sink, merge, scan
from ._modded_header import CHUNK_END, read_header
from ._sniffers import MODDED_RECORD
from ._text import HEAD_BYTES, LineAccount, is_noise, read_text, to_float, visible

NAME = "modded-nanogpt"
DESCRIPTION = "modded-nanogpt record log (script source, then step:N/M lines)"
SAMPLE = "step:1000/6000 train_loss:3.7012 train_time:363340ms step_avg:363.34ms"

_SNIFF = MODDED_RECORD  # (sniffing is in _sniffers.py)
_RECORD = re.compile(r"^step:(\d+)/(\d+)((?: +[A-Za-z_/]+:\S*)+)[ \t\r]*$")
_FIELD = re.compile(r"([A-Za-z_/]+):(\S*)")
_SEPARATOR = re.compile(r"^={20,}\s*$")  # print0("=" * 100) between source, nvidia-smi and the records
_TIME = re.compile(r"^([-+\d.eE]+|nan|inf)(ms|s)$")
_VRAM = re.compile(r"^([\d.]+)/([\d.]+)GB$")
_PEAK_MEMORY = re.compile(r"^peak memory (?:consumption|allocated): (\d+) MiB")

# Field name in a record -> series name (others keep their own name under the record's split).
_TRAIN_FIELDS = {
    "train_loss": "train/loss",
    "train_time": "train/train_time_ms",  # cumulative training wall-clock (validation excluded), ms
    "step_avg": "train/step_avg_ms",  # running mean of step time since step 10, ms
    "tokens_seen": "train/tokens",
    "tokens/sec": "train/tokens_per_sec",
    "vram": "train/vram_gb",  # used part of `used/total GB`
}


sniff = _sniffers.modded_nanogpt  # sniffing is in _sniffers.py: detect() sniffs without importing this module


def parse(path: Path) -> list[Run]:
    log = read_text(path)
    account = LineAccount(total=log.total_lines())
    meta: dict[str, Any] = {"format": NAME, "source": str(path), "config": {}}
    keys = _strict_keys(log.text)
    found = scan(log.text, _grammar(keys)) if keys else None
    if found is not None:
        account.used = found.count
        others: Any = found.others
    else:
        others = ((lineno, raw, 0) for lineno, raw in enumerate(log.lines(), 1))
    records = _read_lines(others, account, meta)
    lines_end = log.text.rsplit("\n", 1)[-1] if log.text else ""
    if not log.ends_with_newline and log.text and not _RECORD.match(lines_end.rstrip("\r")):
        meta["truncated_last_line"] = lines_end[:200]
        if lines_end.startswith("step:"):
            _events.add(meta, "truncated", None, account.total, lines_end)
    account.store(meta, log)
    if found is None or not found.count:
        plain = [(step, total, fields) for step, total, fields, _ in records]
        runs = _points(plain).to_runs(meta, path.stem)
        _per_run_meta(runs, plain)
        return runs
    assert keys is not None
    totals = found.fields_by_name["__total"]
    steps, codes, values, names = _fast_points(found, keys, records)
    runs = assemble(steps, codes, values, names, meta, path.stem)
    all_steps, all_totals = _record_order(found.steps, totals, records)
    run_totals = _run_totals(all_steps, all_totals)
    if len(run_totals) == len(runs):
        for run, total in zip(runs, run_totals, strict=True):
            run.meta["max_steps"] = total
    return runs


def _read_lines(lines: Any, account: LineAccount, meta: dict[str, Any]) -> list[tuple[int, int, list[tuple[str, str]], int]]:
    """The lines the fast path did not take (or all of them), one by one: records not in the common form
    (val lines, cut or odd ones) with the number of common records before them, the header, banners."""
    records: list[tuple[int, int, list[tuple[str, str]], int]] = []
    header: list[str] = []  # lines before the first record: source code, nvidia-smi, banners
    in_header = True
    last_at = 0
    for lineno, raw, at in lines:
        if at != last_at:  # common records came in between
            in_header, last_at = False, at
        line = raw.rstrip("\r")
        if m := _RECORD.match(line):
            records.append((int(m.group(1)), int(m.group(2)), _FIELD.findall(m.group(3)), at))
            account.used += 1
            in_header = False
            continue
        line = visible(line)
        if _SEPARATOR.match(line):
            in_header = True  # a separator after records: another run's header follows
            header.append(CHUNK_END)
            account.ignored += 1
        elif in_header:
            header.append(line)
            account.ignored += 1
        elif m := _PEAK_MEMORY.match(line):
            meta["peak_memory_mib"] = int(m.group(1))
            account.ignored += 1
        elif is_noise(line) and not line.startswith("step:"):
            _events.line_events(meta, None, lineno, line)
            account.ignored += 1
        else:
            account.unknown(lineno, raw)
    read_header(header, meta)
    return records


# The common train record's fields the fast path reads, and the regex of each value.
_MS = r"(\S*)ms"  # train_time / step_avg in milliseconds (`nanms` is NaN)
_STRICT_VALUES = {"train_loss": r"(\S*)", "train_time": _MS, "step_avg": _MS, "tokens_seen": r"(\S*)",
                  "tokens/sec": r"(\S*)", "vram": r"([\d.]+)/[\d.]+GB"}


def _strict_keys(text: str) -> tuple[str, ...] | None:
    """The keys of the first train record (a record without val_loss), if the fast path can read that form."""
    for m in re.finditer(r"^step:\d+/\d+((?: +[A-Za-z_/]+:\S*)+)[ \t\r]*$", text[:HEAD_BYTES], re.M):
        keys = tuple(k for k, _ in _FIELD.findall(m.group(1)))
        if "val_loss" in keys:
            continue
        return keys if keys and all(k in _STRICT_VALUES for k in keys) and len(set(keys)) == len(keys) else None
    return None


def _grammar(keys: tuple[str, ...]) -> Grammar:
    body = r"step:(\d+)/(\d+)" + "".join(f" +{re.escape(k)}:{_STRICT_VALUES[k]}" for k in keys) + r"[ \t\r]*$"
    return Grammar("step:", body, ("__total",) + tuple(_TRAIN_FIELDS[k] for k in keys))


def _fast_points(found: Scan, keys: tuple[str, ...], records: list[Any]) -> tuple[Any, Any, Any, list[str]]:
    """Points of the common train records (numpy) and of the other records (one by one), in file order.
    train/step_time_ms follows train_time on each record, from the previous train record's clock."""
    import numpy as np

    by_name = found.fields_by_name
    steps = found.steps
    has_time = "train_time" in keys
    time_ms = by_name.get("train/train_time_ms")
    sink = Sink()
    last_by_at: dict[int, tuple[int, float]] = {}  # the last other train record's (step, clock) at each place
    last_any: tuple[int, float] | None = None
    for step, _total, fields, at in records:
        is_val = any(k == "val_loss" for k, _ in fields)
        for key, text in fields:
            if key == "val_loss":
                sink.add(at, step, "val/loss", to_float(text))
                continue
            if is_val:
                continue  # timing on a val line repeats the train line's clock (there are train lines)
            value = _value(key, text)
            sink.add(at, step, _TRAIN_FIELDS.get(key) or f"train/{re.sub(r'[^0-9a-z_]+', '_', key.lower()).strip('_')}", value)
            if key == "train_time":
                prev = last_by_at.get(at)
                if prev is None:
                    prev = (int(steps[at - 1]), float(time_ms[at - 1])) if has_time and at > 0 else last_any
                if prev is not None and step > prev[0]:
                    sink.add(at, step, "train/step_time_ms", (value - prev[1]) / (step - prev[0]))
                last_by_at[at] = last_any = (step, value)
    fields = [(n, v) for n, v in found.fields if n != "__total"]
    masks: dict[str, Any] = {}
    if has_time and time_ms is not None:
        n = found.count
        step_time = np.full(n, np.nan)
        present = np.zeros(n, dtype=bool)
        gap = steps[1:] - steps[:-1]
        present[1:] = gap > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            step_time[1:] = (time_ms[1:] - time_ms[:-1]) / gap
        for at, (s, v) in last_by_at.items():  # an other train record just before a common one is its clock
            if at < n:
                present[at] = steps[at] > s
                step_time[at] = (time_ms[at] - v) / (steps[at] - s) if present[at] else np.nan
        j = [n for n, _ in fields].index("train/train_time_ms")
        fields.insert(j + 1, ("train/step_time_ms", step_time))
        masks["train/step_time_ms"] = present
    found.fields = fields
    return merge(found, sink, masks)


def _record_order(steps: Any, totals: Any, records: list[Any]) -> tuple[Any, Any]:
    """Steps and totals (`/M`) of every record in file order: the common ones and the others between them."""
    import numpy as np

    totals = totals.astype(np.int64)
    if not records:
        return steps, totals
    at = np.array([r[3] for r in records], dtype=np.int64)
    return np.insert(steps, at, [r[0] for r in records]), np.insert(totals, at, [r[1] for r in records])


def _run_totals(steps: Any, totals: Any) -> list[int]:
    """The `/M` of each run's first record: _per_run_meta's walk, looking only where the counter goes back."""
    import numpy as np

    if not len(steps):
        return []
    out, first = [int(totals[0])], int(steps[0])
    for i in (np.flatnonzero(steps[1:] < steps[:-1]) + 1).tolist():
        if steps[i] <= first:
            out.append(int(totals[i]))
            first = int(steps[i])
    return out


def _points(records: list[tuple[int, int, list[tuple[str, str]]]]) -> PointBuffer:
    """Records -> points. Timing on a val line repeats the train line's clock: kept only in val-only files."""
    points = PointBuffer()
    has_train_lines = any(not any(k == "val_loss" for k, _ in fields) for _, _, fields in records)
    last_time: tuple[int, float] | None = None  # (step, train_time_ms) of the previous timing point
    for step, _total, fields in records:
        is_val = any(k == "val_loss" for k, _ in fields)
        for key, text in fields:
            if key == "val_loss":
                points.add(step, "val/loss", to_float(text))
                continue
            if is_val and has_train_lines:
                continue
            value = _value(key, text)
            name = _TRAIN_FIELDS.get(key) or f"train/{re.sub(r'[^0-9a-z_]+', '_', key.lower()).strip('_')}"
            points.add(step, name, value)
            if key == "train_time":
                # Per-step time from the cumulative clock (validation time excluded by the script itself).
                if last_time is not None and step > last_time[0]:
                    points.add(step, "train/step_time_ms", (value - last_time[1]) / (step - last_time[0]))
                last_time = (step, value)
    return points


def _value(key: str, text: str) -> float:
    if text.endswith("ms") and key in ("train_time", "step_avg"):  # the common case, without a regex
        return to_float(text[:-2])
    if key in ("train_time", "step_avg") and (m := _TIME.match(text)):
        number = to_float(m.group(1))
        return number * 1000.0 if m.group(2) == "s" else number
    if key == "vram" and (m := _VRAM.match(text)):
        return float(m.group(1))
    return to_float(text)



def _per_run_meta(runs: list[Run], records: list[tuple[int, int, list[tuple[str, str]]]]) -> None:
    """max_steps per run from the `/M` of its records (runs concatenated in one file may differ)."""
    run_totals: list[int] = []
    first_step: int | None = None
    last_step: int | None = None
    for step, total, _ in records:  # the same walk as assemble(): a new run where the counter falls to its start
        if first_step is None or (last_step is not None and step < last_step and step <= first_step):
            run_totals.append(total)
            first_step = step
        last_step = step
    if len(run_totals) == len(runs):
        for run, total in zip(runs, run_totals, strict=True):
            run.meta["max_steps"] = total
