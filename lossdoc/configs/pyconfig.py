"""A nanoGPT-style Python config (``config/train_gpt2.py``) read with ``ast``: nothing in it is ever executed.

What is read: assignments of literals (numbers, strings, booleans, None, lists/tuples of them), simple arithmetic
on them (``4 * 1024``, ``5e-4 / 10``, ``2**19``), names assigned earlier in the file (``lr_decay_iters =
max_iters``), the fields of a class body (a ``Hyperparameters`` dataclass). Everything else (imports, calls,
attributes, comprehensions, f-strings...) is "not a literal, ignored" with its line. Comments are kept by line,
to read the claims they make ("# ~125M parameters").

Bounds, so that no input can hang or exhaust the reader: a size cap on the file, a depth cap on expressions,
exponents and results kept within float range, strings built by arithmetic capped in length. A file that
``ast`` cannot parse as a whole (a syntax error, too deep a nesting) is read statement by statement, line by
line, and the lines that fail are reported.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError

MAX_BYTES = 8 * 1024 * 1024  # a config is a few KB; refuse what cannot be one
MAX_DEPTH = 40  # expression nesting levels evaluated (nanoGPT configs use 2-3)
MAX_MAGNITUDE = 1e308  # float range: a result beyond it is refused, never computed as a big integer
MAX_STRING = 10_000  # characters a string built by arithmetic may reach
MAX_LINE_PARSE = 20_000  # characters of a line that is parsed; a longer line (no config has one) is reported
MAX_COMMENT = 2_000  # characters of a comment kept (a claim is a few words)

_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}


class NotLiteral(Exception):
    """An expression the reader does not evaluate; the message says what it was."""


@dataclass
class PyConfig:
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # key -> line of its (last) assignment
    comments: dict[int, str] = field(default_factory=dict)  # line -> comment text without '#'
    ignored: list[tuple[int, str]] = field(default_factory=list)  # (line, "what: reason")
    decode_errors: int = 0


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check(value: Any) -> Any:
    if _number(value) and (isinstance(value, float) and not math.isfinite(value) or abs(value) > MAX_MAGNITUDE):
        raise NotLiteral("a number beyond float range")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise NotLiteral("a string longer than 10,000 characters")
    return value


def _power(base: Any, exp: Any) -> Any:
    if not (_number(base) and _number(exp)):
        raise NotLiteral("a power of a non-number")
    if base != 0 and abs(base) != 1 and exp > 0 and exp * math.log10(abs(base)) > 308:
        raise NotLiteral("a power beyond float range")  # 10**10**10 stops here, before any big integer
    if base == 0 and exp < 0:
        raise NotLiteral("division by zero")
    return _check(base**exp)


def _binop(op: ast.operator, left: Any, right: Any) -> Any:
    kind = type(op)
    if kind not in _BINOPS:
        raise NotLiteral(f"operator {kind.__name__}")
    if kind is ast.Pow:
        return _power(left, right)
    if isinstance(left, str) or isinstance(right, str) or isinstance(left, list) or isinstance(right, list):
        if kind is ast.Mult:
            count = right if _number(right) else left
            other = left if _number(right) else right
            if not isinstance(count, int) or count * len(other) > MAX_STRING:
                raise NotLiteral("a repeated string or list too long")
        elif kind is not ast.Add or type(left) is not type(right):
            raise NotLiteral("arithmetic on strings")
    elif not (_number(left) and _number(right)) and not all(isinstance(x, bool) for x in (left, right)):
        raise NotLiteral("arithmetic on non-numbers")
    if kind in (ast.Div, ast.FloorDiv, ast.Mod) and right == 0:
        raise NotLiteral("division by zero")
    return _check(_BINOPS[kind](left, right))


def evaluate(node: ast.AST, known: dict[str, Any], depth: int = 0) -> Any:
    """The value of a literal expression; raises NotLiteral for anything that would need executing."""
    if depth > MAX_DEPTH:
        raise NotLiteral("nested too deeply")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float, str, bool)) or node.value is None:
            return _check(node.value)
        raise NotLiteral(f"a {type(node.value).__name__} constant")
    if isinstance(node, ast.UnaryOp):
        value = evaluate(node.operand, known, depth + 1)
        if isinstance(node.op, ast.Not):
            return not value
        if not _number(value):
            raise NotLiteral("a sign on a non-number")
        return -value if isinstance(node.op, ast.USub) else +value if isinstance(node.op, ast.UAdd) else _bad(node)
    if isinstance(node, ast.BinOp):
        return _binop(node.op, evaluate(node.left, known, depth + 1), evaluate(node.right, known, depth + 1))
    if isinstance(node, (ast.List, ast.Tuple)):
        if len(node.elts) > MAX_STRING:
            raise NotLiteral("a list too long")
        return [evaluate(e, known, depth + 1) for e in node.elts]
    if isinstance(node, ast.Name):
        if node.id in ("True", "False", "None"):  # Python 2 style names are not in Constant
            return {"True": True, "False": False, "None": None}[node.id]
        if node.id in known:
            return known[node.id]
        raise NotLiteral(f"name {node.id!r} not assigned earlier")
    return _bad(node)


def _bad(node: ast.AST) -> Any:
    what = {
        ast.Call: "a call", ast.Attribute: "an attribute", ast.Subscript: "a subscript",
        ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension", ast.DictComp: "a comprehension",
        ast.SetComp: "a comprehension", ast.Lambda: "a lambda", ast.JoinedStr: "an f-string",
        ast.IfExp: "a conditional", ast.Compare: "a comparison", ast.BoolOp: "a boolean expression",
        ast.Dict: "a dict", ast.Await: "an await", ast.NamedExpr: "an assignment expression",
    }.get(type(node), type(node).__name__)
    raise NotLiteral(what)


def _targets(stmt: ast.stmt) -> tuple[list[str], ast.AST | None]:
    if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
        return [t.id for t in stmt.targets], stmt.value  # type: ignore[attr-defined]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return [stmt.target.id], stmt.value
    return [], None


def _statement(stmt: ast.stmt, out: PyConfig, line_offset: int = 0) -> None:
    line = stmt.lineno + line_offset
    if isinstance(stmt, ast.ClassDef):  # a Hyperparameters / GPTConfig dataclass: read its field defaults
        for inner in stmt.body:
            _statement(inner, out, line_offset)
        return
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        name = stmt.target.id
        try:
            if name not in out.values:
                raise NotLiteral(f"name {name!r} not assigned earlier")
            out.values[name] = _binop(stmt.op, out.values[name], evaluate(stmt.value, out.values))
            out.lines[name] = line
        except (NotLiteral, ArithmeticError, TypeError, ValueError, OverflowError) as exc:
            out.ignored.append((line, f"{name}: not a literal, ignored ({exc or type(exc).__name__})"))
        return
    names, value = _targets(stmt)
    if not names or value is None:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            return  # a docstring
        what = type(stmt).__name__.lower()
        out.ignored.append((line, f"{what} statement: not a literal assignment, ignored"))
        return
    try:
        result = evaluate(value, out.values)
    except (NotLiteral, ArithmeticError, TypeError, ValueError, OverflowError, RecursionError) as exc:
        out.ignored.append((line, f"{', '.join(names)}: not a literal, ignored ({exc or type(exc).__name__})"))
        return
    for name in names:
        out.values[name] = result
        out.lines[name] = line


# a string literal (one match, scanned in C) or a comment; strings are matched whole so a '#' in one is no comment
_TOKEN = re.compile(
    r"(?P<s>'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'|\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*\")"
    r"|(?P<c>#[^\n]*)"
)


def _comments(text: str) -> dict[int, tuple[int, str]]:
    """Comments by line as (column of the '#', text), in one regex pass that skips string literals whole: linear
    in the text, so a 1 MB line of '#' or of quoted strings costs one scan (tokenize takes seconds on it)."""
    out: dict[int, tuple[int, str]] = {}
    line, counted = 1, 0
    for m in _TOKEN.finditer(text):
        if m.lastgroup != "c":
            continue
        at = m.start()
        line += text.count("\n", counted, at)
        counted = at
        column = at - (text.rfind("\n", 0, at) + 1)
        out[line] = (column, m.group()[1: 1 + MAX_COMMENT].strip())
    return out


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def read_py_config(data: bytes, name: str) -> PyConfig:
    """Read a Python config from its bytes (never executed)."""
    if len(data) > MAX_BYTES:
        raise InputError(f"{name}: {len(data):,} bytes is too large for a config file (limit {MAX_BYTES:,})")
    text = data.decode("utf-8", errors="replace")
    out = PyConfig(decode_errors=text.count("\ufffd"))
    text = text.replace("\x00", " ")
    found = _comments(text)
    out.comments = {n: c for n, (_, c) in found.items()}
    lines = text.split("\n")
    code = [x[: found[n][0]] if n in found else x for n, x in enumerate(lines, 1)]
    # a line too long for any config is not parsed (ast takes ~0.5 s to refuse a 1 MB expression): line by line
    tree = _parse(text) if all(len(x) <= MAX_LINE_PARSE for x in lines) else None
    if tree is not None:
        for stmt in tree.body:
            _statement(stmt, out)
        return out
    # the file does not parse as a whole: each line alone (nanoGPT configs are one assignment per line)
    for number, line in enumerate(code, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(stripped) > MAX_LINE_PARSE:
            out.ignored.append((number, f"a line of {len(stripped):,} characters: not read"))
            continue
        piece = _parse(stripped)
        if piece is None:
            out.ignored.append((number, "not valid Python on its own line, ignored"))
            continue
        for stmt in piece.body:
            _statement(stmt, out, number - 1)
    return out
