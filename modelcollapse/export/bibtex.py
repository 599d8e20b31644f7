r"""BibTeX for the papers the claims rely on, and :func:`citation` (STYLE.md, R15: citations are data).

The entries are written by hand from the seed article's reference list ("Notes and References"), the
project's ``REFERENCES.md`` and the venues' own pages.  Every entry names its venue and year; a paper
published at a venue carries its DOI where it has one and its arXiv identifier (``eprint``); a paper only on
arXiv says so in ``howpublished`` (the field every BibTeX style prints) and nowhere else, so no style prints
the identifier twice.  Keys are ``<first author><year><word>`` with the year of the cited version; the keys
of earlier releases stay valid through :data:`ALIASES`.  The appendix typesets them with BibTeX
(``\bibliographystyle{plainnat}``, natbib).

>>> sorted(ENTRIES)[:3]
['alemohammad2024', 'bertrand2024', 'borji2024']
>>> print(entry("borji2024").splitlines()[0])
@misc{borji2024,
>>> canonical("shumailov2024curse")
'shumailov2023curse'
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import Any, TextIO

__all__ = ["ALIASES", "BIBLIOGRAPHY_STYLE", "ENTRIES", "Citation", "bibtex", "canonical", "citation", "cited_keys", "entry"]

BIBLIOGRAPHY_STYLE = "plainnat"
"""The BibTeX style of the appendix (natbib's, in texlive-latex-base)."""

_SHUMAILOV = "Shumailov, Ilia and Shumaylov, Zakhar and Zhao, Yiren and Papernot, Nicolas and Anderson, Ross and Gal, Yarin"


def _arxiv(identifier: str, primary: str) -> str:
    return f"arXiv preprint arXiv:{identifier} [{primary}]"


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
    "davies1973": ("article", {
        "author": "Davies, Robert B.",
        "title": "Numerical inversion of a characteristic function",
        "journal": "Biometrika",
        "volume": "60",
        "number": "2",
        "pages": "415--417",
        "year": "1973",
        "doi": "10.1093/biomet/60.2.415",
    }),
    "shumailov2023curse": ("misc", {
        "author": "Shumailov, Ilia and Shumaylov, Zakhar and Zhao, Yiren and Gal, Yarin and Papernot, Nicolas and Anderson, Ross",
        "title": "The Curse of Recursion: Training on Generated Data Makes Models Forget",
        "howpublished": _arxiv("2305.17493", "cs.LG"),
        "year": "2023",
    }),
    "gerstgrasser2024": ("misc", {
        "author": (
            "Gerstgrasser, Matthias and Schaeffer, Rylan and Dey, Apratim and Rafailov, Rafael and Sleight, Henry "
            "and Hughes, John and Korbak, Tomasz and Agrawal, Rajashree and Pai, Dhruv and Gromov, Andrey and "
            "Roberts, Daniel A. and Yang, Diyi and Donoho, David L. and Koyejo, Sanmi"
        ),
        "title": "Is Model Collapse Inevitable? {B}reaking the Curse of Recursion by Accumulating Real and Synthetic Data",
        "howpublished": _arxiv("2404.01413", "cs.LG"),
        "year": "2024",
    }),
    "dohmatob2024regression": ("inproceedings", {
        "author": "Dohmatob, Elvis and Feng, Yunzhen and Kempe, Julia",
        "title": "Model Collapse Demystified: The Case of Regression",
        "booktitle": "Advances in Neural Information Processing Systems ({NeurIPS})",
        "volume": "37",
        "year": "2024",
        "eprint": "2402.07712",
        "archiveprefix": "arXiv",
    }),
    "dohmatob2024tails": ("inproceedings", {
        "author": "Dohmatob, Elvis and Feng, Yunzhen and Yang, Pu and Charton, Fran{\\c{c}}ois and Kempe, Julia",
        "title": "A Tale of Tails: Model Collapse as a Change of Scaling Laws",
        "booktitle": "Proceedings of the 41st International Conference on Machine Learning ({ICML})",
        "series": "Proceedings of Machine Learning Research",
        "volume": "235",
        "pages": "11165--11197",
        "publisher": "PMLR",
        "year": "2024",
        "eprint": "2402.07043",
        "archiveprefix": "arXiv",
    }),
    "seddik2024": ("inproceedings", {
        "author": "Seddik, Mohamed El Amine and Chen, Suei-Wen and Hayou, Soufiane and Youssef, Pierre and Debbah, Merouane",
        "title": "How Bad is Training on Synthetic Data? {A} Statistical Analysis of Language Model Collapse",
        "booktitle": "First Conference on Language Modeling ({COLM})",
        "year": "2024",
        "eprint": "2404.05090",
        "archiveprefix": "arXiv",
    }),
    "borji2024": ("misc", {
        "author": "Borji, Ali",
        "title": (
            "A Note on {S}humailov et al. (2024): ``{AI} Models Collapse When Trained on Recursively Generated Data''"
        ),
        "howpublished": _arxiv("2410.12954", "cs.LG"),
        "year": "2024",
    }),
    "alemohammad2024": ("inproceedings", {
        "author": (
            "Alemohammad, Sina and Casco-Rodriguez, Josue and Luzi, Lorenzo and Humayun, Ahmed Imtiaz and "
            "Babaei, Hossein and LeJeune, Daniel and Siahkoohi, Ali and Baraniuk, Richard G."
        ),
        "title": "Self-Consuming Generative Models Go {MAD}",
        "booktitle": "The Twelfth International Conference on Learning Representations ({ICLR})",
        "year": "2024",
        "eprint": "2307.01850",
        "archiveprefix": "arXiv",
    }),
    "bertrand2024": ("inproceedings", {
        "author": "Bertrand, Quentin and Bose, Avishek Joey and Duplessis, Alexandre and Jiralerspong, Marco and Gidel, Gauthier",
        "title": "On the Stability of Iterative Retraining of Generative Models on their own Data",
        "booktitle": "The Twelfth International Conference on Learning Representations ({ICLR})",
        "year": "2024",
        "eprint": "2310.00429",
        "archiveprefix": "arXiv",
    }),
    "wyllie2024": ("inproceedings", {
        "author": "Wyllie, Sierra and Shumailov, Ilia and Papernot, Nicolas",
        "title": "Fairness Feedback Loops: Training on Synthetic Data Amplifies Bias",
        "booktitle": "Proceedings of the 2024 {ACM} Conference on Fairness, Accountability, and Transparency ({FAccT})",
        "publisher": "Association for Computing Machinery",
        "address": "New York, NY, USA",
        "year": "2024",
        "eprint": "2403.07857",
        "archiveprefix": "arXiv",
    }),
    "guo2023": ("misc", {
        "author": "Guo, Yanzhu and Shang, Guokan and Vazirgiannis, Michalis and Clavel, Chlo{\\'e}",
        "title": "The Curious Decline of Linguistic Diversity: Training Language Models on Synthetic Text",
        "howpublished": _arxiv("2311.09807", "cs.CL"),
        "year": "2023",
    }),
    "kirchenbauer2023": ("inproceedings", {
        "author": "Kirchenbauer, John and Geiping, Jonas and Wen, Yuxin and Katz, Jonathan and Miers, Ian and Goldstein, Tom",
        "title": "A Watermark for Large Language Models",
        "booktitle": "Proceedings of the 40th International Conference on Machine Learning ({ICML})",
        "series": "Proceedings of Machine Learning Research",
        "volume": "202",
        "pages": "17061--17084",
        "publisher": "PMLR",
        "year": "2023",
        "eprint": "2301.10226",
        "archiveprefix": "arXiv",
    }),
    "kazdan2025": ("inproceedings", {
        "author": (
            "Kazdan, Joshua and Schaeffer, Rylan and Dey, Apratim and Gerstgrasser, Matthias and Rafailov, Rafael "
            "and Donoho, David L. and Koyejo, Sanmi"
        ),
        "title": "Collapse or Thrive: Perils and Promises of Synthetic Data in a Self-Generating World",
        "booktitle": "Proceedings of the 42nd International Conference on Machine Learning ({ICML})",
        "series": "Proceedings of Machine Learning Research",
        "volume": "267",
        "pages": "29469--29494",
        "publisher": "PMLR",
        "year": "2025",
        "eprint": "2410.16713",
        "archiveprefix": "arXiv",
    }),
    "dey2024universality": ("misc", {
        "author": "Dey, Apratim and Donoho, David",
        "title": "Universality of the $\\pi^2/6$ Pathway in Avoiding Model Collapse",
        "howpublished": _arxiv("2410.22812", "stat.ML"),
        "year": "2024",
    }),
    "suresh2025": ("inproceedings", {
        "author": "Suresh, Ananda Theertha and Thangaraj, Andrew and Khandavally, Aditya Nanda Kishore",
        "title": "Rate of Model Collapse in Recursive Training",
        "booktitle": "Proceedings of the 28th International Conference on Artificial Intelligence and Statistics ({AISTATS})",
        "series": "Proceedings of Machine Learning Research",
        "volume": "258",
        "pages": "1396--1404",
        "publisher": "PMLR",
        "year": "2025",
        "eprint": "2412.17646",
        "archiveprefix": "arXiv",
    }),
}
"""``{key: (entry type, fields)}``; fields in the order they are written."""

