"""The documented JSON of every command: schema version, provenance, and a validator for tests and tools.

The schema is ``modelcollapse/schema/output.schema.json`` (shipped as package data); read its ``description``
for the number and seed conventions.  :func:`validate` needs the ``jsonschema`` package (a test dependency).

>>> SCHEMA_VERSION
'1'
>>> sorted(provenance(chunk_size=4096))[:4]
['chunk_size', 'command', 'modelcollapse', 'mpmath']
"""

from __future__ import annotations

import functools
import json
import platform
import shlex
import sys
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from .. import __version__

__all__ = ["SCHEMA_VERSION", "command_line", "provenance", "schema", "validate", "versions"]

SCHEMA_VERSION = "1"

_COMMAND: list[str] = []


def command_line(argv: list[str] | None = None) -> str:
    """Remember (``argv`` given) or return the command line that is running, as a shell would type it."""
    if argv is not None:
        _COMMAND[:] = ["modelcollapse", *argv]
    words = _COMMAND or [sys.argv[0].rsplit("/", 1)[-1], *sys.argv[1:]]
    return shlex.join(words)


def versions() -> dict[str, str]:
    """Versions of the package, Python and the numerical libraries."""
    import mpmath
    import numpy
    import scipy
    import sympy

    return {
        "modelcollapse": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "sympy": sympy.__version__,
        "mpmath": mpmath.__version__,
    }


def provenance(chunk_size: int | None = None) -> dict[str, Any]:
    """What every output carries: versions, the command line, the UTC time, the chunk size (None where nothing
    was simulated)."""
    return {
        **versions(),
        "command": command_line(),
        "utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "chunk_size": chunk_size,
    }


@functools.lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON schema (a dict)."""
    text = resources.files("modelcollapse").joinpath("schema/output.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validate(obj: Any, kind: str) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``obj`` is valid output of ``kind`` (``theory``, ``simulate``,
    ``verify``, ``models``, ``sweep_row``); also refuses NaN/Infinity anywhere (strict JSON)."""
    import jsonschema

    json.dumps(obj, allow_nan=False)  # ValueError on nan/inf
    full = schema()
    jsonschema.validate(obj, {"$ref": f"#/$defs/{kind}", "$defs": full["$defs"]})
