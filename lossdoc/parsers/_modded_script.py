"""The training script a modded-nanogpt record log starts with, read with ``ast`` and never executed.

What it states plainly: the ``Hyperparameters`` class's literal defaults, literal ``GPT(...)``/``GPTConfig(...)``
arguments (a bare name there: the literal the module binds it to once, lossdoc/parsers/_modded_scope.py), the train
loader's global batch, the floor get_lr() cools down to; without that class (track 3), the literal module-level constants.
A value is a literal or arithmetic on literals (``8*64``); names, calls and attributes are not evaluated. The
header's printed reprs (``Hyperparameters(a=1, ...)``) and ``key=value`` words are read the same way
(repr_kwargs, literal; lossdoc/parsers/_modded_header.py).
"""

from __future__ import annotations

import ast
import re
import warnings
from typing import Any

from ._modded_scope import module_calls, single_constants, substitute, train_batch

_MODEL_CALLS = {"GPT", "GPTConfig"}
_MIN_SOURCE_LINES = 20  # a chunk that fails to parse before this line is not source code
_PREFIX_TRIES = 5  # parses tried when only a prefix of the source parses (each costs ~10 ms per 1000 lines)


def _ast_parse(text: str, mode: str = "exec") -> Any:
    """ast.parse without its SyntaxWarnings (`1abc`, invalid escapes) on stderr: the library never prints."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, mode=mode)


def parse_source(lines: list[str]) -> tuple[ast.Module | None, int]:
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


def read_source(tree: ast.Module, config: dict[str, Any], model: dict[str, Any]) -> None:
    found_class = False
    names = single_constants(tree, _constant, _NOT_CONSTANT)  # bare names with one certain value
    at_module = module_calls(tree)
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
            # `GPTConfig(vocab_size=num_vocab, ...)` after `num_vocab = 50304` (2024 records); in a def, a
            # parameter could shadow the name, so there only literals count
            known = names if id(node) in at_module else {}
            for kw in node.keywords:
                if kw.arg and (value := _constant(substitute(kw.value, known))) is not _NOT_CONSTANT:
                    model.setdefault(kw.arg, value)
    # the records' GPT has no dropout; a script that names it anywhere (a module, an argument) may use it
    config["script_has_dropout"] = bool(config.get("script_has_dropout")) or _mentions_dropout(tree)
    batch = train_batch(tree, names)
    if batch is not None:
        config["train_batch"] = batch  # evaluated with the world size once the banners are read (_modded_header)
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


def _mentions_dropout(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        text = (node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else
                node.arg if isinstance(node, (ast.arg, ast.keyword)) else
                node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else "")
        if text and "dropout" in text.lower():
            return True
    return False


def evaluate(text: str, values: dict[str, Any]) -> Any:
    """An expression the script wrote (``world_size * args.seq_len``) with ``values`` for its names; None unless
    it comes to a constant."""
    try:
        node = _ast_parse(text, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    value = _constant(substitute(node, values))
    return None if value is _NOT_CONSTANT else value


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


def repr_kwargs(text: str) -> dict[str, Any]:
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


def literal(text: str) -> Any:
    """A printed value (`8*64`, `'x'`) as a constant; None unless it is one."""
    return evaluate(text, {})
