r"""BibTeX for the papers the claims rely on, and :func:`citation` (STYLE.md, R15: citations are data).

The entries are written by hand from the seed article's reference list ("Notes and References") and the
project's ``REFERENCES.md``; every claim names its sources by these keys (``Claim.references``).

>>> sorted(ENTRIES)[:3]
['alemohammad2023', 'bertrand2024', 'borji2024']
>>> print(entry("borji2024").splitlines()[0])
@misc{borji2024,
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import Any, TextIO

__all__ = ["ENTRIES", "Citation", "bibliography_items", "bibtex", "citation", "cited_keys", "entry"]

_SHUMAILOV = "Shumailov, Ilia and Shumaylov, Zakhar and Zhao, Yiren and Papernot, Nicolas and Anderson, Ross and Gal, Yarin"

ENTRIES: dict[str, tuple[str, dict[str, str]]] = {
    "shumailov2024nature": ("article", {
        "author": _SHUMAILOV,
        "title": "{AI} models collapse when trained on recursively generated data",
        "journal": "Nature",
        "volume": "631",
        "number": "8022",
        "pages": "755--759",
        "year": "2024",
        "month": "jul",
        "doi": "10.1038/s41586-024-07566-y",
    }),
    "shumailov2024curse": ("misc", {
        "author": "Shumailov, Ilia and Shumaylov, Zakhar and Zhao, Yiren and Gal, Yarin and Papernot, Nicolas and Anderson, Ross",
        "title": "The Curse of Recursion: Training on Generated Data Makes Models Forget",
        "year": "2023",
        "eprint": "2305.17493",
        "archiveprefix": "arXiv",
        "primaryclass": "cs.LG",
        "note": "arXiv:2305.17493",
    }),
    "gerstgrasser2024": ("misc", {
        "author": (
            "Gerstgrasser, Matthias and Schaeffer, Rylan and Dey, Apratim and Rafailov, Rafael and Sleight, Henry "
            "and Hughes, John and Korbak, Tomasz and Agrawal, Rajashree and Pai, Dhruv and Gromov, Andrey and "
            "Roberts, Daniel A. and Yang, Diyi and Donoho, David L. and Koyejo, Sanmi"
        ),
        "title": "Is Model Collapse Inevitable? {B}reaking the Curse of Recursion by Accumulating Real and Synthetic Data",
        "year": "2024",
        "eprint": "2404.01413",
        "archiveprefix": "arXiv",
        "primaryclass": "cs.LG",
        "note": "arXiv:2404.01413",
    }),
    "dohmatob2024regression": ("misc", {
        "author": "Dohmatob, Elvis and Feng, Yunzhen and Kempe, Julia",
        "title": "Model Collapse Demystified: The Case of Regression",
        "year": "2024",
        "eprint": "2402.07712",
        "archiveprefix": "arXiv",
        "primaryclass": "cs.LG",
        "note": "arXiv:2402.07712",
    }),
    "dohmatob2024tails": ("misc", {
        "author": "Dohmatob, Elvis and Feng, Yunzhen and Yang, Pu and Charton, Fran{\\c{c}}ois and Kempe, Julia",
        "title": "A Tale of Tails: Model Collapse as a Change of Scaling Laws",
        "year": "2024",
        "eprint": "2402.07043",
        "archiveprefix": "arXiv",
        "primaryclass": "cs.LG",
        "note": "arXiv:2402.07043",
    }),
    "seddik2024": ("misc", {
        "author": "Seddik, Mohamed El Amine and Chen, Suei-Wen and Hayou, Soufiane and Youssef, Pierre and Debbah, Merouane",
        "title": "How Bad is Training on Synthetic Data? {A} Statistical Analysis of Language Model Collapse",
        "year": "2024",
        "eprint": "2404.05090",
        "archiveprefix": "arXiv",
        "primaryclass": "cs.LG",
        "note": "arXiv:2404.05090",
    }),
    "suresh2024": ("misc", {
        "author": "Suresh, Ananda Theertha and Thangaraj, Andrew and Khandavally, Aditya Nanda Kishore",
        "title": "Rate of Model Collapse in Recursive Training",
        "year": "2024",
        "eprint": "2412.17646",
        "archiveprefix": "arXiv",
        "note": "AISTATS 2025",
    }),
    "borji2024": ("misc", {
        "author": "Borji, Ali",
        "title": (
            "A Note on {S}humailov et al. (2024): ``{AI} Models Collapse When Trained on Recursively Generated Data''"
        ),
        "year": "2024",
        "eprint": "2410.12954",
        "archiveprefix": "arXiv",
        "primaryclass": "cs.LG",
        "note": "arXiv:2410.12954",
    }),
    "alemohammad2023": ("inproceedings", {
        "author": (
            "Alemohammad, Sina and Casco-Rodriguez, Josue and Luzi, Lorenzo and Humayun, Ahmed Imtiaz and "
            "Babaei, Hossein and LeJeune, Daniel and Siahkoohi, Ali and Baraniuk, Richard G."
        ),
        "title": "Self-Consuming Generative Models Go {MAD}",
        "booktitle": "The Twelfth International Conference on Learning Representations ({ICLR})",
        "year": "2024",
        "eprint": "2307.01850",
        "archiveprefix": "arXiv",
        "primaryclass": "cs.LG",
    }),
    "bertrand2024": ("inproceedings", {
        "author": "Bertrand, Quentin and Bose, Avishek Joey and Duplessis, Alexandre and Jiralerspong, Marco and Gidel, Gauthier",
        "title": "On the Stability of Iterative Retraining of Generative Models on their own Data",
        "booktitle": "The Twelfth International Conference on Learning Representations ({ICLR})",
        "year": "2024",
    }),
    "wyllie2024": ("inproceedings", {
        "author": "Wyllie, Sierra and Shumailov, Ilia and Papernot, Nicolas",
        "title": "Fairness Feedback Loops: Training on Synthetic Data Amplifies Bias",
        "booktitle": "The 2024 {ACM} Conference on Fairness, Accountability, and Transparency ({FAccT} '24)",
        "pages": "2113--2147",
        "publisher": "Association for Computing Machinery",
        "address": "New York, NY, USA",
        "year": "2024",
        "doi": "10.1145/3630106.3659029",
        "eprint": "2403.07857",
        "archiveprefix": "arXiv",
    }),
    "guo2023": ("misc", {
        "author": "Guo, Yanzhu and Shang, Guokan and Vazirgiannis, Michalis and Clavel, Chlo{\\'e}",
        "title": "The Curious Decline of Linguistic Diversity: Training Language Models on Synthetic Text",
        "year": "2023",
        "eprint": "2311.09807",
        "archiveprefix": "arXiv",
        "primaryclass": "cs.CL",
        "note": "arXiv:2311.09807",
    }),
    "kirchenbauer2023": ("inproceedings", {
        "author": "Kirchenbauer, John and Geiping, Jonas and Wen, Yuxin and Katz, Jonathan and Miers, Ian and Goldstein, Tom",
        "title": "A Watermark for Large Language Models",
        "booktitle": "Proceedings of the 40th International Conference on Machine Learning",
        "series": "Proceedings of Machine Learning Research",
        "volume": "202",
        "pages": "17061--17084",
        "publisher": "PMLR",
        "year": "2023",
    }),
    "kazdan2024": ("misc", {
        "author": "Kazdan, Joshua and others",
        "title": "Collapse or Thrive? {P}erils and Promises of Synthetic Data in a Self-Generating World",
        "year": "2024",
    }),
}
"""``{key: (entry type, fields)}``; fields in the order they are written."""


def entry(key: str) -> str:
    """One BibTeX entry; an unknown key raises :class:`KeyError` naming the known ones."""
    try:
        kind, fields = ENTRIES[key]
    except KeyError:
        raise KeyError(f"no BibTeX entry for {key!r} (known: {', '.join(sorted(ENTRIES))})") from None
    width = max(len(f) for f in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in fields.items())
    return f"@{kind}{{{key},\n{body}\n}}"


def bibtex(keys: Iterable[str] | None = None) -> str:
    """The entries for ``keys`` (all known entries when ``None``), sorted by key, deduplicated."""
    chosen = sorted(set(ENTRIES if keys is None else keys))
    return "\n\n".join(entry(k) for k in chosen) + ("\n" if chosen else "")


def _claim_of(item: Any) -> Any:
    if isinstance(item, str):
        from ..proofs.registry import get_claim

        return get_claim(item)
    if hasattr(item, "references"):
        return item
    if hasattr(item, "claim_id"):  # a verification result
        from ..proofs.registry import get_claim

        return get_claim(item.claim_id)
    raise TypeError(f"citation() takes claim ids, Claim objects or verification results (got {type(item).__name__})")


def cited_keys(*claims: Any) -> tuple[str, ...]:
    """The BibTeX keys the given claims (ids, :class:`~modelcollapse.proofs.claim.Claim` objects or results)
    cite, sorted; all registered claims when none are given.  A report's results count one by one."""
    items: list[Any] = []
    for c in claims:
        items.extend(c.results if hasattr(c, "results") else [c])
    if not items:
        from ..proofs.registry import registry

        items = list(registry())
    keys: set[str] = set()
    for item in items:
        keys.update(_claim_of(item).references)
    return tuple(sorted(keys))


