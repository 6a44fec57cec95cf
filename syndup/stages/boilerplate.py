"""Stage 2, learn boilerplate: paragraphs that recur across unrelated articles (see `syndup.boilerplate`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import boilerplate as bp
from ..corpus import Corpus
from ..execution import Execution
from ..settings import Settings


@dataclass(frozen=True)
class Boilerplate:
    """What was learned, and where it stands in the corpus."""

    hashes: frozenset[int]  # the paragraph hashes judged boilerplate
    drops: np.ndarray       # bool, every paragraph of the corpus in read order: boilerplate?
    words: np.ndarray       # int64, per article in id order: its boilerplate words


def learn(corpus: Corpus, settings: Settings, execution: Execution) -> Boilerplate:
    """Learn the corpus's boilerplate from its paragraph outlines (judged in `execution`'s processes)."""
    hashes = bp.learn(corpus.paragraph_table(), corpus.sites, settings, execution)
    drops: np.ndarray = bp.drop_mask(corpus, bp.as_array(hashes))  # type: ignore[arg-type]
    # Per article: a few boilerplate paragraphs each, so no array over every paragraph.
    dropped = np.flatnonzero(drops)
    article = np.searchsorted(corpus.para_offsets, dropped, side="right") - 1
    words = np.bincount(article, weights=corpus.para_words[dropped], minlength=len(corpus)).astype(np.int64)
    return Boilerplate(hashes, drops, words[corpus.order])
