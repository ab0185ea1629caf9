"""The header of a modded-nanogpt record log (lossdoc/parsers/modded_nanogpt.py): the lines before its first record.

Between ``====`` separators: the embedded training script (read by _modded_script.py, never executed), then
what the script printed: a ``Hyperparameters(...)`` or ``GPTConfig(...)`` repr, the ``Running PyTorch ...``
banner, nvidia-smi's GPU rows, parameter counts, ``B=32 T=1024`` assignments. From the config they state come
the meta keys the analyzers use (max_steps, warmup_steps, warmdown_steps, batch and sequence sizes).
"""

from __future__ import annotations

import re
from typing import Any

from ._modded_script import evaluate, literal, parse_source, read_source, repr_kwargs

_RUNNING = re.compile(
    r"^Running [Pp]y[Tt]orch (\S+)(?: compiled for CUDA (\S+))?(?: on (.+?))?(?: with world_size (\d+))?\s*$"
)
_SMI_GPU = re.compile(r"^\|\s+(\d+)\s+(NVIDIA .+?|Tesla .+?|AMD .+?)\s{2,}(?:On|Off)\s+\|")
_PARAMS = re.compile(r"^\s*(Total|Embedding|Non-embedding) parameters: ([\d,]+)\s*$")
_REPR = re.compile(r"^(?:Hyperparameters: )?(Hyperparameters\(.*\))\s*$")
_MODEL_CONFIG = re.compile(r"^Model Config: (GPTConfig\(.*\))\s*$")  # tyler-romero/nanogpt-speedrun banner
_ASSIGNMENTS = re.compile(r"^(?:[A-Za-z_][\w.]*=\S+ ?)+$")  # B=32 T=1024 ddp_world_size=2 ...

# Config names that state the schedule and the batch, as the records spell them -> meta keys.
_MAX_STEPS_KEYS = ("num_iterations", "num_steps", "max_steps")
_WARMUP_KEYS = ("warmup_iters", "warmup_steps")
_WARMDOWN_KEYS = ("warmdown_iters", "cooldown_iters", "warmdown_steps")
_SEQ_KEYS = ("sequence_length", "seq_len", "train_seq_len")
CHUNK_END = "\x00"  # marks a `====` separator in the header list
_MODEL_KEYS = {
    "vocab_size": "vocab_size",
    "n_layer": "n_layer",
    "num_layers": "n_layer",
    "n_head": "n_head",
    "num_heads": "n_head",
    "n_embd": "n_embd",
    "model_dim": "n_embd",
}


def read_header(header: list[str], meta: dict[str, Any]) -> None:
    """Facts from the lines before the first record: the embedded source (via ast), banners, nvidia-smi."""
    config: dict[str, Any] = meta["config"]
    model: dict[str, Any] = {}
    gpus: list[str] = []
    chunk: list[str] = []
    for line in header + [CHUNK_END]:
        if line is not CHUNK_END:
            chunk.append(line)
            continue
        tree, used = parse_source(chunk) if chunk else (None, 0)
        if tree is not None:
            read_source(tree, config, model)
        _read_banners(chunk[used:], config, meta, gpus)  # what follows the source in the same chunk
        for line in chunk[used:]:
            if m := _MODEL_CONFIG.match(line):  # the model's shape printed as a repr (no source in these logs)
                model.update(repr_kwargs(m.group(1)))
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
            config.update(repr_kwargs(m.group(1)))  # the values the run used: they override the defaults
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
                value = literal(text)
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
    if "tokens_per_step" not in meta and isinstance(config.get("train_batch"), str):
        _train_batch_tokens(config, meta)
    if isinstance(config.get("args.batch_size"), int):
        meta["batch_size"] = config["args.batch_size"]


def _train_batch_tokens(config: dict[str, Any], meta: dict[str, Any]) -> None:
    """Tokens per step from the train loader's batch expression (newer records: ``world_size * args.seq_len``, the
    tokens across all ranks), with ``args.X`` from the Hyperparameters and the world size from the banner, else the
    GPUs nvidia-smi lists."""
    values: dict[str, Any] = {f"args.{k}": v for k, v in config.items() if isinstance(v, (int, float))
                              and not isinstance(v, bool)}
    world = meta.get("world_size") or meta.get("gpus_visible")
    if world:
        values["world_size"] = int(world)
    tokens = evaluate(config["train_batch"], values)
    if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens > 0:
        meta["tokens_per_step"] = tokens
        world_from = "" if "world_size" not in values else (
            f", world_size {values['world_size']}" + ("" if meta.get("world_size") else " (the GPUs nvidia-smi lists)"))
        meta["tokens_per_step_from"] = f"train loader batch {config['train_batch']}{world_from}"
