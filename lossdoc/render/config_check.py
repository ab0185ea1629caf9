"""Terminal rendering of config-check: the run's facts with their sources, parameters, tokens, schedule, eval."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..numbers import abbreviate
from .terminal import fmt

SHOWN_FACTS = (
    "init_from", "n_layer", "n_head", "n_kv_head", "n_embd", "intermediate_size", "vocab_size", "vocab_padded",
    "block_size",
    "bias", "tied_embeddings", "batch_size", "global_batch", "grad_accum", "world_size", "tokens_per_step",
    "max_steps", "lr_schedule", "lr_peak", "lr_min", "warmup_steps", "decay_steps", "dropout", "eval_interval",
    "eval_iters", "grad_clip", "gpu", "gpu_count", "dtype", "dataset", "dataset_tokens",
)


def _n(x: Any) -> str:
    from ..params import millions

    return "-" if x is None else millions(x) if isinstance(x, (int, float)) else fmt(x)


def render(console: Console, result: Any) -> None:
    """Draw a ConfigCheckResult (lossdoc.analyzers.config_check)."""
    facts = result.facts
    if result.config_name:
        console.print(f"config: [bold]{result.config_name}[/bold]", highlight=False)
    if result.full:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for col in ("fact", "value", "source"):
            table.add_column(col)
        for name in SHOWN_FACTS:
            fact = facts.fact(name)
            if fact is not None:
                table.add_row(name, fmt(fact.value), fact.source)
        console.print(table)
        console.print()
    else:
        kinds: dict[str, int] = {}
        for name in SHOWN_FACTS:
            fact = facts.fact(name)
            if fact is not None:
                kinds[fact.kind] = kinds.get(fact.kind, 0) + 1
        words = {"log": "the log", "config": "the config", "default": "defaults", "flag": "flags"}
        said = ", ".join(f"{n} from {words.get(k, k)}" for k, n in kinds.items())
        console.print(f"facts: {said or 'none'} (`lossdoc config-check` lists each with its source)",
                      highlight=False)
    p = result.params
    if p.get("computed"):
        computed = f"computed {_n(p['computed'])}"
        if p.get("computed_as_printed") != p["computed"]:
            computed += f" ({_n(p.get('computed_as_printed'))} without position embeddings)"
    else:
        computed = "computed - (the shape is not known)"
    if p.get("computed") or p.get("logged") or p.get("claimed"):
        console.print(f"[bold]Parameters[/bold]: {computed}, logged {_n(p.get('logged'))}, claimed "
                      f"{_n(p.get('claimed'))}", highlight=False)
    if p.get("formula"):
        console.print(f"  [dim]{p['formula']}[/dim]", highlight=False)
    t = result.tokens
    if t.get("per_step"):
        line = f"[bold]Tokens[/bold]: {t['per_step']:,} per step ({t.get('per_step_source')})"
        if t.get("seen"):
            line += f"; {abbreviate(t['seen'])} seen by step {t['last_step']:,}"
            if t.get("seen_logged"):
                line += f" (the log counts {abbreviate(t['seen_logged'])})"
        if t.get("planned"):
            line += f"; {abbreviate(t['planned'])} planned over {t['planned_steps']:,} steps"
        console.print(line, highlight=False)
    if t.get("chinchilla_optimal"):
        ratio = f", ratio {t['ratio']:.1f}x" if t.get("ratio") is not None else ""
        console.print(f"  Chinchilla-optimal (20 tokens/param, a rule of thumb): "
                      f"{abbreviate(t['chinchilla_optimal'])}{ratio}", highlight=False)
    if t.get("dataset"):
        epochs = t.get("epochs_seen") or t.get("epochs_planned")
        console.print(f"  data: {abbreviate(t['dataset'])} tokens" + (f", {epochs:.2f} epochs" if epochs else ""),
                      highlight=False)
    _schedule(console, result.schedule)
    e = result.evaluation
    if e.get("stderr"):
        console.print(f"[bold]Eval noise[/bold]: {e['eval_tokens']:,} tokens per eval, standard error ≈ "
                      f"{e['stderr']:.4f} ({e['stderr_assumes']})", highlight=False)
        if e.get("largest_val_rise") is not None:
            verdict = "noise" if e["largest_val_rise_is_noise"] else "beyond eval noise"
            console.print(f"  largest val rise {e['largest_val_rise']:+.4f} at step {e['largest_val_rise_step']:,}: "
                          f"{verdict} (z = {e['largest_val_rise_z']:.1f})", highlight=False)
    for note in facts.all_notes():
        console.print(f"[dim]note: {note}[/dim]", highlight=False)
    if result.ignored:
        console.print(f"[dim]{len(result.ignored)} config line(s) not read as literals, e.g. line "
                      f"{result.ignored[0][0]}: {result.ignored[0][1]}[/dim]", highlight=False)


def _schedule(console: Console, s: dict[str, Any]) -> None:
    if not s:
        return
    logged = s.get("logged")
    if not s.get("known"):
        console.print(f"[bold]LR schedule[/bold]: unknown ({s.get('reason')})", highlight=False)
        if logged and logged.get("last_share_of_highest_in_log") is not None:
            console.print(f"  logged LR: {logged['last']:.3g} at step {logged['last_step']:,} = "
                          f"{logged['last_share_of_highest_in_log']:.0%} of the highest LR in this log "
                          f"({logged['highest']:.3g})", highlight=False)
        return
    line = f"[bold]LR schedule[/bold]: {s['describe']}"
    if s.get("warmup_tokens"):
        line += f"; warmup {abbreviate(s['warmup_tokens'])} tokens"
    console.print(line, highlight=False)
    if s.get("share_of_peak_last") is not None:
        peak = "of the highest LR in this log, as logged" if s.get("lr_last_source") == "logged" else "of peak"
        console.print(f"  at the last logged step {s['last_step']:,}: LR {s['lr_last']:.3g} = "
                      f"{s['share_of_peak_last']:.0%} {peak}", highlight=False)
    if s.get("at_step") is not None:
        console.print(f"  at step {s['at_step']:,}: LR {s['lr_at']:.4g}", highlight=False)
    check = s.get("check_against_log")
    if check:
        verdict = "matches" if check["matches"] else "does not match"
        console.print(f"  {verdict} the logged LR over {check['points']:,} points (largest gap "
                      f"{check['max_err_of_peak']:.2%} of peak at step {check['worst_step']:,})", highlight=False)
