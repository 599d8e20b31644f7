"""Keeping the last verification report, so that `modelcollapse latex` can print its evidence."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def save_report(data: dict[str, Any], path: str | os.PathLike[str] | None) -> Path | None:
    """Write a verification report (``Report.to_dict()``) as JSON; ``None`` or ``''`` skips."""
    if not path:
        return None
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out


def load_report(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The saved report, or ``None`` when there is none."""
    p = Path(path)
    if not p.is_file():
        return None
    return json.loads(p.read_text(encoding="utf-8"))
