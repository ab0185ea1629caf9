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
several runs (the shared assemble()).
"""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path
from typing import Any

from ..run import Run
from . import _events, _sniffers
from ._assemble import PointBuffer, assemble
from ._fast import Grammar, Scan, Sink, merge, scan
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
_RUNNING = re.compile(
    r"^Running [Pp]y[Tt]orch (\S+)(?: compiled for CUDA (\S+))?(?: on (.+?))?(?: with world_size (\d+))?\s*$"
)
_SMI_GPU = re.compile(r"^\|\s+(\d+)\s+(NVIDIA .+?|Tesla .+?|AMD .+?)\s{2,}(?:On|Off)\s+\|")
_PEAK_MEMORY = re.compile(r"^peak memory (?:consumption|allocated): (\d+) MiB")
_PARAMS = re.compile(r"^\s*(Total|Embedding|Non-embedding) parameters: ([\d,]+)\s*$")
_REPR = re.compile(r"^(?:Hyperparameters: )?(Hyperparameters\(.*\))\s*$")
_MODEL_CONFIG = re.compile(r"^Model Config: (GPTConfig\(.*\))\s*$")  # tyler-romero/nanogpt-speedrun banner
_ASSIGNMENTS = re.compile(r"^(?:[A-Za-z_][\w.]*=\S+ ?)+$")  # B=32 T=1024 ddp_world_size=2 ...

# Field name in a record -> series name (others keep their own name under the record's split).
_TRAIN_FIELDS = {
    "train_loss": "train/loss",
    "train_time": "train/train_time_ms",  # cumulative training wall-clock (validation excluded), ms
    "step_avg": "train/step_avg_ms",  # running mean of step time since step 10, ms
    "tokens_seen": "train/tokens",
    "tokens/sec": "train/tokens_per_sec",
    "vram": "train/vram_gb",  # used part of `used/total GB`
}
# Config names that state the schedule and the batch, as the records spell them -> meta keys.
_MAX_STEPS_KEYS = ("num_iterations", "num_steps", "max_steps")
_WARMUP_KEYS = ("warmup_iters", "warmup_steps")
_WARMDOWN_KEYS = ("warmdown_iters", "cooldown_iters", "warmdown_steps")
_SEQ_KEYS = ("sequence_length", "seq_len", "train_seq_len")
_MODEL_CALLS = {"GPT", "GPTConfig"}
_CHUNK_END = "\x00"  # marks a `====` separator in the header list
_MIN_SOURCE_LINES = 20  # a chunk that fails to parse before this line is not source code
_PREFIX_TRIES = 5  # parses tried when only a prefix of the source parses (each costs ~10 ms per 1000 lines)
_MODEL_KEYS = {
    "vocab_size": "vocab_size",
    "n_layer": "n_layer",
    "num_layers": "n_layer",
    "n_head": "n_head",
    "num_heads": "n_head",
    "n_embd": "n_embd",
    "model_dim": "n_embd",
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
            header.append(_CHUNK_END)
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
    _read_header(header, meta)
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


def _read_header(header: list[str], meta: dict[str, Any]) -> None:
    """Facts from the lines before the first record: the embedded source (via ast), banners, nvidia-smi."""
    config: dict[str, Any] = meta["config"]
    model: dict[str, Any] = {}
    gpus: list[str] = []
    chunk: list[str] = []
    for line in header + [_CHUNK_END]:
        if line is not _CHUNK_END:
            chunk.append(line)
            continue
        tree, used = _parse_source(chunk) if chunk else (None, 0)
        if tree is not None:
            _read_source(tree, config, model)
        _read_banners(chunk[used:], config, meta, gpus)  # what follows the source in the same chunk
        for line in chunk[used:]:
            if m := _MODEL_CONFIG.match(line):  # the model's shape printed as a repr (no source in these logs)
                model.update(_repr_kwargs(m.group(1)))
        chunk = []
    if gpus:
        meta.setdefault("gpu", gpus[0])
        meta["gpus_visible"] = len(gpus)
    if model:
        config["model"] = model
        for key, meta_key in _MODEL_KEYS.items():
            if isinstance(model.get(key), int):
                meta.setdefault(meta_key, model[key])
    _derive(config, meta)


def _read_banners(lines: list[str], config: dict[str, Any], meta: dict[str, Any], gpus: list[str]) -> None:
    for line in lines:
        if m := _REPR.match(line):
            config.update(_repr_kwargs(m.group(1)))  # the values the run used: they override the defaults
        elif m := _RUNNING.match(line):
            meta["torch_version"] = m.group(1)
            if m.group(3):
                meta["gpu"] = m.group(3)
            if m.group(4):
                meta["world_size"] = int(m.group(4))
        elif m := _SMI_GPU.match(line):
            gpus.append(m.group(2).strip())
        elif m := _PARAMS.match(line):
            key = {"Total": "params", "Embedding": "params_embedding", "Non-embedding": "params_non_embedding"}
            meta[key[m.group(1)]] = int(m.group(2).replace(",", ""))
        elif _ASSIGNMENTS.match(line.strip()):
            for pair in line.split():  # `B=32 T=1024 ddp_world_size=2 tokens_per_fwdbwd=524288`
                key, _, text = pair.partition("=")
                value = _literal(text)
                if value is not None:
                    config[key] = value


def _derive(config: dict[str, Any], meta: dict[str, Any]) -> None:
    """Meta keys the analyzers use, from config names the records use (only where they are unambiguous)."""
    for keys, meta_key in (
        (_MAX_STEPS_KEYS, "max_steps"),
        (_WARMUP_KEYS, "warmup_steps"),
        (_WARMDOWN_KEYS, "warmdown_steps"),
    ):
        for key in keys:
            if isinstance(config.get(key), (int, float)) and not isinstance(config.get(key), bool):
                meta[meta_key] = int(config[key])
                break
    if isinstance(config.get("cooldown_frac"), float):
        # newer records: the LR decays linearly to 0 over the last cooldown_frac of num_iterations
        meta["cooldown_frac"] = config["cooldown_frac"]
        if "max_steps" in meta and "warmdown_steps" not in meta:
            meta["warmdown_steps"] = round(config["cooldown_frac"] * meta["max_steps"])
    if isinstance(config.get("lr_floor"), float):
        meta["lr_floor"] = config["lr_floor"]  # a fraction of peak (the schedule is relative)
    seq = next((config[k] for k in _SEQ_KEYS if isinstance(config.get(k), int)), None)
    if "sequence_length" in config and isinstance(config.get("batch_size"), int) and isinstance(seq, int):
        # Older records: batch_size counts sequences across all devices ("batch size, in sequences").
        meta["batch_size"] = config["batch_size"]
        meta["block_size"] = seq
        meta["tokens_per_step"] = config["batch_size"] * seq
    if isinstance(config.get("device_batch_size"), int):
        meta["device_batch_size"] = config["device_batch_size"]
    if isinstance(config.get("tokens_per_fwdbwd"), int):  # printed by forks: B*T*world*accumulation
        meta["tokens_per_step"] = config["tokens_per_fwdbwd"]
    if isinstance(config.get("args.batch_size"), int):
        meta["batch_size"] = config["args.batch_size"]


def _ast_parse(text: str, mode: str = "exec") -> Any:
    """ast.parse without its SyntaxWarnings (`1abc`, invalid escapes) on stderr: the library never prints."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, mode=mode)


