"""Megatron-LM and Megatron-DeepSpeed stdout (``training.py:training_log`` and ``evaluate_and_print_results``).

    iteration     3/  1000 | consumed samples: 3072 | [consumed tokens: … |] elapsed time per iteration (ms): 123997.6 |
        learning rate: 5.625E-05 | global batch size: 1024 | lm loss: 4.424266E+01 | loss scale: 12.0 |
        grad norm: 77.479 | … | number of skipped iterations: 0 | number of nan iterations: 0 | [TFLOPs: 32.04 |]
    validation loss at iteration 7000 | lm loss value: 7.174200E+00 | lm loss PPL: 1.305315E+03 |
    [deepscale] OVERFLOW! Rank 0 Skipping step. Attempted loss scale: 1048576.0, reducing to 524288.0
Every `key: value` field of a record becomes a series (canonical names where run.py's ALIASES know them);
`elapsed time per iteration (s)` (BLOOM) is converted to ms; `TFLOPs` / `throughput per GPU` are per GPU
(``train/tflops``). Rank prefixes (`[default7]:`, `[rank0]:`, srun's `0:`) and Megatron-LM's record timestamps
(`[2024-07-15 15:26:21]`) are dropped. fp16 OVERFLOW lines are counted as skipped steps in
``meta["skipped_steps"]`` (with the iteration printed before each, ``skipped_after_iteration``); the args dump
(`  num_layers ........ 64`) goes into ``meta["config"]`` and the model/batch facts into meta. A validation line
without an iteration ("at the end of training") belongs to the last iteration printed; `test` ones go to
``test/``. An iteration counter that goes back part of the way (a restart from a checkpoint) is a rollback,
recorded by the shared assemble().
"""

from __future__ import annotations

import ast
import functools
import re
import warnings
from pathlib import Path
from typing import Any

from ..run import ALIASES, Run
from . import _events, _sniffers
from ._assemble import assemble
from ._fast import Grammar, Sink, merge, scan
from ._sniffers import MEGATRON_PREFIX, MEGATRON_STAMP
from ._text import HEAD_BYTES, LineAccount, is_noise, read_text, to_float, visible

NAME = "megatron"
DESCRIPTION = "Megatron-LM / Megatron-DeepSpeed stdout"
SAMPLE = (
    " iteration     1000/  311541 | consumed samples:      1024000 | elapsed time per iteration (ms): 22306.6 | "
    "lm loss: 2.775923E+00 | grad norm: 0.412 |"
)