class Citation(str):
    """BibTeX text (a :class:`str`) whose ``repr`` is short, so that a REPL does not echo it twice."""

    def __repr__(self) -> str:
        keys = re.findall(r"^@\w+\{([^,]+),", self, flags=re.M)
        return f"<BibTeX: {len(keys)} entries: {', '.join(keys)}>"


_STDOUT: Any = object()


def citation(*claims: Any, file: TextIO | None = _STDOUT) -> Citation:
    r"""Print, and return, the BibTeX for the claims you relied on.

    Give claim ids, :class:`~modelcollapse.proofs.claim.Claim` objects, verification results or a whole
    :class:`~modelcollapse.proofs.verify.Report`; no argument means every registered claim.  The text is
    written to ``file`` (standard output by default; ``None`` prints nothing) and returned as a
    :class:`Citation`, a :class:`str`.

    Examples
    --------
    >>> bib = citation("gaussian1d-var-w2sq", file=None)
    >>> bib
    <BibTeX: 2 entries: shumailov2024curse, shumailov2024nature>
    >>> print(bib.splitlines()[0])
    @misc{shumailov2024curse,
    """
    text = Citation(bibtex(cited_keys(*claims)))
    if file is _STDOUT:
        file = sys.stdout
    if file is not None:
        file.write(text)
        file.flush()
    return text