def _parse_source(lines: list[str]) -> tuple[ast.Module | None, int]:
    """The embedded script as an AST (never executed) and how many lines it took; if the whole does not
    parse, the statements before the first line that does not (source followed by other prints).
    (None, 0) when the lines are not Python."""
    try:
        return _ast_parse("\n".join(lines)), len(lines)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        bad = getattr(exc, "lineno", None) or 0
    if bad < _MIN_SOURCE_LINES:
        return None, 0
    # Cut before the bad line, else before the last top-level statements that start before it; a few tries.
    cuts = [bad] + [i for i in range(bad - 1, 0, -1) if lines[i - 1][:1] not in ("", " ", "\t", ")", "]", "}")]
    for cut in cuts[:_PREFIX_TRIES]:
        try:
            return _ast_parse("\n".join(lines[: cut - 1])), cut - 1
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
    return None, 0


def _read_source(tree: ast.Module, config: dict[str, Any], model: dict[str, Any]) -> None:
    found_class = False
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Hyperparameters":
            found_class = True
            for stmt in node.body:
                name, value = _assigned(stmt)
                if name is not None and value is not _NOT_CONSTANT:
                    config[name] = value
        elif isinstance(node, ast.FunctionDef) and node.name == "get_lr":
            floor = _lr_floor(node)
            if floor is not None:
                config["lr_floor"] = floor
        elif isinstance(node, ast.Call) and _call_name(node) in _MODEL_CALLS:
            for kw in node.keywords:
                if kw.arg and (value := _constant(kw.value)) is not _NOT_CONSTANT:
                    model.setdefault(kw.arg, value)
    if found_class:
        return
    # Scripts without a Hyperparameters class (track 3) state sizes as module-level constants. They are kept
    # apart and not turned into meta: a module-level `warmup_steps = 10` can be kernel warm-up, not the LR's.
    module: dict[str, Any] = {}
    for stmt in tree.body:
        name, value = _assigned(stmt)
        if name is not None and value is not _NOT_CONSTANT:
            module[name] = value
    if module:
        config["module_constants"] = module


