"""Names in a modded-nanogpt script's module scope, and the batch its training loop draws: read with ``ast``, never
executed (lossdoc/parsers/_modded_script.py reads the rest).

A bare name is read as a value only where that is certain: the module binds it exactly once, by a top-level
``name = <constant expression>``, and the name is used in module scope (not inside a def, where a parameter of the
same name may shadow it). Newer records state the global batch nowhere but in the train loader's call,
``distributed_data_generator(files, world_size * args.seq_len, ...)`` (tokens across all ranks), so that
expression is kept and evaluated once the banners have given the world size.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from typing import Any

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_LOADER_CALL = "distributed_data_generator"


def module_scope(tree: ast.Module) -> Iterator[ast.AST]:
    """Every node of module scope: not inside a def, a class or a lambda (those are yielded, not entered)."""
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def _bound_names(node: ast.AST) -> list[str]:
    """The names a module-scope node binds."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def single_constants(tree: ast.Module, constant: Any, missing: Any) -> dict[str, Any]:
    """Names bound once in module scope, by a top-level assignment of a constant expression (`num_vocab = 50304`).
    ``constant`` reads an expression's value or returns ``missing``."""
    bindings = Counter(name for node in module_scope(tree) for name in _bound_names(node))
    out = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name, value = stmt.targets[0].id, constant(stmt.value)
            if bindings[name] == 1 and value is not missing:
                out[name] = value
    return out


class _Substitute(ast.NodeTransformer):
    """Names (``world_size``) and ``args.X`` attributes replaced by the constants ``values`` gives them."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Constant(self.values[node.id]) if node.id in self.values else node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and f"{node.value.id}.{node.attr}" in self.values:
            return ast.Constant(self.values[f"{node.value.id}.{node.attr}"])
        return self.generic_visit(node)


def substitute(node: ast.AST, values: dict[str, Any]) -> ast.AST:
    import copy

    return _Substitute(values).visit(copy.deepcopy(node))


def module_calls(tree: ast.Module) -> set[int]:
    """ids of the Call nodes in module scope: only there does a bare name mean the module's binding."""
    return {id(node) for node in module_scope(tree) if isinstance(node, ast.Call)}


def train_batch(tree: ast.Module, names: dict[str, Any]) -> str | None:
    """The train loader's global batch in tokens as an expression (module constants filled in): the batch argument
    of every module-scope ``train_loader = distributed_data_generator(...)``, when all agree and the one ``for step``
    loop draws one batch a step (``next(train_loader)`` once, not inside an inner loop: no gradient accumulation
    over draws). None otherwise."""
    batches = set()
    for node in module_scope(tree):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "train_loader" and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == _LOADER_CALL):
            call = node.value
            batch = call.args[1] if len(call.args) >= 2 else next(
                (kw.value for kw in call.keywords if kw.arg == "batch_size"), None)
            if batch is None:
                return None
            batches.add(ast.unparse(substitute(batch, names)))
    if len(batches) != 1 or not _one_draw_per_step(tree):
        return None
    return batches.pop()


def _one_draw_per_step(tree: ast.Module) -> bool:
    loops = [n for n in module_scope(tree) if isinstance(n, (ast.For, ast.AsyncFor))
             and isinstance(n.target, ast.Name) and n.target.id == "step"]
    if len(loops) != 1:
        return False
    draws: Counter[bool] = Counter()  # inside an inner loop or not
    stack = [(child, False) for child in loops[0].body]
    while stack:
        node, inner = stack.pop()
        if _draws_train_batch(node):
            draws[inner] += 1
        if not isinstance(node, _SCOPES):
            stack.extend((child, inner or isinstance(node, _LOOPS)) for child in ast.iter_child_nodes(node))
    return draws[False] == 1 and draws[True] == 0


def _draws_train_batch(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "next"
            and len(node.args) == 1 and isinstance(node.args[0], ast.Name) and node.args[0].id == "train_loader")
