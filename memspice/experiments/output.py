"""Writing experiment outputs so that nothing half-written looks complete.

Every file is written to a temporary name in the destination folder and renamed into
place (``os.replace`` is atomic on one filesystem). Reports write ``summary.json`` last,
so its presence means the folder is complete.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def write_csv_atomic(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as CSV (no index, full float precision)."""
    return write_text_atomic(path, frame.to_csv(index=False, float_format="%.12g"))


def write_json_atomic(path: Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as indented JSON (NaN refused: it is not JSON)."""
    return write_text_atomic(path, json.dumps(payload, indent=2, allow_nan=False) + "\n")
