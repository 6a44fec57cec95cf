"""Normalize text before comparison: Unicode NFKC, folded quotes/dashes/ellipses, case, whitespace,
and paragraphs that survive hard line-wraps.

Two texts that differ only in these ways are, for syndup, the same text.
"""

from __future__ import annotations

import re
import unicodedata

#: Curly and typographic quotes, dashes and ellipses folded to ASCII so they are never "changes".
_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"',
    "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2026": "...", "\u00a0": " ", "\u200b": "", "\ufeff": "", "\u00ad": "",
})

#: A word, as syndup counts them: a run of letters, digits or underscores (punctuation is not a word).
WORD_RE = re.compile(r"\w+")
_SPACE_RE = re.compile(r"\s+")
_DASHES_RE = re.compile(r"-{2,}")
_TERMINAL = tuple('.!?:;"\')]')


#: Finds the characters `_FOLD` maps: replacing just those is much faster than str.translate
#: with a table that maps characters to strings (which visits every character in Python).
_FOLD_RE = re.compile("[" + "".join(chr(c) for c in _FOLD) + "]")
_FOLD_STR = {chr(c): v for c, v in _FOLD.items()}


def _fold_match(m: re.Match[str]) -> str:
    return _FOLD_STR[m.group()]


def fold(text: str) -> str:
    """NFKC, then typographic quotes, dashes and ellipses to ASCII; keeps case and layout."""
    if not text.isascii():  # NFKC leaves ASCII alone, and _FOLD maps no ASCII character
        text = unicodedata.normalize("NFKC", text)
        # Most texts hold none of _FOLD's characters: a substring search for each (memchr-fast)
        # costs a tenth of the regex's character-by-character scan.
        if any(c in text for c in _FOLD_STR):
            text = _FOLD_RE.sub(_fold_match, text)
    return _DASHES_RE.sub("-", text) if "--" in text else text


def normalize(text: str) -> str:
    """The comparison form of a text: folded, case-folded, whitespace collapsed to single spaces."""
    return _SPACE_RE.sub(" ", fold(text).casefold()).strip()


def words(text: str) -> list[str]:
    """The normalized words of a text, in order."""
    return WORD_RE.findall(normalize(text))


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the paragraphs of `text`, in order.

    Paragraphs are separated by blank lines; inside a block each line is its own paragraph unless
    the block looks hard-wrapped (lines of similar width broken mid-sentence), in which case its
    lines are one paragraph. Spans index the original text, so callers can cut and highlight it.
    """
    spans: list[tuple[int, int]] = []
    block: list[tuple[int, int]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        start, end = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        stripped = text[start:end].strip()
        if not stripped:
            _flush(text, block, spans)
            block = []
            continue
        lead = len(text[start:end]) - len(text[start:end].lstrip())
        trail = len(text[start:end]) - len(text[start:end].rstrip())
        block.append((start + lead, end - trail))
    _flush(text, block, spans)
    return spans


def _flush(text: str, block: list[tuple[int, int]], spans: list[tuple[int, int]]) -> None:
    if not block:
        return
    if _hard_wrapped(text, block):
        spans.append((block[0][0], block[-1][1]))
    else:
        spans.extend(block)


def _hard_wrapped(text: str, block: list[tuple[int, int]]) -> bool:
    """True when a block's lines are one paragraph wrapped at a fixed width."""
    if len(block) < 2:
        return False
    lengths = [e - s for s, e in block]
    widest = max(lengths)
    if widest > 120 or widest < 30:
        return False
    body = block[:-1]
    if any(e - s < 0.6 * widest for s, e in body):
        return False
    # A wrapped line usually ends mid-sentence; a list of short sentences does not.
    open_ends = sum(1 for s, e in body if not text[s:e].rstrip().endswith(_TERMINAL))
    return open_ends * 2 >= len(body)


def paragraphs(text: str) -> list[str]:
    """The paragraphs of `text` as strings (see `paragraph_spans`)."""
    return [text[s:e] for s, e in paragraph_spans(text)]