# Newer records cool down to a floor, not to 0: `return w * 1.0 + (1 - w) * 0.05` (2025 records' get_lr).
_FLOOR_RETURN = re.compile(r"^(\w+) \* 1(?:\.0)? \+ \(1 - \1\) \* ([0-9.]+(?:e-?\d+)?)$")


def _lr_floor(func: ast.FunctionDef) -> float | None:
    """The LR multiplier get_lr() cools down to, when its return is the blend of 1.0 and a constant floor."""
    for node in ast.walk(func):
        if isinstance(node, ast.Return) and node.value is not None:
            if m := _FLOOR_RETURN.match(ast.unparse(node.value)):
                return float(m.group(2))
    return None


def _assigned(stmt: ast.stmt) -> tuple[str | None, Any]:
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return stmt.target.id, _constant(stmt.value)
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, _constant(stmt.value)
    return None, _NOT_CONSTANT


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


_NOT_CONSTANT = object()
_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
}
_MAX_POWER = 64  # 2**64 is plenty for sizes; refuse larger exponents (no huge integers from a log)


def _constant(node: ast.AST) -> Any:
    """Value of a constant expression (`8*64`, `5800 + (128 * 4)`, `10_485_760`, `"a"`), else _NOT_CONSTANT.

    Only literals and arithmetic on them: names, calls and attributes are not evaluated.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _constant(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _constant(node.left), _constant(node.right)
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
        if not numbers:
            return _NOT_CONSTANT
        if isinstance(node.op, ast.Pow) and abs(right) <= _MAX_POWER and abs(left) < 2**20:
            return left**right
        op = _BINOPS.get(type(node.op))
        if op is not None:
            try:
                return op(left, right)
            except (ZeroDivisionError, OverflowError):
                return _NOT_CONSTANT
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_constant(e) for e in node.elts]
        if all(i is not _NOT_CONSTANT for i in items):
            return items
    return _NOT_CONSTANT


def _repr_kwargs(text: str) -> dict[str, Any]:
    """`Hyperparameters(a=1, b='x')` as printed by the script -> {a: 1, b: 'x'} (literal values only)."""
    try:
        node = _ast_parse(text, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return {}
    if not isinstance(node, ast.Call):
        return {}
    out = {}
    for kw in node.keywords:
        if kw.arg and (value := _constant(kw.value)) is not _NOT_CONSTANT:
            out[kw.arg] = value
    return out


def _literal(text: str) -> Any:
    try:
        node = _ast_parse(text, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    value = _constant(node)
    return None if value is _NOT_CONSTANT else value
