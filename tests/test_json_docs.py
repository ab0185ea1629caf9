"""docs/json.md is the JSON contract of every command, and stays true: every key path a command prints with --json
is documented there (with its type), and every documented key path is printed by at least one of the runs below.

The doc's format, as this test reads it: a `## ` heading whose first backticked token is `lossdoc NAME` (or a bare
NAME, for the shared shapes) opens section NAME; in it, each table row that starts with a backticked key path is one
key: | `path` | type | when | meaning |. Paths: `a.b`, `a[].b` (each item of the list `a`), `*` in a key (any
characters, as in a map keyed by series name), a last segment `**` (any subtree: a free-form object). Types:
string, integer, number, bool, object, array, null, any, joined by " or "; a float is never an integer (json.loads
reads `8.0` as a float), a whole float never an "integer or number". "§NAME `prefix`" in the meaning says the
key's value (each item, for a list) has the shape of section NAME under `prefix`. A "†" in the when column marks a
key the shipped example logs cannot produce: it must be documented, but no run here has to print it. A key whose
when is "always", or "with `X`" for its parent (or an ancestor) X or a sibling X that is not null, must be there.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lossdoc.cli import app

from .conftest import CORPUS, EXAMPLES, ROOT

DOC = ROOT / "docs" / "json.md"
CONFIG = ROOT / "examples" / "configs" / "train_gpt2_40m.py"
TYPES = {"string", "integer", "number", "bool", "object", "array", "null", "any"}
COMMANDS = ("formats", "show", "phases", "spikes", "gap", "mfu", "config-check", "analyze")


# --- the doc --------------------------------------------------------------------------------------------------------


@dataclass
class Row:
    section: str
    path: str
    segs: tuple[str, ...]
    types: set[str]
    rare: bool
    alias: tuple[str, tuple[str, ...]] | None  # (section, prefix) whose shape the value has
    line: int
    used: bool = False
    when: str = ""


@dataclass
class Doc:
    rows: dict[str, list[Row]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Doc({sum(map(len, self.rows.values()))} key rows in {sorted(self.rows)})"

    def section(self, name: str) -> list[Row]:
        assert name in self.rows, f"docs/json.md has no section for {name!r}"
        return self.rows[name]


def split_path(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def parse_doc(text: str) -> Doc:
    doc = Doc()
    section = None
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("## "):
            m = re.search(r"`(?:lossdoc )?([\w-]+)`", line)
            section = m.group(1) if m else None
            if section:
                doc.rows.setdefault(section, [])
            continue
        m = re.match(r"^\|\s*`([^`]+)`\s*\|", line)
        if not m or section is None:
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        assert len(cells) == 4, f"docs/json.md line {n}: a key row has 4 cells (key, type, when, meaning): {line}"
        types = {t.strip() for t in cells[1].split(" or ")}
        assert types <= TYPES, f"docs/json.md line {n}: unknown type in {cells[1]!r} (types: {sorted(TYPES)})"
        alias = None
        if a := re.search(r"§([\w-]+)(?: `([^`]+)`)?", cells[3]):
            alias = (a.group(1), split_path(a.group(2)) if a.group(2) else ())
        path = m.group(1)
        doc.rows[section].append(Row(section, path, split_path(path), types, "†" in cells[2], alias, n, when=cells[2]))
    return doc


def seg_match(pattern: str, key: str) -> bool:
    if "*" not in pattern:
        return pattern == key
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), key) is not None


def path_match(pattern: tuple[str, ...], segs: tuple[str, ...]) -> bool:
    if pattern and pattern[-1] == "**":
        head = pattern[:-1]
        return len(segs) >= len(head) and all(map(seg_match, head, segs[: len(head)]))
    return len(pattern) == len(segs) and all(map(seg_match, pattern, segs))


def lookup(doc: Doc, section: str, segs: tuple[str, ...]) -> Row | None:
    """The row that documents a key path: a row of its own, else through a § row whose value holds it."""
    rows = doc.section(section)
    for row in rows:
        if path_match(row.segs, segs):
            row.used = True
            return row
    for row in rows:
        if row.alias is None or "**" in row.segs:
            continue
        k = len(row.segs)
        if len(segs) <= k or not path_match(row.segs[:-1], segs[: k - 1]):
            continue
        if not (seg_match(row.segs[-1], segs[k - 1]) or seg_match(row.segs[-1] + "[]", segs[k - 1])):
            continue
        target, prefix = row.alias
        found = lookup(doc, target, prefix + segs[k:])
        if found is not None:
            row.used = True
            return found
    return None


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def key_paths(doc: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every key of every object, as a path; the items of a list of objects under `key[]`."""
    for key, value in doc.items():
        here = prefix + (key,)
        yield here, value
        if isinstance(value, dict):
            yield from key_paths(value, here)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    yield from key_paths(item, prefix + (key + "[]",))


