"""The config base: validation from field metadata, plain data and TOML round trips, dotted
overrides, a content hash that is the same in another process, and errors that name the field."""

from __future__ import annotations

import math
import subprocess
import sys
import tomllib
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memspice.config import ConfigBase, ConfigError, load_toml, setting


@dataclass(frozen=True)
class Wires(ConfigBase):
    r_word_ohm: float = setting(0.0, unit="Ω", low=0.0, high=1e6, doc="word-line segment resistance", cli="r-word")
    r_bit_ohm: float = setting(0.0, unit="Ω", low=0.0, high=1e6, doc="bit-line segment resistance", cli="r-bit")


@dataclass(frozen=True)
class Bench(ConfigBase):
    rows: int = setting(8, low=1, high=4096, doc="word lines")
    scheme: str = setting("v2", choices=("v2", "v3"), doc="biasing scheme")
    widths_s: tuple[float, ...] = setting((1e-9,), unit="s", low=0.0, low_open=True, high=1.0, doc="pulse widths")
    amplitude_V: float | None = setting(None, unit="V", low=0.0, high=10.0, doc="amplitude")
    wires: Wires = setting(default_factory=Wires, doc="line resistances")
    params: dict = setting(default_factory=dict, doc="model parameters")

    def check(self) -> None:
        if self.rows > 1000 and self.scheme == "v3":
            raise ConfigError("rows", self.rows, "at most 1000 with scheme v3")


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 1000), scheme=st.sampled_from(["v2", "v3"]),
       widths=st.lists(st.floats(1e-15, 1.0), min_size=1, max_size=4), amplitude=st.none() | st.floats(0.0, 10.0),
       r_word=st.floats(0.0, 1e6), r_bit=st.floats(0.0, 1e6))
def test_dict_and_toml_round_trip_exactly(tmp_path_factory, rows, scheme, widths, amplitude, r_word, r_bit) -> None:
    bench = Bench(rows=rows, scheme=scheme, widths_s=tuple(widths), amplitude_V=amplitude,
                  wires=Wires(r_word_ohm=r_word, r_bit_ohm=r_bit), params={"ron": 100.0, "window": "biolek"})
    assert Bench.from_dict(bench.to_dict()) == bench
    path = tmp_path_factory.mktemp("toml") / "bench.toml"
    path.write_text(bench.to_toml())
    again = load_toml(Bench, path)
    assert again == bench and again.content_hash() == bench.content_hash()


def test_content_hash_is_the_same_in_another_process() -> None:
    bench = Bench(rows=16, widths_s=(1e-9, 5e-8), wires=Wires(r_word_ohm=2.5))
    code = (
        "import sys; sys.path.insert(0, %r); from test_config import Bench, Wires; "
        "print(Bench(rows=16, widths_s=(1e-9, 5e-8), wires=Wires(r_word_ohm=2.5)).content_hash())"
    ) % str(__import__("pathlib").Path(__file__).parent)
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == bench.content_hash()
    assert Bench(rows=17).content_hash() != Bench(rows=16).content_hash()


def test_dotted_overrides_parse_text_by_field_type() -> None:
    bench = Bench().with_overrides({"wires.r_word_ohm": "1.5k", "widths_s": "10n,50n", "rows": "32", "params.roff": "16k"})
    assert bench.wires.r_word_ohm == 1500.0 and bench.widths_s == (1e-8, 5e-8) and bench.rows == 32
    assert bench.params["roff"] == "16k"  # tables keep text: the model that reads them parses it


@pytest.mark.parametrize(
    ("build", "path", "message"),
    [
        (lambda: Bench(rows=0), "rows", "rows=0 is not allowed; allowed: [1, 4096]"),
        (lambda: Bench(rows=2.5), "rows", "a whole number"),
        (lambda: Bench(rows=True), "rows", "a whole number"),
        (lambda: Bench(scheme="v4"), "scheme", "one of v2, v3"),
        (lambda: Bench(widths_s=(1e-9, 0.0)), "widths_s[1]", "widths_s[1]=0 is not allowed; allowed: (0, 1] s"),
        (lambda: Bench(amplitude_V=math.nan), "amplitude_V", "a finite number"),
        (lambda: Bench(rows=2000, scheme="v3"), "rows", "at most 1000 with scheme v3"),
        (lambda: Bench.from_dict({"wires": {"r_word_ohm": -1.0}}), "wires.r_word_ohm", "wires.r_word_ohm=-1"),
        (lambda: Bench.from_dict({"rowz": 3}), "rowz", "is not a field of Bench"),
        (lambda: Bench().with_overrides({"wires.r_wrd_ohm": "1"}), "wires.r_wrd_ohm", "names no field"),
        (lambda: Bench().with_overrides({"rows": "many"}), "rows", "a whole number"),
    ],
)
def test_errors_name_the_field_the_value_and_what_is_allowed(build, path, message) -> None:
    with pytest.raises(ConfigError) as caught:
        build()
    assert caught.value.path == path
    assert message in str(caught.value)


