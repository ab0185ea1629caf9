"""The one place that knows each format's key names: readers' meta and config files -> canonical facts.

Per log format, a function reads the reader's meta (and the config the reader stored: nanoGPT's config echo,
Megatron's args dump, modded-nanogpt's Hyperparameters, llm.c's header table, HF trainer_state's top level,
Lightning's hparams.yaml) into RunFacts. Config files (``lossdoc.configs``) go through one alias table, with
nanoGPT ``train.py``'s defaults for a nanoGPT-style config, said as such. ``facts_derive`` computes what follows.
Formulas of each trainer's LR schedule are named by ``warmup_rule`` and ``step_offset``, read by schedule.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .facts import RunFacts

# karpathy/nanoGPT train.py module-level defaults (the values a config file overrides)
NANOGPT_DEFAULTS: dict[str, Any] = {
    "eval_interval": 2000, "eval_iters": 200, "dataset": "openwebtext", "gradient_accumulation_steps": 40,
    "batch_size": 12, "block_size": 1024, "n_layer": 12, "n_head": 12, "n_embd": 768, "dropout": 0.0,
    "bias": False, "learning_rate": 6e-4, "max_iters": 600000, "grad_clip": 1.0, "decay_lr": True,
    "warmup_iters": 2000, "lr_decay_iters": 600000, "min_lr": 6e-5,
}
NANOGPT_VOCAB = 50304  # nanoGPT model.py: GPT-2's 50257 padded up to a multiple of 64 when no meta.pkl
# build-nanogpt train_gpt2.py constants (karpathy/build-nanogpt): not printed by the script
BUILD_NANOGPT_DEFAULTS: dict[str, Any] = {
    "lr_peak": 6e-4, "lr_min": 6e-5, "warmup_steps": 715, "max_steps": 19073, "decay_steps": 19073,
    "lr_schedule": "cosine", "n_layer": 12, "n_head": 12, "n_embd": 768, "vocab_padded": 50304, "block_size": 1024,
}

# warmup rules (see schedule.py): the LR during warmup at schedule step s of w warmup steps
RULE_NANOGPT = "(s+1)/(w+1)"  # nanoGPT get_lr: learning_rate * (it + 1) / (warmup_iters + 1)
RULE_PLUS_ONE = "(s+1)/w"  # llm.c schedulers.h, build-nanogpt, modded-nanogpt get_lr
RULE_PLAIN = "s/w"  # Megatron OptimizerParamScheduler, HF get_*_schedule_with_warmup

# config keys (any trainer's spelling) -> fact name, for config files and hparams
KEY_ALIASES: dict[str, str] = {
    "n_layer": "n_layer", "n_layers": "n_layer", "num_layers": "n_layer", "num_hidden_layers": "n_layer",
    "n_head": "n_head", "n_heads": "n_head", "num_heads": "n_head", "num_attention_heads": "n_head",
    "num_key_value_heads": "n_kv_head", "n_kv_heads": "n_kv_head", "n_kv_head": "n_kv_head",
    "n_embd": "n_embd", "n_embed": "n_embd", "hidden_size": "n_embd", "d_model": "n_embd", "model_dim": "n_embd",
    "intermediate_size": "intermediate_size", "ffn_hidden_size": "intermediate_size",
    "vocab_size": "vocab_size", "padded_vocab_size": "vocab_padded",
    "block_size": "block_size", "seq_len": "block_size", "seq_length": "block_size",
    "sequence_length": "block_size", "max_seq_len": "block_size", "n_positions": "block_size",
    "n_ctx": "block_size", "max_position_embeddings": "block_size",
    "bias": "bias", "tie_word_embeddings": "tied_embeddings",
    "batch_size": "batch_size", "per_device_train_batch_size": "batch_size", "micro_batch_size": "batch_size",
    "device_batch_size": "batch_size", "global_batch_size": "global_batch",
    "gradient_accumulation_steps": "grad_accum", "accumulate_grad_batches": "grad_accum", "grad_accum": "grad_accum",
    "max_iters": "max_steps", "max_steps": "max_steps", "num_iterations": "max_steps", "train_iters": "max_steps",
    "learning_rate": "lr_peak", "lr": "lr_peak", "max_lr": "lr_peak", "min_lr": "lr_min",
    "warmup_iters": "warmup_steps", "warmup_steps": "warmup_steps", "lr_warmup_iters": "warmup_steps",
    "lr_decay_iters": "decay_steps", "warmdown_iters": "decay_steps", "cooldown_iters": "decay_steps",
    "dropout": "dropout", "hidden_dropout": "dropout", "resid_pdrop": "dropout",
    "eval_interval": "eval_interval", "eval_steps": "eval_interval", "val_loss_every": "eval_interval",
    "eval_iters": "eval_iters", "val_max_steps": "eval_iters",
    "grad_clip": "grad_clip", "max_grad_norm": "grad_clip", "clip_grad": "grad_clip", "max_norm": "grad_clip",
    "gradient_clip_val": "grad_clip", "dtype": "dtype", "torch_dtype": "dtype", "dataset": "dataset",
    "world_size": "world_size",
}
# keys whose presence makes a file a model/run config at all (else: "no model keys", exit 2)
MODEL_FACTS = ("n_layer", "n_head", "n_embd", "block_size", "batch_size", "max_steps", "lr_peak", "vocab_size")
NANOGPT_SIGNS = ("n_embd", "gradient_accumulation_steps", "max_iters", "lr_decay_iters", "warmup_iters", "n_layer",
                 "init_from")


def _put(facts: RunFacts, values: dict[str, Any], key: str, name: str, where: str, scale: float = 1) -> None:
    value = values.get(key)
    if value is None or isinstance(value, (dict, list)):
        return
    if isinstance(value, str):
        value = _number(value)
        if value is None:
            return
    facts.set(name, value * scale if scale != 1 else value, f"{where} {key}")


def _number(text: str) -> int | float | None:
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return None
    return int(number) if number.is_integer() and "e" not in text.lower() and "." not in text else number


def _kind(style: Any) -> str | None:
    style = str(style).lower()
    for word, kind in (("cos", "cosine"), ("wsd", "wsd"), ("linear", "linear"), ("const", "constant")):
        if word in style:
            return kind
    return None


# ---- log formats --------------------------------------------------------------------------------------------


def _nanogpt(meta: dict[str, Any], facts: RunFacts) -> None:
    config = meta.get("config") or {}
    echo = "log: nanoGPT config echo"
    for key, value in config.items():
        name = KEY_ALIASES.get(key)
        if name and isinstance(value, (int, float, str, bool)):
            facts.set(name, value, f"{echo} {key}")
    if meta.get("padded_vocab_size"):
        facts.set("vocab_padded", meta["padded_vocab_size"], "log: nanoGPT defaulting to vocab_size")
    if config:  # the run used train.py with this config: its missing keys are train.py's defaults
        _nanogpt_pretrained(config, facts, echo)
        _nanogpt_defaults(config, facts)
    facts.set("trainer", "nanoGPT train.py", "log: nanoGPT format")


# nanoGPT model.py GPT.from_pretrained: the OpenAI checkpoints' shapes (n_layer, n_head, n_embd), with vocab 50257
# (not padded), block 1024 and biases; train.py copies them over the config's own (a smaller block_size crops)
GPT2_PRETRAINED = {"gpt2": (12, 12, 768), "gpt2-medium": (24, 16, 1024), "gpt2-large": (36, 20, 1280),
                   "gpt2-xl": (48, 25, 1600)}


def _nanogpt_pretrained(values: dict[str, Any], facts: RunFacts, where: str) -> None:
    """The model a nanoGPT fine-tune (init_from = 'gpt2-xl') trains: the checkpoint's, not train.py's defaults
    (config/finetune_shakespeare.py was counted as a 124M model, not GPT-2 XL's 1.56B)."""
    init = values.get("init_from")
    shape = GPT2_PRETRAINED.get(init) if isinstance(init, str) else None
    if shape is None:
        return
    source = f"{where} init_from {init!r} (nanoGPT model.py from_pretrained)"
    facts.set("init_from", init, source)
    for name, value in zip(("n_layer", "n_head", "n_embd"), shape, strict=True):
        facts.set(name, value, source)
    block = values.get("block_size")
    facts.set("block_size", min(block, 1024) if isinstance(block, int) and block > 0 else 1024, source)
    facts.set("vocab_size", 50257, source)
    facts.set("vocab_padded", 50257, source)
    facts.set("bias", True, source)


def _nanogpt_defaults(values: dict[str, Any], facts: RunFacts) -> None:
    where = "default: nanoGPT train.py"
    if values.get("eval_only") is True:  # config/eval_gpt2*.py
        facts.notes.append("eval_only = True: train.py evaluates the model once and trains no step; the steps, "
                           "tokens and LR schedule shown are train.py's defaults, unused")
    for key, value in NANOGPT_DEFAULTS.items():
        if key not in values and KEY_ALIASES.get(key):
            facts.set(KEY_ALIASES[key], value, f"{where} {key}")
    facts.assume("vocab_padded", "vocab 50304 assumed (nanoGPT's default); train.py takes it from "
                 "data/<dataset>/meta.pkl when that exists (65 for shakespeare_char), which lossdoc does not load "
                 "(a pickle); --vocab sets it")
    facts.set("vocab_padded", NANOGPT_VOCAB, "default: nanoGPT model.py (GPT-2 50257 padded to 50304)")
    facts.set("vocab_size", 50257, "default: nanoGPT GPT-2 tokenizer")
    decay = values.get("decay_lr", NANOGPT_DEFAULTS["decay_lr"])
    facts.set("lr_schedule", "cosine" if decay else "constant", "config: decay_lr" if "decay_lr" in values else
              f"{where} decay_lr")
    facts.set("warmup_rule", RULE_NANOGPT, f"{where} get_lr")
    facts.set("architecture", "gpt2", f"{where} (model.py GPT)")
    facts.set("tied_embeddings", True, "default: nanoGPT model.py (wte shared with lm_head)")


_LLMC_HEADER = {
    "num_layers L": "n_layer", "num_heads NH": "n_head", "channels C": "n_embd", "vocab_size V": "vocab_size",
    "padded_vocab_size Vp": "vocab_padded", "max_sequence_length T": "block_size", "sequence length T": "block_size",
    "micro batch size B": "batch_size", "total batch size": "tokens_per_step", "learning rate (LR)": "lr_peak",
    "warmup iterations": "warmup_steps", "val_loss_every": "eval_interval", "val_max_steps": "eval_iters",
    "num_parameters": "params_logged", "num_processes": "gpu_count",
}


def _llmc_stdout(meta: dict[str, Any], facts: RunFacts) -> None:
    header = meta.get("header") or {}
    for key, name in _LLMC_HEADER.items():
        _put(facts, header, key, name, "log: llm.c header")
    if header.get("device"):
        facts.set("gpu", header["device"], "log: llm.c header device")
    if header.get("precision"):
        facts.set("dtype", header["precision"].lower(), "log: llm.c header precision")
    if header.get("train data pattern"):
        facts.set("dataset", header["train data pattern"], "log: llm.c header train data pattern")
    steps = _number(str(header.get("max_steps", "-1"))) or -1
    if steps > 0:
        facts.set("max_steps", steps, "log: llm.c header max_steps")
    _put(facts, header, "train_num_batches", "max_steps", "log: llm.c header")
    facts.set("decay_steps", facts.get("max_steps"), "log: llm.c (the cosine ends at train_num_batches)")
    kind = _kind(header.get("LR scheduler", "cosine"))
    facts.set("lr_schedule", kind, "log: llm.c header LR scheduler" if "LR scheduler" in header else
              "default: llm.c train_gpt2.cu (cosine)")
    frac = _number(str(header["final LR fraction"])) if "final LR fraction" in header else None
    if facts.get("lr_peak") is not None and frac is not None:
        facts.set("lr_min", facts.get("lr_peak") * frac, "log: llm.c header final LR fraction × LR")
    if facts.get("vocab_size") and "vocab_padded" not in facts:
        padded = -(-int(facts.get("vocab_size")) // 128) * 128
        facts.set("vocab_padded", padded, "default: llm.c pads V to a multiple of 128")
    facts.set("warmup_rule", RULE_PLUS_ONE, "default: llm.c schedulers.h (step+1)/warmup")
    facts.set("step_offset", 1, "default: llm.c stdout prints step+1")
    facts.set("trainer", "llm.c train_gpt2.cu", "log: llm.c stdout format")
    facts.set("architecture", "gpt2", "log: llm.c GPT-2")
    facts.set("bias", True, "default: llm.c GPT-2 (biases everywhere)")
    facts.set("tied_embeddings", True, "default: llm.c GPT-2")


def _llmc_main(meta: dict[str, Any], facts: RunFacts) -> None:
    facts.set("trainer", "llm.c train_gpt2.cu", "log: llm.c main.log format")
    facts.set("warmup_rule", RULE_PLUS_ONE, "default: llm.c schedulers.h (step+1)/warmup")
    facts.set("step_offset", 0, "default: llm.c main.log logs the 0-based step")
    facts.set("lr_schedule", "cosine", "default: llm.c train_gpt2.cu (cosine)")


_MEGATRON_ARGS = {
    "num_layers": "n_layer", "num_attention_heads": "n_head", "hidden_size": "n_embd",
    "ffn_hidden_size": "intermediate_size", "seq_length": "block_size", "micro_batch_size": "batch_size",
    "global_batch_size": "global_batch", "train_iters": "max_steps", "lr": "lr_peak", "min_lr": "lr_min",
    "hidden_dropout": "dropout", "eval_interval": "eval_interval", "eval_iters": "eval_iters",
    "clip_grad": "grad_clip", "world_size": "world_size",
}


def _megatron(meta: dict[str, Any], facts: RunFacts) -> None:
    args = meta.get("config") or {}
    where = "log: Megatron args"
    for key, name in _MEGATRON_ARGS.items():
        _put(facts, args, key, name, where)
    if meta.get("padded_vocab_size"):
        facts.set("vocab_padded", meta["padded_vocab_size"], "log: Megatron padded vocab")
    for key, name in (("tensor_parallel_size", "tensor_parallel"), ("pipeline_parallel_size", "pipeline_parallel"),
                      ("data_parallel_size", "world_size"), ("world_size", "gpu_count")):
        _put(facts, meta, key, name, "log: Megatron")  # Megatron's world size counts every GPU, DP x TP x PP
    if args.get("lr_decay_style"):
        facts.set("lr_schedule", _kind(args["lr_decay_style"]), f"{where} lr_decay_style")
    gbs = args.get("global_batch_size") or meta.get("batch_size")
    if args.get("train_samples") and gbs:
        facts.set("max_steps", int(args["train_samples"] // gbs), f"{where} train_samples / global_batch_size")
    decay = args.get("lr_decay_iters") or (args.get("lr_decay_samples") or 0) / (gbs or 1) or facts.get("max_steps")
    src = "lr_decay_iters" if args.get("lr_decay_iters") else "lr_decay_samples" if args.get("lr_decay_samples") \
        else "train_iters (lr_decay_iters unset)"
    facts.set("decay_steps", decay or None, f"{where} {src}")
    if args.get("lr_warmup_fraction") is not None and decay:
        facts.set("warmup_steps", args["lr_warmup_fraction"] * decay, f"{where} lr_warmup_fraction × decay iters")
    elif args.get("lr_warmup_samples") and gbs:
        facts.set("warmup_steps", args["lr_warmup_samples"] / gbs, f"{where} lr_warmup_samples / global batch")
    else:
        _put(facts, args, "lr_warmup_iters", "warmup_steps", where)
    if args:
        facts.set("lr_min", 0.0, "default: Megatron min_lr 0.0")
    if args.get("bf16") or args.get("fp16"):
        facts.set("dtype", "bf16" if args.get("bf16") else "fp16", f"{where} {'bf16' if args.get('bf16') else 'fp16'}")
    if isinstance(args.get("data_path"), list) and args["data_path"]:
        facts.set("dataset", str(args["data_path"][-1]), f"{where} data_path")
    facts.set("warmup_rule", RULE_PLAIN, "default: Megatron OptimizerParamScheduler (num_steps / warmup_steps)")
    facts.set("trainer", "Megatron-LM", "log: Megatron format")
    facts.set("architecture", "megatron-gpt", "log: Megatron GPT")
    facts.set("tied_embeddings", True, "default: Megatron GPT (output layer shares the embedding)")


def _modded(meta: dict[str, Any], facts: RunFacts) -> None:
    where = "log: modded-nanogpt Hyperparameters"
    config = meta.get("config") or {}
    if "device_batch_size" in meta:
        facts.set("batch_size", meta["device_batch_size"], f"{where} device_batch_size")
    if "batch_size" in meta:
        facts.set("global_batch", meta["batch_size"], f"{where} batch_size")
    _put(facts, meta, "warmdown_steps", "decay_steps", where)
    _put(facts, config, "learning_rate", "lr_peak", where)
    if meta.get("max_steps") and meta.get("warmdown_steps") is not None:
        facts.set("lr_schedule", "wsd", "log: modded-nanogpt get_lr (warmup, constant, linear warmdown)")
        if meta.get("lr_floor") is not None:
            facts.set("lr_min", meta["lr_floor"], "log: modded-nanogpt get_lr floor")
        elif "cooldown_frac" in meta:
            facts.notes.append("modded-nanogpt cooldown: the LR floor in get_lr was not read; 0 assumed")
        else:
            facts.set("lr_min", 0.0, "log: modded-nanogpt get_lr (warmdown to 0)")
    facts.set("warmup_rule", RULE_PLUS_ONE, "default: modded-nanogpt get_lr (it+1)/warmup_iters")
    _put(facts, meta, "gpus_visible", "gpu_count", "log: nvidia-smi")
    _put(facts, meta, "params_non_embedding", "params_non_embedding_logged", "log: modded-nanogpt")
    if config.get("script_has_dropout") is False:
        facts.set("dropout", 0.0, "log: modded-nanogpt embedded train_gpt.py (no dropout anywhere in it)")
    if meta.get("tokens_per_step_from"):  # newer records: from the train loader's batch, not a Hyperparameter
        facts.set("tokens_per_step", meta["tokens_per_step"], f"log: modded-nanogpt {meta['tokens_per_step_from']}")
    facts.set("trainer", "modded-nanogpt train_gpt.py", "log: modded-nanogpt format")


def _hf(meta: dict[str, Any], facts: RunFacts) -> None:
    where = "log: trainer_state.json"
    _put(facts, meta, "train_batch_size", "batch_size", where)
    _put(facts, meta, "eval_steps", "eval_interval", where)
    _hf_beside(meta, facts)
    facts.set("trainer", "HF Trainer", "log: trainer_state.json")
    facts.set("warmup_rule", RULE_PLAIN, "default: transformers get_scheduler (step / warmup)")
    facts.set("grad_clip", 1.0, "default: transformers TrainingArguments max_grad_norm 1.0")  # training_args wins


def _hf_beside(meta: dict[str, Any], facts: RunFacts) -> None:
    """A checkpoint directory holds config.json (and training_args.json) beside trainer_state.json: the run's own."""
    from pathlib import Path

    from .configs import read_config
    from .errors import InputError

    source = meta.get("source")
    if not source:
        return
    folder = Path(str(source))
    folder = folder if folder.is_dir() else folder.parent
    for name in ("config.json", "training_args.json"):
        if (folder / name).is_file():
            try:
                config = read_config(folder / name)
            except InputError as exc:
                facts.notes.append(f"{name} beside the log not read: {exc}")
                return
            own = RunFacts()
            from_config(config, own)
            for fact_name, fact in own.facts.items():
                if fact_name not in facts:
                    facts.set(fact_name, fact.value, "log: checkpoint " + fact.source.removeprefix("config: "))
            return


# torchtitan model families whose every flavor has one vocabulary (the embedding rows: the initial loss is ~ln of
# it); llama3's debugmodel is left out, as its test tokenizer is not Llama 3's
TORCHTITAN_VOCAB = {"qwen3": 151_936, "llama3": 128_256}


def _torchtitan(meta: dict[str, Any], facts: RunFacts) -> None:
    model = str(meta.get("model") or "").split()
    if len(model) == 2 and model[0] in TORCHTITAN_VOCAB and model[1] != "debugmodel":
        vocab = TORCHTITAN_VOCAB[model[0]]
        name = " ".join(model)
        facts.set("vocab_size", vocab, f"log: torchtitan model '{name}' ({model[0]}'s {vocab:,} embedding rows)")
    if "local_batch_size" in meta:
        facts.set("batch_size", meta["local_batch_size"], "log: torchtitan local batch size")
    if "batch_size" in meta:
        facts.set("global_batch", meta["batch_size"], "log: torchtitan global batch size")
    _put(facts, meta, "world_size", "gpu_count", "log: torchtitan")
    facts.set("trainer", "torchtitan", "log: torchtitan format")


def _build_nanogpt(meta: dict[str, Any], facts: RunFacts) -> None:
    facts.set("trainer", "build-nanogpt train_gpt2.py", "log: build-nanogpt format")
    if meta.get("variant") == "stdout" and meta.get("tokens_per_step"):
        # the script's constants, not printed: used only where the log is the script's own stdout
        for name, value in BUILD_NANOGPT_DEFAULTS.items():
            facts.set(name, value, f"default: build-nanogpt train_gpt2.py {name}")
        facts.set("warmup_rule", RULE_PLUS_ONE, "default: build-nanogpt get_lr (it+1)/warmup_steps")
        facts.set("architecture", "gpt2", "default: build-nanogpt GPT")
        facts.set("bias", True, "default: build-nanogpt GPT (nn.Linear and LayerNorm with bias)")


def _lightning(meta: dict[str, Any], facts: RunFacts) -> None:
    hparams = meta.get("hparams")
    if isinstance(hparams, dict):
        flat: dict[str, Any] = {}
        _flat(hparams, flat)
        for key, value in flat.items():
            if KEY_ALIASES.get(key):
                facts.set(KEY_ALIASES[key], value, f"log: hparams.yaml {key}")
    facts.set("trainer", "PyTorch Lightning", "log: Lightning CSVLogger")


def _flat(data: dict[str, Any], out: dict[str, Any], depth: int = 0) -> None:
    for key, value in data.items():
        if isinstance(value, dict) and depth < 4:
            _flat(value, out, depth + 1)
        elif isinstance(value, (int, float, str, bool)):
            out.setdefault(str(key), value)


FORMAT_FACTS: dict[str, Callable[[dict[str, Any], RunFacts], None]] = {
    "nanogpt": _nanogpt, "llmc-stdout": _llmc_stdout, "llmc": _llmc_main, "megatron": _megatron,
    "modded-nanogpt": _modded, "hf-trainer": _hf, "torchtitan": _torchtitan, "build-nanogpt": _build_nanogpt,
    "lightning-csv": _lightning,
}

# run.meta keys every reader uses in the same sense -> fact name (batch sizes differ by reader: per format)
_META_FACTS = {
    "params": "params_logged", "tokens_per_step": "tokens_per_step", "vocab_size": "vocab_size",
    "max_steps": "max_steps", "block_size": "block_size", "grad_accum_steps": "grad_accum",
    "world_size": "world_size", "warmup_steps": "warmup_steps", "gpu": "gpu", "n_layer": "n_layer",
    "n_head": "n_head", "n_embd": "n_embd", "learning_rate": "lr_peak", "eval_interval": "eval_interval",
    "dtype": "dtype",
}
_META_SOURCE = {
    "params": "number of parameters", "tokens_per_step": "tokens per step", "vocab_size": "vocab size",
    "max_steps": "planned steps",
}


def from_meta(meta: dict[str, Any], facts: RunFacts) -> None:
    fmt = meta.get("format", "log")
    handler = FORMAT_FACTS.get(fmt)
    if handler is not None:  # first: it knows what the format's keys mean; the shared keys only fill gaps
        handler(meta, facts)
    for key, name in _META_FACTS.items():
        if meta.get(key) is not None and name not in facts:
            facts.set(name, meta[key], f"log: {fmt} {_META_SOURCE.get(key, key)}")
    if meta.get("lr_schedule") and "lr_schedule" not in facts:
        facts.set("lr_schedule", _kind(meta["lr_schedule"]), f"log: {fmt} lr schedule")


# ---- config files -------------------------------------------------------------------------------------------


def from_config(config: Any, facts: RunFacts) -> None:
    """A ConfigFile's values -> facts (source ``config: <file> line N``), claims from its comments."""
    values = config.values
    if config.kind == "python":  # before the config's own keys: train.py takes the checkpoint's shape over them
        _nanogpt_pretrained(values, facts, f"config: {config.where.get('init_from', config.name)}")
    for key, value in values.items():
        name = KEY_ALIASES.get(key)
        if not name or isinstance(value, (list, dict)):
            continue
        if config.kind == "hf" and key == "max_position_embeddings" and "n_positions" in values:
            continue
        if config.kind == "toml" and value == -1:  # torchtitan's "unset" (global_batch_size = -1)
            continue
        facts.set(name, value, f"config: {config.where.get(key, config.name)}")
    if config.kind == "python" and all(k in values for k in BUILD_NANOGPT_SIGNS):
        _build_nanogpt_script(values, facts, config)
    elif config.kind == "python" and any(k in values for k in NANOGPT_SIGNS):
        _nanogpt_defaults(values, facts)
        facts.set("trainer", "nanoGPT train.py", f"config: {config.name} (nanoGPT-style keys)")
    elif config.kind == "hf":
        _hf_config(values, facts, config)
    elif config.kind == "toml" and ("training.steps" in values or "model.flavor" in values):
        from .facts_torchtitan import from_torchtitan_config

        from_torchtitan_config(values, facts, config.where, config.name)
    _claims(config, facts)


# build-nanogpt's train_gpt2.py given as the config: its own names (B, T, total_batch_size, max_lr), not nanoGPT's
BUILD_NANOGPT_SIGNS = ("total_batch_size", "B", "T", "max_lr")


def _build_nanogpt_script(values: dict[str, Any], facts: RunFacts, config: Any) -> None:
    """build-nanogpt train_gpt2.py: B sequences of T tokens a micro-step, total_batch_size tokens a step, get_lr a
    warmup of (it+1)/warmup_steps then a cosine to min_lr at max_steps; GPT-2 with biases, a tied head and the
    vocab padded to 50304 (GPT(GPTConfig(vocab_size=50304)), a call lossdoc does not evaluate)."""
    def at(key: str) -> str:
        return f"config: {config.where.get(key, config.name)}"

    facts.set("trainer", "build-nanogpt train_gpt2.py", f"config: {config.name} (build-nanogpt names)")
    facts.set("batch_size", values["B"], at("B"))
    facts.set("block_size", values["T"], at("T"))
    facts.set("tokens_per_step", values["total_batch_size"], at("total_batch_size"))
    if values.get("max_steps"):
        facts.set("decay_steps", values["max_steps"], f"{at('max_steps')} (get_lr decays to min_lr at max_steps)")
    facts.set("lr_schedule", "cosine", "default: build-nanogpt get_lr (warmup, then cosine to min_lr)")
    facts.set("warmup_rule", RULE_PLUS_ONE, "default: build-nanogpt get_lr (it+1)/warmup_steps")
    facts.set("architecture", "gpt2", "default: build-nanogpt GPT")
    facts.set("bias", True, "default: build-nanogpt GPT (nn.Linear and LayerNorm with bias)")
    facts.set("tied_embeddings", True, "default: build-nanogpt GPT (wte shared with lm_head)")
    facts.set("vocab_padded", 50304, "default: build-nanogpt train_gpt2.py GPT(GPTConfig(vocab_size=50304))")


def _hf_config(values: dict[str, Any], facts: RunFacts, config: Any) -> None:
    llama = "intermediate_size" in values or str(values.get("model_type", "")).lower() in (
        "llama", "mistral", "qwen2", "qwen3", "gemma")
    where = f"config: {config.name}"
    if llama:
        facts.set("architecture", "llama", f"{where} model_type {values.get('model_type', '?')}")
        _llama_variant(values, facts, where)
        facts.set("tied_embeddings", bool(values.get("tie_word_embeddings", False)),
                  f"{where} tie_word_embeddings" if "tie_word_embeddings" in values else
                  "default: transformers LlamaConfig tie_word_embeddings=False")
    elif values.get("model_type") == "gpt2" or "n_embd" in values:
        facts.set("architecture", "gpt2", f"{where} model_type gpt2")
        facts.set("bias", True, "default: transformers GPT2 (Conv1D and LayerNorm with bias)")
        facts.set("tied_embeddings", True, "default: transformers GPT2 ties lm_head")
    if "lr_scheduler_type" in values:
        facts.set("lr_schedule", _kind(values["lr_scheduler_type"]), f"{where} lr_scheduler_type")
    elif "learning_rate" in values:
        facts.set("lr_schedule", "linear", "default: transformers TrainingArguments lr_scheduler_type linear")
    if "learning_rate" in values:
        facts.set("lr_min", 0.0, "default: transformers linear/cosine schedules end at 0")
        facts.set("warmup_rule", RULE_PLAIN, "default: transformers get_scheduler (step / warmup)")
        facts.set("trainer", "HF Trainer", where)
        if "warmup_steps" not in values or not values["warmup_steps"]:
            ratio = values.get("warmup_ratio") or 0.0
            if facts.get("max_steps"):
                facts.set("warmup_steps", int(-(-ratio * facts.get("max_steps") // 1)), f"{where} warmup_ratio")


def _llama_variant(values: dict[str, Any], facts: RunFacts, where: str) -> None:
    """What a Llama-family config.json says beyond the shape: the heads' width, attention biases, q/k norms
    (transformers: Qwen2Attention has q, k and v biases; LlamaAttention biases all four with attention_bias;
    Qwen3Attention norms q and k over head_dim)."""
    model_type = str(values.get("model_type", "")).lower()
    if isinstance(values.get("head_dim"), int) and values["head_dim"] > 0:
        facts.set("head_dim", values["head_dim"], f"{where} head_dim")
    if model_type == "qwen2":
        facts.set("attention_bias", "qkv", f"{where} model_type qwen2 (transformers Qwen2Attention)")
    elif values.get("attention_bias") is True:
        facts.set("attention_bias", "qkvo", f"{where} attention_bias")
    if model_type == "qwen3":
        facts.set("qk_norm", True, f"{where} model_type qwen3 (transformers Qwen3Attention q_norm, k_norm)")


def _claims(config: Any, facts: RunFacts) -> None:
    from .params import param_claim

    for line in sorted(config.comments):
        claim = param_claim(config.comments[line])
        if claim is not None:
            facts.set("params_claimed", claim, f"config: {config.name} line {line} comment")
            return
