"""A config given on the command line (--config, config-check CONFIG): read it, check that it is a model config
and that it belongs to the LOG, add its facts to the run's, and find the data budget (train.bin)."""

from __future__ import annotations

from typing import Any

from ..facts import run_facts
from ..params import millions as _count

SHAPE_FACTS = ("n_layer", "n_head", "n_embd")  # a config whose shape differs from the log's is another run's
MATCH_PARAMS_TOL = 0.2  # the config's count within 20% of the logged one, else it is not this run's config


def attach(run: Any, path: Any, dataset_tokens: int | None = None) -> Any:
    """Read CONFIG, check it is a model config and belongs to LOG, add its facts to the run's; find train.bin.
    Raises InputError (one line, exit 2) for an unreadable config, one with no model keys, or a mismatch."""
    from pathlib import Path

    from ..configs import read_config
    from ..errors import InputError
    from ..facts import attach_config, facts_from_config, set_flag
    from ..facts_map import MODEL_FACTS

    config = read_config(path)
    own = facts_from_config(config)
    if not any(own.fact(n) is not None and own.fact(n).kind == "config" for n in MODEL_FACTS):
        raise InputError(f"{path}: no model or training keys (n_layer, n_embd, batch_size, max_iters, "
                         f"learning_rate...) were read as literals ({len(config.ignored)} line(s) ignored)")
    log = run_facts(run)
    for name in SHAPE_FACTS:
        a, b = log.fact(name), own.fact(name)
        if a is not None and b is not None and a.kind == "log" and b.kind == "config" and a.value != b.value:
            raise InputError(f"the log does not match {Path(str(path)).name}: the config says {name} {b.value}, "
                             f"the log says {a.value} ({a.source})")
    logged, computed = log.get("params_logged"), own.get("params_computed")
    stated = log.fact("n_embd") is not None and log.fact("n_embd").kind == "log"
    if logged and computed and not stated:
        near = min((computed, own.get("params_computed_printed")), key=lambda c: abs(c - logged))
        if abs(near - logged) > MATCH_PARAMS_TOL * logged:
            raise InputError(f"the log does not match {Path(str(path)).name}: the log prints {_count(logged)} "
                             f"parameters, the config builds {_count(near)}")
    attach_config(run, config)
    run._config = config  # its comments and ignored lines, for the config-check section of analyze
    if dataset_tokens is not None:
        set_flag(run, "dataset_tokens", int(dataset_tokens), "--dataset-tokens")
    else:
        _train_bin(run, Path(str(path)))
    return config


def _train_bin(run: Any, path: Any) -> None:
    """nanoGPT reads data/<dataset>/train.bin (uint16 tokens): its size / 2 is the data budget."""
    facts = run_facts(run)
    dataset = facts.get("dataset")
    if not isinstance(dataset, str) or "dataset_tokens" in facts:
        return
    base = path.parent if path.is_file() else path
    for root in (base, base.parent, type(base)(".")):
        candidate = root / "data" / dataset / "train.bin"
        if candidate.is_file():
            size = candidate.stat().st_size
            facts.set("dataset_tokens", size // 2, f"computed: {candidate} {size:,} bytes / 2 (uint16 tokens)")
            return
