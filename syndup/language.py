"""The language of each article (ISO 639-1 code, "" when unknown), for the `language` column.

Identified by CLD2 (`pycld2`, the `lang` extra: a compact C++ identifier whose model is compiled in,
so nothing is downloaded) from the start of the text. Most articles of an English corpus never
reach it: a text whose words are at least 8% "the", "of", "and" and "to" (at least 2.5% "the") is
English, read off the word hashes the scan has already computed (`english`); CLD2 says "en" for
every such text of the BBC and development sets, and it costs the scan nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from types import ModuleType

import numpy as np

from .shingle import FeatureBatch, analyze_many

#: How much of a text the identifier reads: enough for a confident answer, little enough to be quick.
SAMPLE_CHARS = 600
#: CLD2's codes that differ from ISO 639-1.
_CODES = {"iw": "he", "jw": "jv", "zh-Hant": "zh"}


@lru_cache(maxsize=1)
def _cld2() -> ModuleType | None:
    try:
        import pycld2
    except ImportError:
        return None
    return pycld2


def available() -> bool:
    """True when the identifier (`pip install 'syndup[lang]'`) is installed."""
    return _cld2() is not None


@lru_cache(maxsize=1)
def _function_words() -> tuple[int, ...]:
    return tuple(analyze_many(["the of and to"]).word_hashes.tolist())


def english(batch: FeatureBatch) -> np.ndarray:
    """Which articles of a batch are plainly English, from their word hashes alone (bool each)."""
    the, of, and_, to = (np.uint64(h) for h in _function_words())
    wh = batch.word_hashes
    n = np.diff(batch.word_offsets)
    if not wh.shape[0]:
        return np.zeros(len(batch), dtype=bool)
    first = batch.word_offsets[:-1]
    doc_the = np.searchsorted(first, np.flatnonzero(wh == the), side="right") - 1
    doc_other = np.searchsorted(first, np.flatnonzero((wh == of) | (wh == and_) | (wh == to)), side="right") - 1
    n_the = np.bincount(doc_the, minlength=n.shape[0])
    n_all = n_the + np.bincount(doc_other, minlength=n.shape[0])
    return (n >= 20) & (n_all * 100 >= 8 * n) & (n_the * 1000 >= 25 * n)


def identify(text: str) -> str:
    """The language of `text` as CLD2 tells it from its start ("" when unsure or not installed)."""
    cld2 = _cld2()
    if cld2 is None:
        return ""
    sample = text[:SAMPLE_CHARS].encode("utf-8", "replace")
    try:
        reliable, _, details = cld2.detect(sample, isPlainText=True)
    except cld2.error:  # bytes CLD2 refuses (it checks UTF-8 itself): no answer
        return ""
    code = str(details[0][1])
    if not reliable or code in ("un", "xxx"):
        return ""
    return _CODES.get(code, code)


def languages(texts: Sequence[str], batch: FeatureBatch) -> list[str]:
    """The language of each text; `batch` is their `analyze_many`, which settles English texts."""
    if not available():
        return [""] * len(texts)
    plain = english(batch).tolist()
    return ["en" if is_en else identify(t) for t, is_en in zip(texts, plain)]
