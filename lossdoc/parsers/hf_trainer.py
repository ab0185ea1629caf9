"""Hugging Face Trainer ``trainer_state.json`` (written beside every checkpoint by transformers' Trainer).

    {"global_step": 12030, "logging_steps": 500, "max_steps": 12030, "train_batch_size": 4, ...,
     "log_history": [{"epoch": 0.04, "grad_norm": 1.2, "learning_rate": 1e-05, "loss": 1.107, "step": 500},
                     {"epoch": 0.04, "eval_loss": 1.11, "eval_runtime": 5.7, "step": 500}, ...,
                     {"train_loss": 0.4, "train_runtime": 3600.1, "total_flos": 2.3e17, "step": 12030}]}

Train entries: ``loss`` -> train/loss, ``learning_rate`` -> train/lr, ``grad_norm`` -> train/grad_norm,
``epoch`` -> train/epoch, ``num_tokens`` (TRL) / ``num_input_tokens_seen`` -> train/tokens; any other number
keeps its own name under train/ (``mean_token_accuracy`` -> train/mean_token_accuracy).
Eval entries: ``eval_loss`` -> val/loss, ``eval_<name>_loss`` -> val/<name>_loss (its own series, as with
several eval sets), every other ``eval_*`` number -> val/<rest>. The eval entry's ``epoch`` repeats the train
one and is not kept twice.
The final summary entry (``train_runtime``, ``train_loss`` averaged over the whole run, ``total_flos``) and
entries without a ``step`` (``predict_*`` / ``test_*`` metrics) are not time series: they go into meta.

Line accounting: a JSON file has no meaningful lines, so the unit is the log_history entry
(``meta["lines_unit"] = "log_history entries"``): used = entries that gave points, ignored = the summary
entry and step-less entries (kept in meta), unparsed = entries that are not objects or hold no number.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..run import Run, canonical_name
from ._assemble import PointBuffer
from ._text import parse_json, read_text

NAME = "hf-trainer"
DESCRIPTION = "Hugging Face Trainer trainer_state.json (file or checkpoint directory)"
SAMPLE = '"log_history": [{"epoch": 0.04, "learning_rate": 1e-05, "loss": 1.107, "step": 500}, ...]'

LINES_UNIT = "log_history entries"

# A trainer_state.json is written with json.dumps(indent=2, sort_keys=True): "log_history" comes after a
# handful of short top-level keys, well inside the sniffed head.
_SNIFF = re.compile(r'^\ufeff?\s*\{\s*"[^"]+"\s*:[\s\S]*"log_history"\s*:\s*\[', re.S)
_SNIFF_KEYS = ("global_step", "max_steps", "logging_steps", "best_metric", "epoch")

# Top-level keys that describe the run (the Trainer's TrainerState dataclass) and are copied into meta.
_TOP_LEVEL = (
    "max_steps",
    "logging_steps",
    "eval_steps",
    "save_steps",
    "train_batch_size",
    "global_step",
    "num_train_epochs",
    "epoch",
    "total_flos",
    "num_input_tokens_seen",
    "best_metric",
    "best_global_step",
    "best_model_checkpoint",
)
# Train-entry keys with canonical names of their own (the rest go through run.canonical_name).
_TRAIN_NAMES = {
    "loss": "train/loss",
    "learning_rate": "train/lr",
    "grad_norm": "train/grad_norm",
    "epoch": "train/epoch",
    "num_tokens": "train/tokens",  # TRL SFTTrainer: cumulative tokens seen
    "num_input_tokens_seen": "train/tokens",  # Trainer(include_num_input_tokens_seen=True)
}
# Evaluation timing that every eval entry carries (eval_runtime, eval_<set>_samples_per_second, ...): the speed of
# the eval loop says nothing about training; skipped and listed in meta["skipped_keys"] so it is not lost silently.
_EVAL_TIMING = ("_runtime", "_samples_per_second", "_steps_per_second")
# Keys that only the final summary entry carries (Trainer.train() logs them once, after the last step).
_SUMMARY_KEYS = ("train_runtime", "train_samples_per_second", "train_steps_per_second")


def sniff(head: str) -> bool:
    return bool(_SNIFF.match(head)) and any(f'"{key}"' in head for key in _SNIFF_KEYS)


def parse(path: Path) -> list[Run]:
    state = _load_json(path)
    history = state.get("log_history")
    if not isinstance(history, list):
        raise InputError(f"{path}: a JSON object without a 'log_history' list; not a Trainer trainer_state.json")

    points = PointBuffer()
    used = ignored = unparsed = 0
    unparsed_sample: list[tuple[int, str]] = []
    summary: dict[str, Any] = {}
    stepless: list[dict[str, Any]] = []
    skipped: set[str] = set()
    for index, entry in enumerate(history, 1):
        if not isinstance(entry, dict):
            unparsed += 1
            unparsed_sample.append((index, json.dumps(entry)[:200]))
            continue
        step = _int(entry.get("step"))
        if any(key in entry for key in _SUMMARY_KEYS):
            summary.update({k: v for k, v in entry.items() if _is_scalar(v)})
            ignored += 1
            continue
        if step is None:
            stepless.append({k: v for k, v in entry.items() if _is_scalar(v)})
            ignored += 1
            continue
        added = _add_entry(points, step, entry, skipped)
        if added:
            used += 1
        elif any(k.startswith("eval_") and k.endswith(_EVAL_TIMING) for k in entry):
            ignored += 1  # only eval timing: recognised, skipped
        else:
            unparsed += 1
            if len(unparsed_sample) < 20:
                unparsed_sample.append((index, json.dumps(entry)[:200]))

    meta: dict[str, Any] = {
        "format": NAME,
        "source": str(path),
        "lines_unit": LINES_UNIT,
        "lines": {"total": len(history), "used": used, "ignored": ignored, "unparsed": unparsed},
        "unparsed_sample": unparsed_sample,
    }
    for key in _TOP_LEVEL:
        if key in state and _is_scalar(state[key]):
            meta[key] = state[key]
    if summary:
        meta["summary"] = summary
    if stepless:
        meta["stepless_entries"] = stepless
    if skipped:
        meta["skipped_keys"] = sorted(skipped)
    name = path.parent.name if path.name == "trainer_state.json" and path.parent.name else path.stem
    # One Trainer state is one run: a step counter going back is a resume that overwrote history.
    return points.to_runs(meta, name, split_runs=False)


def _add_entry(points: PointBuffer, step: int, entry: dict[str, Any], skipped: set[str]) -> bool:
    """Add the numbers of one log_history entry; whether it gave any point."""
    is_eval = any(key.startswith("eval_") for key in entry)
    added = False
    has_tokens = "num_tokens" in entry
    for key, value in entry.items():
        if key == "step" or not _is_number(value):
            continue
        if key.startswith("eval_") and key.endswith(_EVAL_TIMING):
            skipped.add(key)
            continue
        if key.startswith("eval_"):
            name = "val/loss" if key == "eval_loss" else canonical_name("val/" + key[len("eval_") :])
        elif is_eval and key == "epoch":
            continue  # repeats the train entry's epoch at the same step
        elif key == "num_input_tokens_seen" and has_tokens:
            continue  # TRL's num_tokens wins; both count tokens seen
        else:
            name = _TRAIN_NAMES.get(key) or canonical_name(key)
        points.add(step, name, float(value))
        added = True
    return added


def _load_json(path: Path) -> dict[str, Any]:
    log = read_text(path)
    state = parse_json(log.text.lstrip("\ufeff"), path)
    if not isinstance(state, dict):
        raise InputError(f"{path}: JSON {type(state).__name__}, not the object a trainer_state.json holds")
    return state


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))