def check_documented(doc: Doc, command: str, output: dict[str, Any], label: str) -> list[str]:
    problems = []
    for segs, value in key_paths(output):
        row = lookup(doc, command, segs)
        path = ".".join(segs)
        if row is None:
            problems.append(f"{label}: `{path}` is not in docs/json.md (section `{command}`)")
            continue
        if not type_ok(row.types, value):
            problems.append(f"{label}: `{path}` is {json_type(value)} ({value!r:.60}), docs/json.md line {row.line} "
                            f"says {' or '.join(sorted(row.types))}")
    return problems


def type_ok(types: set[str], value: Any) -> bool:
    """The value has one of the types. An `integer` is never a float (json.loads reads `8.0` as one), and an
    `integer or number` is a count that can be fractional, so a whole one is an integer (the Conventions)."""
    kind = json_type(value)
    if "any" in types:
        return True
    if kind == "number" and value.is_integer() and "integer" in types and types <= {"integer", "number", "null"}:
        return False
    return kind in types or (kind == "integer" and "number" in types)


def objects_at(value: Any, segs: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """The objects at a key path (each item of `a[]`, each value of a `*` key); null and absent ones are skipped."""
    if not isinstance(value, dict):
        return
    if not segs:
        yield value
        return
    head, rest = segs[0], segs[1:]
    if head.endswith("[]"):
        items = value.get(head[:-2])
        for item in items if isinstance(items, list) else []:
            yield from objects_at(item, rest)
    elif "*" in head:
        for key, child in value.items():
            if seg_match(head, key):
                yield from objects_at(child, rest)
    elif head in value:
        yield from objects_at(value[head], rest)


def required_in(row: Row, parent: dict[str, Any]) -> bool:
    """Whether the row's key must be in `parent`, an object at the row's parent path: "always" (in the object
    whenever it is there, in every item of a list), or "with `X`" where X is the parent or an ancestor (there, since
    the parent is) or a sibling that is not null."""
    if row.when == "always" or row.when.startswith("always;"):
        return True
    m = re.fullmatch(r"with `([^`]+)`", row.when)
    if not m:
        return False
    above = row.segs[:-1]
    ancestors = {".".join(above[:k]) for k in range(1, len(above) + 1)} | {s.removesuffix("[]") for s in above}
    return m.group(1) in ancestors or parent.get(m.group(1)) is not None


def check_present(doc: Doc, command: str, output: dict[str, Any], label: str) -> list[str]:
    """Every key the doc says is there ("always", "with ...") is there, as null when its value is unknown."""
    problems = []
    for row in doc.section(command):
        key = row.segs[-1]
        if "*" in key:
            continue
        for parent in objects_at(output, row.segs[:-1]):
            if key not in parent and required_in(row, parent):
                problems.append(f"{label}: `{row.path}` is absent, docs/json.md line {row.line} says "
                                f"{row.when!r}")
                break
    return problems


# --- the runs -------------------------------------------------------------------------------------------------------


def curve(step: float) -> float:
    return 3.0 + 8.0 * (1.0 + step / 50.0) ** -0.7


def write_synthetic(folder: Path) -> dict[str, Path]:
    """Small logs for what the shipped examples do not show: a rollback and a line not understood, a NaN onset, a
    rising end, two spikes, slow steps and a val rise, a failed second run, grad norms without val, a loss-scale fall
    and an MFU above 100%, a config line that is not a literal."""
    rnd = random.Random(0)
    head = ["tokens per iteration will be: 262,144", "number of parameters: 50.93M"]
    logs: dict[str, list[str]] = {}

    def nanogpt(steps: Any, loss: Any, val_every: int, val: Any = None, ms: Any = None) -> list[str]:
        lines = list(head)
        for s in steps:
            v = loss(s)
            if s % val_every == 0:
                lines.append(f"step {s}: train loss {v:.4f}, val loss {(val or (lambda s, v: v + 0.01))(s, v):.4f}")
            lines.append(f"iter {s}: loss {v:.4f}, time {(ms or (lambda s: 100.0))(s):.2f}ms, mfu 40.00%")
        return lines

    logs["rollback.log"] = nanogpt([*range(0, 1001, 10), *range(500, 1501, 10)], curve, 250) + ["a line not understood"]
    logs["nan.log"] = nanogpt(range(0, 2001, 10), lambda s: curve(s) if s < 1500 else math.nan, 250)
    rising = {s: (curve(s) if s < 2000 else curve(2000) * (1 + 0.15 * (s - 2000) / 2000)) + rnd.gauss(0, 0.01)
              for s in range(0, 4001, 10)}
    logs["rising.log"] = nanogpt(range(0, 4001, 10), rising.get, 100, lambda s, v: v + 0.02)
    two = {s: curve(s) + rnd.gauss(0, 0.005) + (1.5 if s in (800, 1400) else 0.0) for s in range(0, 2001, 10)}
    logs["echo.log"] = ["Overriding config with cfg.py:", "batch_size = 12", "block_size = 1024", "eval_iters = 200",
                        "max_iters = 3000"] + nanogpt(
        range(0, 2001, 10), two.get, 250, lambda s, v: curve(s) + (0.2 if s == 1500 else 0.01),
        lambda s: 500.0 if s % 400 == 0 and s else 100.0)
    logs["two-runs.log"] = nanogpt(range(0, 1001, 10), curve, 5000) + [
        f"iter {s}: loss {12 + s / 1000:.4f}, time 100.00ms, mfu 40.00%" for s in range(0, 1001, 10)]
    logs["main-no-val.log"] = [f"s:{s} trl:{curve(s):.4f} lr:0.000600 norm:{0.5 + rnd.random() / 10:.2f}"
                               for s in range(300)]
    logs["scale.csv"] = ["step,train/loss,train/loss_scale,train/mfu"] + [
        f"{s},{curve(s):.4f},{65536 if s < 100 else 1024},120.0" for s in range(0, 200, 2)]
    logs["nonliteral.py"] = ["import os", 'n_layer = int(os.environ["L"])', "n_head = 12", "n_embd = 768",
                             "batch_size = 12", "block_size = 1024", "max_iters = 3000"]
    paths = {}
    for name, lines in logs.items():
        paths[name] = folder / name
        paths[name].write_text("\n".join(lines) + "\n")
    (folder / "shards.json").write_text('{"steps_per_shard": 600}')
    (folder / "shards-list.json").write_text('[{"shard": "a", "start_step": 0}, {"shard": "b", "start_token": 1e9}]')
    paths["shards.json"], paths["shards-list.json"] = folder / "shards.json", folder / "shards-list.json"
    return paths


def example_runs(syn: dict[str, Path]) -> list[tuple[str, ...]]:
    """Each command with the options that bring out its optional keys, on the example logs and the logs above."""
    ex = {p.name: str(p) for p in EXAMPLES.iterdir()}
    s = {k: str(v) for k, v in syn.items()}
    nano, spiky = ex["nanogpt-gpt2-124M.log"], ex["llmc-stdout-spikes.log"]
    llmc_out, mega = ex["llmc-stdout.log"], ex["megatron-gpt-345M.log"]
    return [
        ("formats",),
        ("show", nano), ("show", mega), ("show", ex["wandb-export.csv"]), ("show", s["rollback.log"]),
        ("show", s["scale.csv"]), ("show", ex["hf-trainer_state.json"]),
        ("phases", nano, "--target", "4.0"),
        ("phases", nano, "--target", "2.0", "--project", "3000", "--price-per-hour", "20"),
        ("phases", spiky, "--project", "4000", "--price-per-gpu-hour", "2.5", "--gpus", "8"),
        ("phases", ex["table-losses.txt"], "--project", "300"),
        ("phases", ex["table-losses.txt"], "--schedule", "cosine:peak=6e-4,warmup=100,total=200", "--project", "200"),
        ("phases", ex["nanogpt-fineweb-40M.log"], "--target", "3.5"),
        ("spikes", spiky, "--shard-map", s["shards.json"]), ("spikes", nano), ("spikes", ex["hf-trainer_state.json"]),
        ("spikes", s["nan.log"]), ("spikes", s["rising.log"]),
        ("spikes", s["echo.log"], "--shard-map", s["shards-list.json"]),
        ("gap", ex["hf-trainer_state.json"]), ("gap", spiky, "--grad-clip", "0.01"), ("gap", s["main-no-val.log"]),
        ("gap", nano),
        ("mfu", nano, "--gpu", "A100", "--price-per-gpu-hour", "2"), ("mfu", llmc_out),
        ("mfu", ex["torchtitan-llama3-debug.log"]), ("mfu", s["echo.log"], "--peak-tflops", "100"),
        ("config-check", str(CONFIG), ex["nanogpt-fineweb-40M.log"], "--at", "1000"),
        ("config-check", str(CONFIG), "--dataset-tokens", "5000000000"), ("config-check", mega),
        ("config-check", llmc_out), ("config-check", ex["hf-trainer_state.json"]),
        ("config-check", s["nonliteral.py"]), ("config-check", s["echo.log"]),
        ("config-check", str(CONFIG), ex["llmc-main.log"]),
        ("analyze", spiky, "--project", "4000", "--price-per-gpu-hour", "2.5", "--gpus", "8"),
        ("analyze", mega), ("analyze", ex["wandb-export.csv"]), ("analyze", s["two-runs.log"]),
        ("analyze", ex["hf-trainer_state.json"]),
    ]


# corpus logs of other shapes (small ones: the test stays fast); every key they print must be documented
CORPUS_RUNS = [
    ("analyze", "megatron/bigscience-tr8b-104B-chronicles-excerpt-spike-overflow.log"),
    ("analyze", "megatron/bigscience-megds-3d-perf-n16-divergence.out"),
    ("analyze", "torchtitan/qwen3-14b-autoresearch-run399-10steps.log"),
    ("analyze", "nanogpt/druidowm-shakespeare-char-interrupted-output.log"),
    ("analyze", "modded-nanogpt/bosalign-valonly.txt"),
    ("mfu", "torchtitan/qwen3-14b-autoresearch-run399-10steps.log"),
    ("spikes", "megatron/bigscience-megds-3d-perf-n16-divergence.out"),
    ("gap", "nanogpt/druidowm-shakespeare-char-interrupted-output.log"),
    ("config-check", "nanogpt/yplarrywang-tinystories-50M-6000iters.log"),
    ("show", "llmc_stdout/hector-a100-allnan-cancelled.log"),
]


def invoke(args: tuple[str, ...]) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, f"lossdoc {' '.join(args)} --json: exit {result.exit_code}: {result.output}"
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def doc() -> Doc:
    return parse_doc(DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    syn = write_synthetic(tmp_path_factory.mktemp("json-docs"))
    return [(args, invoke(args)) for args in example_runs(syn)]


# --- the tests ------------------------------------------------------------------------------------------------------


def test_the_doc_has_a_section_for_every_command(doc: Doc) -> None:
    missing = [c for c in COMMANDS if not doc.rows.get(c)]
    assert not missing, f"docs/json.md has no key table for {missing}"
    for rows in doc.rows.values():
        for row in rows:
            if row.alias:
                assert row.alias[0] in doc.rows, f"docs/json.md line {row.line}: no section §{row.alias[0]}"
    paths = [(r.section, r.path) for rows in doc.rows.values() for r in rows]
    dupes = {p for p in paths if paths.count(p) > 1}
    assert not dupes, f"key paths documented twice: {sorted(dupes)}"


def test_every_key_printed_is_documented_and_every_documented_key_is_printed(doc: Doc, outputs: list) -> None:
    problems = []
    for args, output in outputs:
        problems += check_documented(doc, args[0], output, "lossdoc " + " ".join(Path(a).name for a in args))
    assert not problems, "\n".join(problems)
    unseen = [f"line {r.line}: `{r.path}` ({r.section})" for rows in doc.rows.values() for r in rows
              if not r.used and not r.rare]
    assert not unseen, ("documented in docs/json.md but printed by none of this test's runs (mark it † if no "
                        "example can produce it):\n" + "\n".join(unseen))


def test_every_key_documented_as_always_there_is_there(doc: Doc, outputs: list) -> None:
    """A key whose value is unknown is printed as null, not left out (the Conventions' "Present, null, absent")."""
    problems = []
    for args, output in outputs:
        problems += check_present(doc, args[0], output, "lossdoc " + " ".join(Path(a).name for a in args))
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not CORPUS.exists(), reason=f"corpus absent: {CORPUS}")
def test_the_corpus_logs_print_only_documented_keys(doc: Doc) -> None:
    problems = []
    for command, relative in CORPUS_RUNS:
        path = CORPUS / relative
        if not path.exists():
            pytest.skip(f"corpus file absent: {path}")
        output, label = invoke((command, str(path))), f"lossdoc {command} {relative}"
        problems += check_documented(doc, command, output, label) + check_present(doc, command, output, label)
    assert not problems, "\n".join(problems)


def test_the_reader_of_the_doc_reports_what_it_should() -> None:
    """The checks above can fail: an undocumented key and a wrong type are reported; patterns and § rows resolve."""
    fresh = parse_doc(DOC.read_text(encoding="utf-8"))
    assert check_documented(fresh, "formats", {"formats": [{"name": "x", "no_such_key": 1}]}, "t") == [
        "t: `formats[].no_such_key` is not in docs/json.md (section `formats`)"]
    assert check_documented(fresh, "formats", {"formats": [{"name": 1}]}, "t")[0].startswith(
        "t: `formats[].name` is integer (1)")
    assert check_documented(fresh, "show", {"lines": {"total": 3.0}}, "t") == [  # a count as a float: not an integer
        "t: `lines.total` is number (3.0), docs/json.md line "
        f"{lookup(fresh, 'show', ('lines', 'total')).line} says integer"]
    warmup = ("schedule", "warmup_steps")  # integer or number: a fraction passes, a whole float does not
    assert not check_documented(fresh, "config-check", {"schedule": {"warmup_steps": 12.34}}, "t")
    assert check_documented(fresh, "config-check", {"schedule": {"warmup_steps": 8.0}}, "t")
    assert not check_documented(fresh, "config-check", {"schedule": {"warmup_steps": 8}}, "t")
    assert type_ok({"number"}, 3.0) and type_ok({"number", "null"}, 3) and lookup(fresh, "config-check", warmup)
    assert lookup(fresh, "show", ("runs[]", "meta", "anything", "below")) is not None  # a free-form subtree
    assert lookup(fresh, "show", ("runs[]", "series", "val/hellaswag", "nan")) is not None  # a map keyed by name
    assert lookup(fresh, "analyze", ("sections", "phases", "projection", "calibration", "sd")) is not None  # §phases
    assert lookup(fresh, "analyze", ("sections", "phases", "no_such_key")) is None