# ---------------------------------------------------------------------------------------------------------
# a `thebibliography` for documents compiled without BibTeX (the appendix compiles with pdflatex alone)


def _names(authors: str) -> str:
    people = [a.strip() for a in authors.split(" and ")]
    shown = []
    for p in people:
        if p == "others":
            shown.append("et al.")
            continue
        last, _, first = p.partition(",")
        shown.append(f"{first.strip()} {last.strip()}".strip())
    if len(shown) > 1 and shown[-1] == "et al.":
        return ", ".join(shown[:-1]) + " et al."
    if len(shown) <= 2:
        return " and ".join(shown)
    return ", ".join(shown[:-1]) + ", and " + shown[-1]


def bibliography_items(keys: Iterable[str]) -> list[tuple[str, str]]:
    """``(key, formatted reference)`` for each key, sorted by key: the text of a ``\\bibitem``."""
    out = []
    for key in sorted(set(keys)):
        _, f = ENTRIES[key]
        parts = [_names(f["author"]).rstrip(".") + ".", f"{f['title']}."]
        venue = f.get("journal") or f.get("booktitle")
        if venue:
            v = f"\\emph{{{venue}}}"
            if "volume" in f and "journal" in f:
                v += f", {f['volume']}"
                if "number" in f:
                    v += f"({f['number']})"
            if "pages" in f:
                v += f", pages {f['pages']}"
            parts.append(v + ",")
        if "eprint" in f:
            parts.append(f"arXiv:{f['eprint']},")
        parts.append(f"{f['year']}.")
        if "doi" in f:
            parts.append(f"doi:{f['doi']}.")
        out.append((key, " ".join(parts)))
    return out

