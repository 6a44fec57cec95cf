"""Normalize text before comparison: Unicode NFKC, folded quotes/dashes/ellipses, case, whitespace,
and paragraphs that survive hard line-wraps; and cut it into words, the one definition of a word.

Two texts that differ only in these ways are, for syndup, the same text. A word is a run of
letters, digits or underscores (regex `\\w+`) of the folded, case-folded text; `token_bytes` cuts a
text into them (in the C kernel when it is built, else with a byte table), and everything that
counts, hashes or compares words starts from it.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from functools import lru_cache

from . import kernel

#: Curly and typographic quotes, dashes and ellipses folded to ASCII so they are never "changes".
_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"',
    "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2026": "...", "\u00a0": " ", "\u200b": "", "\ufeff": "", "\u00ad": "",
})

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
    if open_ends * 2 < len(body):
        return False
    # The rows of a table (a league table, results, a team sheet) are lines of similar width too,
    # but made mostly of figures: lines are rows when a quarter of their words hold a digit.
    tokens = text[block[0][0]:block[-1][1]].split()
    return sum(any(c.isdigit() for c in t) for t in tokens) * 4 < len(tokens)


def paragraphs(text: str) -> list[str]:
    """The paragraphs of `text` as strings (see `paragraph_spans`)."""
    return [text[s:e] for s, e in paragraph_spans(text)]


# --------------------------------------------------------------------------------------------
# Words: the tokens of a text


#: Marker tokens: a quotation mark, and the paragraph break put between paragraphs.
QUOTE, BREAK = '"', "\x00"
_MARKERS = (QUOTE.encode("ascii"), BREAK.encode("ascii"))


def words(text: str) -> list[str]:
    """The normalized words of a text, in order: its tokens without the markers."""
    return [t.decode("utf-8") for t in token_bytes(text).split() if t not in _MARKERS]


def token_bytes(text: str) -> bytes:
    """The tokens of `text` as UTF-8, separated by ASCII whitespace (never a \\x01 byte): its words
    (folded, case-folded, `\\w+`), a QUOTE per quotation mark and a BREAK between paragraphs.

    With the C kernel, lines are cut and characters mapped in C (each non-ASCII character through
    `_folded_char`, once per process); NFKC stays in Python. Without it, `_token_bytes_python`.
    """
    k = kernel.KERNEL
    if k is None:
        return _token_bytes_python(text)
    joined = k.paragraphs(text)
    if joined is None:  # two non-blank lines touch: paragraph_spans decides
        joined = _joined_paragraphs(text)
    if not joined.isascii():
        joined = unicodedata.normalize("NFKC", joined)
    return k.word_bytes(joined, _folded_char)


def _token_bytes_python(text: str) -> bytes:
    """`token_bytes` without the C kernel: characters mapped by `str.encode` and a byte table."""
    joined = _joined_paragraphs(text)
    handler = "strict"
    if not joined.isascii():
        # NFKC, fold and casefold map characters one by one (NFKC never joins across a NUL), so
        # folding the joined paragraphs is folding each paragraph.
        joined = unicodedata.normalize("NFKC", joined)
        if len(joined.encode("utf-8", "surrogatepass")) - len(joined) > len(joined) // 32:
            joined = fold(joined).casefold()  # much non-ASCII text: fold it all at once
            handler = "syndup-word-bytes"
        else:  # a few non-ASCII characters: fold each where it is
            handler = "syndup-fold-word-bytes"
    raw = joined.encode("ascii", handler).translate(_BYTE_TABLE)
    if b'"' in raw:
        raw = raw.replace(b'"', b' " ')
    return raw.replace(b"\x00", b" \x00 ")


def _joined_paragraphs(text: str) -> str:
    """The paragraphs of `text` joined with BREAK (a BREAK inside one becomes a space)."""
    paras = _paragraph_texts(text)
    if BREAK in text:  # a NUL inside a paragraph separates words, like any other non-word character
        paras = [p.replace(BREAK, " ") for p in paras]
    return BREAK.join(paras)


def _paragraph_texts(text: str) -> list[str]:
    """The paragraphs of `text`, as `paragraph_spans` cuts them: in one pass over the lines when
    no two non-blank lines touch (each is then its own paragraph), else by `paragraph_spans`."""
    paras: list[str] = []
    after_text = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped:
            if after_text:
                return paragraphs(text)
            paras.append(stripped)
        after_text = bool(stripped)
    return paras


#: Over the bytes `_token_bytes_python` encodes: ASCII letters, digits and '_' are word bytes
#: (upper case folded), '"' and NUL are kept as markers, other ASCII bytes separate, and bytes
#: >= 0x80 (only ever the UTF-8 of a non-ASCII word character, see `_word_bytes`) are word bytes.
_BYTE_TABLE = bytes(
    c + 32 if 65 <= c <= 90
    else c if (48 <= c <= 57 or 97 <= c <= 122 or c in (0, 34, 95) or c >= 128)
    else 32
    for c in range(256)
)


def _word_bytes(err: UnicodeError) -> tuple[bytes, int]:
    """Encoding error handler: a run of non-ASCII characters becomes the UTF-8 of its word
    characters (what regex \\w matches: alphanumerics and '_') and a space for every other one."""
    if not isinstance(err, UnicodeEncodeError):
        raise err
    run = err.object[err.start:err.end]
    if run.isalnum():
        return run.encode("utf-8", "surrogatepass"), err.end
    return b"".join([c.encode("utf-8") if c.isalnum() else b" " for c in run]), err.end


@lru_cache(maxsize=8192)
def _folded_char(c: str) -> bytes:
    """What fold, casefold and `\\w+` make of one non-ASCII character of NFKC text: its `_FOLD`
    replacement, or its case folding with word characters as UTF-8 and others as spaces."""
    m = _FOLD.get(ord(c))
    if m is not None:
        return (m if isinstance(m, str) else chr(m)).encode("ascii")
    return b"".join([ch.encode("utf-8") if ch.isascii() or ch.isalnum() else b" " for ch in c.casefold()])


def _fold_word_bytes(err: UnicodeError) -> tuple[bytes, int]:
    """Encoding error handler for NFKC text: folds a run of non-ASCII characters (`_folded_char`)."""
    if not isinstance(err, UnicodeEncodeError):
        raise err
    return b"".join([_folded_char(c) for c in err.object[err.start:err.end]]), err.end


codecs.register_error("syndup-word-bytes", _word_bytes)
codecs.register_error("syndup-fold-word-bytes", _fold_word_bytes)
