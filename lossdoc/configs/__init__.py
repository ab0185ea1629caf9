"""Config readers: a run's config file read as data, never executed.

``read_config(path)`` picks the reader by the file: a ``.py`` (nanoGPT-style, read with ``ast``), a Hugging Face
``config.json`` (with ``training_args.json`` and ``trainer_state.json`` when they are beside it), a Lightning
``hparams.yaml`` (``yaml.safe_load``), a torchtitan ``.toml`` (``tomllib``), or a directory holding one of them.
Each gives a ConfigFile of plain values
with the line (or file) each came from and the comments by line; ``lossdoc.facts`` maps its keys onto the
canonical facts, so no other module knows a config's key names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from .pyconfig import MAX_BYTES, read_py_config

HF_BESIDE = ("training_args.json", "trainer_state.json")  # read with config.json (never training_args.bin: pickle)
DIR_CANDIDATES = ("config.json", "hparams.yaml", "train_config.py")


@dataclass
class ConfigFile:
    path: str
    kind: str  # "python", "hf", "yaml", "toml"
    values: dict[str, Any] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)  # key -> "train.py line 14" / "config.json"
    comments: dict[int, str] = field(default_factory=dict)  # line -> comment (python configs)
    ignored: list[tuple[int, str]] = field(default_factory=list)  # (line, what was not read and why)
    decode_errors: int = 0
    files: list[str] = field(default_factory=list)  # every file read

    @property
    def name(self) -> str:
        return Path(self.path).name


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{path}: {size:,} bytes is too large for a config file")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the config ({exc.strerror or exc})") from None


def _python(path: Path) -> ConfigFile:
    py = read_py_config(_read_bytes(path), str(path))
    where = {k: f"{path.name} line {n}" for k, n in py.lines.items()}
    return ConfigFile(str(path), "python", py.values, where, py.comments, py.ignored, py.decode_errors, [str(path)])


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(_read_bytes(path).decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a JSON config must be an object, found {type(data).__name__}")
    return data


def _hf(path: Path) -> ConfigFile:
    out = ConfigFile(str(path), "hf")
    for file in (path, *(path.parent / n for n in HF_BESIDE)):
        if not file.is_file() or (file != path and file.name == path.name):
            continue
        data = _json(file)
        if file.name == "trainer_state.json":
            data = {k: v for k, v in data.items() if k != "log_history"}
        for key, value in data.items():
            if isinstance(value, (int, float, str, bool)) or value is None or key == "architectures":
                out.values.setdefault(key, value)
                out.where.setdefault(key, file.name)
        out.files.append(str(file))
    return out


def _flatten(data: dict[str, Any], out: ConfigFile, prefix: str = "", depth: int = 0) -> None:
    for key, value in data.items():
        if isinstance(value, dict) and depth < 4:
            _flatten(value, out, f"{prefix}{key}.", depth + 1)
        elif isinstance(value, (int, float, str, bool)) or value is None:
            name = str(key)
            out.values.setdefault(name, value)  # nested keys by their last part: model.n_layer -> n_layer
            out.where.setdefault(name, f"{Path(out.path).name} {prefix}{key}")


def _yaml(path: Path) -> ConfigFile:
    import yaml

    try:
        data = yaml.safe_load(_read_bytes(path).decode("utf-8", errors="replace"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not YAML that safe_load reads ({str(exc).splitlines()[0][:120]})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a YAML config must be a mapping, found {type(data).__name__}")
    out = ConfigFile(str(path), "yaml", files=[str(path)])
    _flatten(data, out)
    return out


def _toml(path: Path) -> ConfigFile:
    """A TOML config (torchtitan's train_configs/*.toml), read with the standard library's tomllib (Python 3.11+;
    on 3.10 the tomli package it came from, when installed)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise InputError(f"{path}: reading a .toml config needs Python 3.11+ or "
                             "`pip install 'lossdoc[toml]'`") from None
    try:
        data = tomllib.loads(_read_bytes(path).decode("utf-8", errors="replace"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({str(exc).splitlines()[0][:120]})") from None
    out = ConfigFile(str(path), "toml", files=[str(path)])
    _flatten(data, out)
    for section, table in data.items():  # also by section: torchtitan's [model] and [optimizer] both have a name
        for key, value in table.items() if isinstance(table, dict) else ():
            if isinstance(value, (int, float, str, bool)):
                out.values[f"{section}.{key}"] = value
                out.where[f"{section}.{key}"] = f"{path.name} {section}.{key}"
    return out


def read_config(path: Path | str) -> ConfigFile:
    """The config at ``path`` (a file, or a directory holding config.json / hparams.yaml)."""
    path = Path(path)
    if path.is_dir():
        for name in DIR_CANDIDATES:
            if (path / name).is_file():
                return read_config(path / name)
        raise InputError(f"{path}: a directory with no config.json, hparams.yaml or train_config.py")
    if not path.exists():
        raise InputError(f"{path}: no such config file")
    suffix = path.suffix.lower()
    if suffix == ".py":
        return _python(path)
    if suffix == ".json":
        return _hf(path)
    if suffix in (".yaml", ".yml"):
        return _yaml(path)
    if suffix == ".toml":
        return _toml(path)
    raise InputError(f"{path}: unknown config type {suffix or '(no suffix)'}; lossdoc reads .py, .json, .yaml and "
                     ".toml")
