"""The registry of every claim of the package: it drives verification, LaTeX export and the pytest plugin.

Claims are built lazily (a claim derives its exact forms and steps when first asked for) and cached.
A new model registers its claim factories in :data:`_MODULES`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Sequence

from .._validation import ParameterError
from .claim import Claim

_MODULES = ("modelcollapse.proofs.gaussian1d",)


@functools.lru_cache(maxsize=None)
def _factories() -> dict[str, Callable[[], Claim]]:
    out: dict[str, Callable[[], Claim]] = {}
    for name in _MODULES:
        out.update(importlib.import_module(name).claim_factories())
    return out


def claim_ids() -> tuple[str, ...]:
    """Ids of every registered claim, in registry order."""
    return tuple(_factories())


@functools.lru_cache(maxsize=None)
def get_claim(claim_id: str) -> Claim:
    """The claim with this id; an unknown id raises :class:`ParameterError` naming the known ones."""
    try:
        factory = _factories()[claim_id]
    except KeyError:
        raise ParameterError(
            f"claim must be one of the registered ids ({', '.join(claim_ids())}) (got {claim_id!r})"
        ) from None
    return factory()


def registry(ids: Sequence[str] | None = None) -> tuple[Claim, ...]:
    """The claims with the given ids (all claims when ``ids`` is empty or None), validated first."""
    ids = claim_ids() if not ids else tuple(ids)
    for cid in ids:
        if cid not in _factories():
            get_claim(cid)  # raises the ParameterError
    return tuple(get_claim(cid) for cid in ids)