def test_field_specs_flatten_nested_configs() -> None:
    paths = [path for path, *_ in Bench.field_specs()]
    assert paths == ["rows", "scheme", "widths_s", "amplitude_V", "wires.r_word_ohm", "wires.r_bit_ohm", "params"]


@dataclass(frozen=True)
class Cells(ConfigBase):
    cells: tuple[tuple[int, int], ...] = setting(((0, 0),), low=0, high=100, doc="cells as ROW,COL pairs")


def test_lists_of_pairs_are_written_with_semicolons() -> None:
    assert Cells().with_overrides({"cells": "3,4; 5,1"}).cells == ((3, 4), (5, 1))
    assert Cells().with_overrides({"cells": "7,2"}).cells == ((7, 2),)
    with pytest.raises(ConfigError, match="cells"):
        Cells().with_overrides({"cells": "3,4;;5,1"})


def test_empty_list_entries_are_refused() -> None:
    with pytest.raises(ConfigError, match="none empty"):
        Bench().with_overrides({"widths_s": "10n,,50n"})


@dataclass(frozen=True)
class Matrix(ConfigBase):
    g_S: tuple[tuple[float, ...], ...] | None = setting(None, unit="S", low=0.0, low_open=True, doc="conductances")
    v_V: tuple[float, ...] = setting((0.1,), unit="V", doc="inputs")


def test_list_and_matrix_fields_read_npy_and_csv_files(tmp_path) -> None:
    """A file name for a list field puts the numbers into the config (TOML then holds them)."""
    import numpy as np

    g = np.array([[1e-4, 2e-6, 3.5e-5], [7e-6, 1e-3, 1.25e-4]])
    np.save(tmp_path / "g.npy", g)
    np.savetxt(tmp_path / "g.csv", g, delimiter=",", fmt="%.17g")
    (tmp_path / "v.csv").write_text("0.1,-0.2\n")
    for name in ("g.npy", "g.csv"):
        matrix = Matrix().with_overrides({"g_S": str(tmp_path / name), "v_V": str(tmp_path / "v.csv")})
        assert matrix.g_S == tuple(map(tuple, g.tolist())) and matrix.v_V == (0.1, -0.2)
        (tmp_path / "m.toml").write_text(matrix.to_toml())
        assert load_toml(Matrix, tmp_path / "m.toml") == matrix
    np.save(tmp_path / "flat.npy", g.ravel())
    assert Matrix().with_overrides({"g_S": str(tmp_path / "flat.npy")}).g_S == (tuple(g.ravel().tolist()),)
    np.save(tmp_path / "cube.npy", g.reshape(1, 2, 3))
    with pytest.raises(ConfigError, match=r"holds an array of shape \(1, 2, 3\)"):
        Matrix().with_overrides({"g_S": str(tmp_path / "cube.npy")})
    with pytest.raises(ConfigError, match="cannot be read"):
        Matrix().with_overrides({"g_S": str(tmp_path / "missing.npy")})
    np.save(tmp_path / "bad.npy", -g)
    with pytest.raises(ConfigError, match=r"g_S\[0\]\[0\]=-0.0001 is not allowed"):
        Matrix().with_overrides({"g_S": str(tmp_path / "bad.npy")})


def test_array_files_of_the_wrong_kind_are_refused_by_name(tmp_path) -> None:
    import numpy as np

    np.save(tmp_path / "text.npy", np.array([["a", "b"]]))
    np.save(tmp_path / "complex.npy", np.ones((1, 2)) * (1 + 1j))
    np.savez(tmp_path / "archive.npz", g=np.ones((1, 2)))
    (tmp_path / "archive.npz").rename(tmp_path / "archive.npy")
    for name, reason in (("text.npy", "holds text"), ("complex.npy", "holds complex numbers"),
                         ("archive.npy", "is an .npz archive")):
        with pytest.raises(ConfigError, match=reason):
            Matrix().with_overrides({"g_S": str(tmp_path / name)})


@given(st.lists(st.lists(st.one_of(st.floats(allow_nan=False), st.integers(-10**6, 10**6), st.booleans()),
                         min_size=1, max_size=5), min_size=1, max_size=4),
       st.lists(st.text(max_size=5), max_size=3))
def test_toml_writes_number_arrays_on_one_line_and_reads_back_the_same(matrix, words) -> None:
    import tomli_w

    from memspice.config import _inline_number_arrays

    data = {"matrix": matrix, "words": words, "row": matrix[0]}
    text = _inline_number_arrays(tomli_w.dumps(data))
    assert tomllib.loads(text) == data
    assert len(text.split("\n")) <= len(matrix) + len(words) + 8  # one line per matrix row
