"""The README's Python examples run as written, and its model table covers the catalog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from memspice.spicelib import all_models

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_has_python_examples() -> None:
    assert len(PYTHON_BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_readme_python_block_runs(index: int, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = PYTHON_BLOCKS[index]
    # The "adding a model" block registers a model; give it a fresh name so the catalog stays clean.
    name = f"readme_example_{index}"
    code = code.replace('name="mine"', f'name="{name}"')
    try:
        exec(compile(code, f"README block {index}", "exec"), {})
    finally:
        from memspice.spicelib.catalog import _REGISTRY

        _REGISTRY.pop(name, None)


def test_readme_model_table_lists_every_model() -> None:
    for model in all_models():
        if not model.name.startswith("readme_example"):
            assert f"| `{model.name}` |" in README, f"README model table misses {model.name}"
