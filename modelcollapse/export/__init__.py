"""Thin I/O on top of the library: LaTeX (:mod:`.latex`, :mod:`.appendix`), BibTeX (:mod:`.bibtex`),
figures (:mod:`.plot`), Jupyter display (:mod:`.display`) and saved verification reports (:mod:`.evidence`)."""