# srun -l labels (`0: `), torchrun --tee / launcher rank tags, in any combination; the 2024+ stamp (_sniffers.py)
_PREFIX = MEGATRON_PREFIX
_STAMP = MEGATRON_STAMP
_RECORD = re.compile(rf"^{_PREFIX}\s*{_STAMP}iteration\s+(\d+)/\s*(\d+)\s*\|(.*)$")
_VALIDATION = re.compile(rf"^{_PREFIX}\s*{_STAMP}validation loss at (.*?)\s*\|(.*)$")
_VAL_ITERATION = re.compile(r"^iteration (\d+)\b")
_OVERFLOW = re.compile(r"OVERFLOW! Rank (\d+) Skipping step")
_ARG = re.compile(rf"^{_PREFIX}  ([A-Za-z_]\w*) \.{{2,}} (.*?)\s*$")
_WORLD = re.compile(
    r"using world size: (\d+), data-parallel[- ]size: (\d+), tensor-model-parallel size: (\d+), "
    r"pipeline-model-parallel size: (\d+)"
)
_RANK_PARAMS = re.compile(r"number of parameters on \(tensor, pipeline\) model parallel rank \((\d+), (\d+)\): (\d+)")
_PADDED_VOCAB = re.compile(r"> padded vocab \(size: (\d+)\) with \d+ dummy tokens \(new size: (\d+)\)")
# Lines Megatron, DeepSpeed and torch.distributed print that carry no metric: recognised, not parsed.
_HEADER = re.compile(
    rf"^{_PREFIX}\s*(?:time \(ms\)|\[Rank \d+\]|\[(?:before|after) |>|\*{{5,}}|!{{5,}}|-{{5,}}|={{5,}}|"
    r"\[\d{4}-\d\d-\d\d[ T]|Setting OMP_NUM_THREADS|using |training \.\.\.|done with|building |setting |"
    r"make(?:\[\d+\])?:|ninja|Emitting ninja|Allowing ninja|Detected CUDA|time to initialize|compiling|"
    r"initializing |initialized |loading |loaded |total number of |successfully |learning rate decay|"
    r"\w+ \.\.\.$|[-\w]+ arguments|end of arguments|NCCL|DeepSpeed|\[INFO\]|\[WARNING\]|\(min, max\) time|"
    r"warnings\.warn|Your compiler|built with|compile PyTorch|use g\+\+|c\+\+ to compile|with compiling|"
    r"See https://|!! WARNING !!|WARNING:|Warning:|wandb|Time to load|Loading extension|Using |No modifications|"
    r"Installed CUDA|torch (?:install|cuda|version)|nvcc version|deepspeed (?:install|info|wheel)|"
    r"fused_|cpu_adam|sparse_attn|transformer|stochastic_transformer|async_io|utils |quantizer|"
    r"validation loss at the end|Building extension)"
)
# Record fields whose canonical name is not already in run.py's ALIASES.
_FIELDS = {
    "consumed samples": "train/samples",
    "consumed tokens": "train/tokens",
    "elapsed time per iteration (ms)": "train/step_time_ms",
    "elapsed time per iteration (s)": "train/step_time_ms",  # converted to ms
    "global batch size": "train/global_batch_size",
    "lm loss": "train/loss",
    "loss scale": "train/loss_scale",
    "num zeros": "train/num_zeros",
    "number of skipped iterations": "train/skipped_iterations",
    "number of nan iterations": "train/nan_iterations",
    "samples per second": "train/samples_per_sec",
    "tflops": "train/tflops",  # achieved TFLOP/s per GPU as Megatron-DeepSpeed counts them
    "throughput per gpu (tflop/s/gpu)": "train/tflops",
    "tokens per gpu per second (tgs)": "train/tokens_per_sec_per_gpu",
    "tokens/sec/gpu": "train/tokens_per_sec_per_gpu",
}
_NON_NAME = re.compile(r"[^0-9a-z]+")
_VAL_FIELDS = {"lm loss value": "loss", "lm loss ppl": "ppl"}
# args-dump names -> meta keys shared with the other readers.
_ARG_META = {
    "num_layers": "n_layer",
    "hidden_size": "n_embd",
    "num_attention_heads": "n_head",
    "seq_length": "block_size",
    "global_batch_size": "batch_size",
    "micro_batch_size": "micro_batch_size",
    "train_iters": "max_steps",
    "lr_warmup_iters": "warmup_steps",
    "padded_vocab_size": "padded_vocab_size",
    "lr": "learning_rate",
    "lr_decay_style": "lr_schedule",
}


sniff = _sniffers.megatron  # sniffing is in _sniffers.py: detect() sniffs without importing this module


def parse(path: Path) -> list[Run]:
    log = read_text(path)
    account = LineAccount(total=log.total_lines())
    state = _State(meta={"format": NAME, "source": str(path)})
    grammar = _grammar(log.text)
    if grammar is not None:
        found = scan(log.text, grammar[0])
        account.used = found.count
        state.fast_steps = found.steps
        lines: Any = found.others
    else:
        found, lines = None, ((lineno, raw, 0) for lineno, raw in enumerate(log.lines(), 1))
    for lineno, raw, at in lines:  # every line the fast path did not take, one by one as they always were
        _line(lineno, raw, at, state, account)
    meta = state.meta
    if found is not None and grammar is not None and found.count:
        totals = found.fields_by_name["__total"]
        if state.last_record_at < found.count:  # the last record in the file is a common one
            meta["max_steps"] = int(totals[-1])
        found.fields = [(n, v * scale) for (n, v), scale in zip(found.fields, grammar[1]) if n != "__total"]
        steps, codes, values, names = merge(found, state.sink)
    else:
        sink = state.sink
        steps, codes, values, names = sink.steps, [], sink.values, sorted(set(sink.names))
        codes = [names.index(n) for n in sink.names]
    if state.overflow_by_rank:
        # Each rank may report the same overflow; the lowest rank's count is the number of steps skipped.
        meta["skipped_steps"] = state.overflow_by_rank[min(state.overflow_by_rank)]
        meta["skipped_after_iteration"] = state.skipped_after
    else:
        meta["skipped_steps"] = 0
    _loss_scale_events(steps, codes, values, names, meta, _line_of_step(found, state, account.total))
    _config_meta(state.config, meta, state.rank_params)
    if not log.ends_with_newline and log.text:  # a record cut short by the end of the file (records end in `|`)
        last = visible(log.text.rsplit("\n", 1)[-1]).rstrip()
        if _RECORD.match(last) and not last.endswith("|"):
            _events.add(meta, "truncated", state.step_before(found.count if found else 0), account.total, last)
    _events.sort(meta)
    account.store(meta, log)
    return assemble(steps, codes, values, names, meta, path.stem)


