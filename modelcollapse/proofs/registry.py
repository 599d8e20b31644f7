"""The registry of every claim of the package: it drives verification, LaTeX export and the pytest plugin.

Claims are built lazily (a claim derives its exact forms and steps when first asked for) and cached.
The claims are those the registered models declare (:meth:`modelcollapse.models.Model.claim_factories`);
a model registered at run time contributes its claims on the next look-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .. import models
from .._validation import ParameterError
from .claim import Claim

_CACHE: dict[tuple[str, ...], dict[str, Callable[[], Claim]]] = {}
_BUILT: dict[str, tuple[Callable[[], Claim], Claim]] = {}
"""Claims built so far, with the factory that built them (a re-registered model builds anew)."""


def _factories() -> dict[str, Callable[[], Claim]]:
    names = models.model_names()
    if names not in _CACHE:
        out: dict[str, Callable[[], Claim]] = {}
        for name in names:
            for cid, factory in models.get_model(name).claim_factories().items():
                if cid in out:
                    raise ValueError(f"claim id {cid!r} is declared by two models")
                out[cid] = factory
        _CACHE.clear()
        _CACHE[names] = out
    return _CACHE[names]


def claim_ids() -> tuple[str, ...]:
    """Ids of every registered claim, in registry order."""
    return tuple(_factories())


def get_claim(claim_id: str) -> Claim:
    """The claim with this id; an unknown id raises :class:`ParameterError` naming the known ones."""
    factories = _factories()
    try:
        factory = factories[claim_id]
    except (KeyError, TypeError):
        raise ParameterError(
            f"claim must be one of the registered ids ({', '.join(claim_ids())}) (got {claim_id!r})"
        ) from None
    built = _BUILT.get(claim_id)
    if built is None or built[0] is not factory:
        built = _BUILT[claim_id] = (factory, factory())
    return built[1]


def registry(ids: Sequence[str] | None = None) -> tuple[Claim, ...]:
    """The claims with the given ids (all claims when ``ids`` is empty or None), validated first."""
    ids = claim_ids() if not ids else tuple(ids)
    for cid in ids:
        if cid not in _factories():
            get_claim(cid)  # raises the ParameterError
    return tuple(get_claim(cid) for cid in ids)
