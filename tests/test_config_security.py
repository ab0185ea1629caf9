"""Config files are read with ast and never executed: hostile inputs run nothing, never hang, never trace back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from lossdoc.cli import app
from lossdoc.configs import read_config
from lossdoc.configs.pyconfig import read_py_config

from .conftest import EXAMPLES

SECOND = 1.0  # every hostile config is read (or refused) in under a second

HOSTILE = {
    "import": "import os\nos.system('touch {marker}')\nn_layer = 12\n",
    "from-import": "from os import system\nsystem('touch {marker}')\nn_layer = 12\n",
    "call": "n_layer = open('{marker}', 'w').write('x')\n",
    "exec": "exec(\"open('{marker}', 'w')\")\nn_layer = 12\n",
    "dunder-import": "n_layer = __import__('os').system('touch {marker}')\n",
    "attribute-chain": "n_layer = ().__class__.__bases__[0].__subclasses__()\nn_embd = 768\n",
    "lambda": "f = lambda: open('{marker}', 'w')\nn_layer = f()\n",
    "comprehension": "n_layer = [open('{marker}', 'w') for _ in range(1)]\n",
    "decorator-class": "@open('{marker}', 'w')\nclass C: pass\nn_layer = 12\n",
    "f-string": "n_layer = f\"{{open('{marker}', 'w')}}\"\n",
    "walrus": "n_layer = (x := open('{marker}', 'w'))\n",
    "huge-power": "n_layer = 10**10**10\nn_embd = 768\n",
    "huge-repeat": "s = 'x' * 10**9\nn_embd = 768\n",
    "big-int-product": "a = 10**300\nb = a * a * a * a\nn_embd = 768\n",
}


def _marker(tmp_path: Path) -> Path:
    return tmp_path / "side-effect-happened"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_config_runs_nothing(tmp_path: Path, name: str) -> None:
    marker = _marker(tmp_path)
    path = tmp_path / "evil.py"
    path.write_text(HOSTILE[name].format(marker=marker))
    start = time.perf_counter()
    config = read_config(path)
    assert time.perf_counter() - start < SECOND
    assert not marker.exists(), "a config statement was executed"
    assert all(not callable(v) for v in config.values.values())
    assert config.ignored, "what was not read must be reported with its line"
    assert "n_layer" not in config.values or config.values["n_layer"] == 12


def test_the_cli_reports_a_hostile_config_in_one_line_and_runs_nothing(tmp_path: Path) -> None:
    marker = _marker(tmp_path)
    path = tmp_path / "evil.py"
    path.write_text(f"import os\nos.system('touch {marker}')\nx = __import__('os')\n")
    result = CliRunner().invoke(app, ["config-check", str(path), str(EXAMPLES / "nanogpt-gpt2-124M.log")])
    assert result.exit_code == 2 and not marker.exists()
    assert "no model or training keys" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _timed(data: bytes) -> tuple[float, object]:
    start = time.perf_counter()
    config = read_py_config(data, "x.py")
    return time.perf_counter() - start, config


def test_deeply_nested_expressions_are_refused_quickly() -> None:
    for text in ("n_layer = " + "(" * 5_000 + "1" + ")" * 5_000, "n_layer = " + "-" * 100_000 + "1",
                 "n_layer = " + "[" * 300 + "]" * 300, "n_layer = " + " + ".join(["1"] * 200_000)):
        elapsed, config = _timed((text + "\nn_embd = 768\n").encode())
        assert elapsed < SECOND, text[:30]
        assert config.values.get("n_embd") == 768 and "n_layer" not in config.values


def test_a_1mb_line_and_a_1mb_line_of_hashes_are_read_in_well_under_a_second() -> None:
    long_value = "n_layer = 12\nname = '" + "a" * 1_000_000 + "'\nn_embd = 768\n"
    hashes = "n_layer = 12  " + "# x " * 250_000 + "\nn_embd = 768\n"
    quoted = "n_layer = 12\n" + "'#' + " * 150_000 + "'#'\nn_embd = 768\n"
    for text in (long_value, hashes, quoted):
        elapsed, config = _timed(text.encode())
        assert elapsed < SECOND / 2
        assert config.values.get("n_layer") == 12 and config.values.get("n_embd") == 768


def test_non_utf8_bytes_and_nul_bytes_are_read_not_fatal() -> None:
    data = b"# \xff\xfe model\nn_layer = 12\nname = '\xc3\x28'\nn_embd = 768\x00\n"
    elapsed, config = _timed(data)
    assert elapsed < SECOND and config.decode_errors >= 1
    assert config.values.get("n_layer") == 12


def test_a_file_that_is_not_python_at_all_is_read_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("n_layer = 12\nthis is not python (\nn_embd = 384  # narrow\nbatch_size = 16\n")
    config = read_config(path)
    assert config.values == {"n_layer": 12, "n_embd": 384, "batch_size": 16}
    assert config.ignored == [(2, "not valid Python on its own line, ignored")]
    assert config.comments[3] == "narrow"


def test_literals_and_simple_arithmetic_are_read() -> None:
    text = (b"block_size = 4 * 1024\nmin_lr = 5e-4 / 10\nbias = False\nname = 'gpt' + '2'\nbatch = 2**19\n"
            b"max_iters = 6000\nlr_decay_iters = max_iters\nwarmup = -(-7)\nsave = [0, 1, 2]\nx: int = 3\n"
            b"max_iters += 1000\n")
    _, config = _timed(text)
    assert config.values == {"block_size": 4096, "min_lr": 5e-5, "bias": False, "name": "gpt2", "batch": 524288,
                             "max_iters": 7000, "lr_decay_iters": 6000, "warmup": 7, "save": [0, 1, 2], "x": 3}
    assert config.lines["max_iters"] == 11


def test_yaml_and_json_configs_construct_no_objects(tmp_path: Path) -> None:
    marker = _marker(tmp_path)
    evil = tmp_path / "hparams.yaml"
    evil.write_text(f"!!python/object/apply:os.system ['touch {marker}']\n")
    code = CliRunner().invoke(app, ["config-check", str(evil), str(EXAMPLES / "table-steps.csv")])
    assert code.exit_code == 2 and "safe_load" in code.stderr and not marker.exists()
    (tmp_path / "config.json").write_text('{"n_layer": 2, "__class__": {"n_embd": 3}}')
    assert read_config(tmp_path / "config.json").values == {"n_layer": 2}


def test_values_of_the_wrong_type_or_sign_are_ignored_and_said(tmp_path: Path) -> None:
    path = tmp_path / "weird.py"
    path.write_text('n_layer = "twelve"\nn_head = 0\nn_embd = -384\nblock_size = 1e30\nbatch_size = True\n'
                    'max_iters = 1e300\nlearning_rate = "fast"\nwarmup_iters = 10**30\ngradient_accumulation_steps = 0\n')
    result = CliRunner().invoke(app, ["config-check", "--json", str(path), str(EXAMPLES / "table-steps.csv")])
    assert result.exit_code == 0, result.stderr
    import json

    doc = json.loads(result.stdout)
    notes = " ".join(doc["config"]["notes"])
    assert "n_layer = 'twelve'" in notes and "n_embd = '-384'" in notes and "lr_peak = 'fast'" in notes
    assert doc["params"]["computed"] is None and doc["schedule"]["known"] is False