ALIASES: dict[str, str] = {
    "shumailov2024curse": "shumailov2023curse",
    "alemohammad2023": "alemohammad2024",
    "kazdan2024": "kazdan2025",
    "suresh2024": "suresh2025",
}
"""Keys of earlier releases (whose year did not match the cited version) -> the current key."""


def canonical(key: str) -> str:
    """The current key for ``key`` (an alias or a current key)."""
    return ALIASES.get(key, key)


def entry(key: str) -> str:
    """One BibTeX entry; an unknown key raises :class:`KeyError` naming the known ones."""
    try:
        key = canonical(key)
        kind, fields = ENTRIES[key]
    except KeyError:
        raise KeyError(f"no BibTeX entry for {key!r} (known: {', '.join(sorted(ENTRIES))})") from None
    width = max(len(f) for f in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in fields.items())
    return f"@{kind}{{{key},\n{body}\n}}"


def bibtex(keys: Iterable[str] | None = None) -> str:
    """The entries for ``keys`` (all known entries when ``None``), sorted by key, deduplicated."""
    chosen = sorted({canonical(k) for k in (ENTRIES if keys is None else keys)})
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
        keys.update(canonical(k) for k in _claim_of(item).references)
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
    <BibTeX: 2 entries: shumailov2023curse, shumailov2024nature>
    >>> print(bib.splitlines()[0])
    @misc{shumailov2023curse,
    """
    text = Citation(bibtex(cited_keys(*claims)))
    if file is _STDOUT:
        file = sys.stdout
    if file is not None:
        file.write(text)
        file.flush()
    return text