class _State:
    """What the line loop carries from line to line."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.config: dict[str, Any] = {}
        self.overflow_by_rank: dict[int, int] = {}
        self.skipped_after: list[int] = []
        self.rank_params: dict[tuple[int, int], int] = {}
        self.sink = Sink()
        self.fast_steps: Any = None
        self.last_record_at = -1  # strict records before the last record read here
        self.last_record_step = 0
        self.record_lines: dict[int, int] = {}  # iteration -> line, of the records read here

    def step_before(self, at: int) -> int:
        """The iteration printed last before a line that has `at` common records before it."""
        if at > 0 and self.last_record_at < at:
            return int(self.fast_steps[at - 1])
        return self.last_record_step


def _line(lineno: int, raw: str, at: int, state: _State, account: LineAccount) -> None:
    meta, sink = state.meta, state.sink
    line = visible(raw).rstrip()
    if m := _RECORD.match(line):
        step = int(m.group(1))
        meta["max_steps"] = int(m.group(2))
        for key, value in _fields(m.group(3)):
            sink.add(at, step, *_train_point(key, value))
        state.last_record_at, state.last_record_step = at, step
        state.record_lines.setdefault(step, lineno)
        account.used += 1
    elif m := _VALIDATION.match(line):
        where, fields = m.group(1), _fields(m.group(2))
        it = _VAL_ITERATION.match(where)
        split = "test" if re.search(r"\btest\b", where) else "val"  # `... on test set`, `... for test data`
        step = int(it.group(1)) if it else state.step_before(at)
        for key, value in fields:
            metric = _VAL_FIELDS.get(key.lower()) or _train_name(key)[0].partition("/")[2]
            sink.add(at, step, f"{split}/{metric}", to_float(value))
        if fields:
            account.used += 1
        else:
            account.unknown(lineno, raw)
    elif m := _OVERFLOW.search(line):
        rank = int(m.group(1))
        state.overflow_by_rank[rank] = state.overflow_by_rank.get(rank, 0) + 1
        if rank == min(state.overflow_by_rank):
            step = state.step_before(at)
            state.skipped_after.append(step)
            _events.add(meta, "overflow", step, lineno, line)
        account.ignored += 1
    elif m := _ARG.match(line):
        state.config[m.group(1)] = _literal(m.group(2))
        account.ignored += 1
    else:
        if m := _WORLD.search(line):
            meta["world_size"] = int(m.group(1))
            meta["data_parallel_size"] = int(m.group(2))
            meta["tensor_parallel_size"] = int(m.group(3))
            meta["pipeline_parallel_size"] = int(m.group(4))
        elif m := _RANK_PARAMS.search(line):
            state.rank_params[(int(m.group(1)), int(m.group(2)))] = int(m.group(3))
        elif m := _PADDED_VOCAB.search(line):
            meta["vocab_size"] = int(m.group(1))
            meta["padded_vocab_size"] = int(m.group(2))
        _events.line_events(meta, state.step_before(at), lineno, line)
        if _HEADER.match(line) or is_noise(line):
            account.ignored += 1
        else:
            account.unknown(lineno, raw)


def _grammar(text: str) -> tuple[Grammar, list[float]] | None:
    """The common record as the log's first record prints it (its prefix, stamp and keys), for the fast path;
    with the unit factor of each value. None when there is no record or its form is not a plain one."""
    first = _FIRST_RECORD.search(text, 0, HEAD_BYTES)
    if not first:
        return None
    prefix, rest = first.group(1) + "iteration", first.group(2)
    if "\n" in prefix:  # `0:` then a newline (\s?): the fast path's records are one line each
        return None
    fields = _fields(rest)
    if not fields or any(not _PLAIN_VALUE.fullmatch(v) or ":" in k or "|" in k for k, v in fields):
        return None
    body = (
        re.escape(prefix)
        + r"[ \t]+(\d+)/[ \t]*(\d+)[ \t]*\|"
        + "".join(rf"[ \t]*{re.escape(k)}:[ \t]*([^\s|:]+)[ \t]*\|" for k, _ in fields)
        + r"[ \t\r]*$"
    )
    names = [_train_name(k) for k, _ in fields]
    return Grammar(prefix, body, ("__total",) + tuple(n for n, _ in names)), [1.0] + [f for _, f in names]


_FIRST_RECORD = re.compile(r"^((?:\d+:\s?)?(?:\[(?:default|rank)\d+\]:)?[ \t]*)iteration\s+\d+/\s*\d+\s*\|(.*?)\s*$", re.M)
_PLAIN_VALUE = re.compile(r"[^\s|:]+")
# The loss scale fell from one record to the next by at least this factor (fp16 dynamic scaling halves it).
LOSS_SCALE_FALL = 0.5


def _line_of_step(found: Any, state: _State, total: int) -> Any:
    """A function: iteration -> the line number of its (first) record."""
    import numpy as np

    strict_lines = None
    if found is not None and found.count:
        other = np.array([lineno for lineno, _, _ in found.others], dtype=np.int64)
        strict_lines = np.setdiff1d(np.arange(1, total + 1, dtype=np.int64), other, assume_unique=True)

    def line_of(step: int) -> int:
        if step in state.record_lines:
            return state.record_lines[step]
        if strict_lines is not None:
            hits = np.flatnonzero(found.steps == step)
            if len(hits):
                return int(strict_lines[hits[0]])
        return 0

    return line_of


def _loss_scale_events(
    steps: Any, codes: Any, values: Any, names: list[str], meta: dict[str, Any], line_of: Any
) -> None:
    """One ``loss_scale`` event where the logged loss scale falls (a halving or more) from record to record."""
    import numpy as np

    if "train/loss_scale" not in names:
        return
    mask = np.asarray(codes) == names.index("train/loss_scale")
    s, v = np.asarray(steps)[mask], np.asarray(values, dtype=np.float64)[mask]
    with np.errstate(invalid="ignore"):
        falls = np.flatnonzero(v[1:] <= LOSS_SCALE_FALL * v[:-1]) + 1
    for i in falls.tolist():
        _events.add(meta, "loss_scale", int(s[i]), line_of(int(s[i])), f"loss scale {v[i - 1]:g} -> {v[i]:g} at iteration {s[i]}")


def _fields(text: str) -> list[tuple[str, str]]:
    """`a: 1 | b c: 2.0E+00 |` -> [("a", "1"), ("b c", "2.0E+00")]; pieces without a colon are skipped."""
    out = []
    for piece in text.split("|"):
        key, sep, value = piece.rpartition(":")
        if sep and key.strip() and value.strip():
            out.append((key.strip(), value.strip()))
    return out


def _train_point(key: str, value: str) -> tuple[str, float]:
    name, scale = _train_name(key)
    return name, to_float(value) * scale


@functools.lru_cache(maxsize=1024)
def _train_name(key: str) -> tuple[str, float]:
    """Series name and unit factor of a record field (cached: a log repeats the same dozen keys)."""
    lower = key.lower()
    scale = 1000.0 if lower == "elapsed time per iteration (s)" else 1.0
    # Keys such as `tokens/sec/GPU` are one name, not split/metric: normalise the whole key.
    return _FIELDS.get(lower) or ALIASES.get(lower) or "train/" + _NON_NAME.sub("_", lower).strip("_"), scale


def _config_meta(config: dict[str, Any], meta: dict[str, Any], rank_params: dict[tuple[int, int], int]) -> None:
    meta["config"] = config
    for key, meta_key in _ARG_META.items():
        value = config.get(key)
        if value is not None and not isinstance(value, str) or key == "lr_decay_style" and value:
            meta.setdefault(meta_key, value)
    if "max_steps" in meta and isinstance(config.get("train_iters"), int):
        meta["max_steps"] = config["train_iters"]
    gbs, seq = config.get("global_batch_size"), config.get("seq_length")
    if isinstance(gbs, int) and isinstance(seq, int) and config.get("rampup_batch_size") in (None, "None"):
        meta["tokens_per_step"] = gbs * seq  # one iteration consumes global_batch_size sequences
    tp, pp = meta.get("tensor_parallel_size"), meta.get("pipeline_parallel_size")
    if rank_params and tp and pp and len(rank_params) == tp * pp:
        # Sum over the model-parallel shards. Megatron unties the output layer from the input embedding when
        # pipelining (pp > 1), so both copies are counted, as the model trains them.
        meta["params"] = sum(rank_params.values())



def _literal(text: str) -> Any:
    """An args-dump value: a Python literal where it is one (64, 1e-4, True, None, [..]), else the text."""
    try:
        with warnings.catch_warnings():  # SyntaxWarning on odd text would reach stderr: the library never prints
            warnings.simplefilter("ignore")
            value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return text
    return value if _plain(value) else text  # sets, bytes, complex: keep the text (meta must be JSON)


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False
