"""Normalize text before comparison: Unicode NFKC, folded quotes/dashes/ellipses, case, whitespace,
and paragraphs that survive hard line-wraps; and cut it into words, the one definition of a word.

Two texts that differ only in these ways are, for syndup, the same text. A word is a run of
letters, digits, underscores and marks of the folded, case-folded text, each character folded by
its script (`_folded_char`): Arabic harakat and tatweel dropped and alef, ya and ta marbuta
variants folded; Hebrew niqqud dropped; Greek accents dropped; Cyrillic ё as е; Turkish dotted and
dotless i as i; digits of every script as ASCII digits; zero-width and bidi controls dropped. In
scripts written without spaces between words (Han, Hiragana, Katakana, Bopomofo, Thai, Lao, Khmer,
Myanmar) every character is a word of its own, so k-word shingles there are k-character n-grams.
`token_bytes` cuts a text into words (in the C kernel when it is built, else with a byte table),
and everything that counts, hashes or compares words starts from it.
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
        pos += len(line)
        rest = line.lstrip()  # the line's break is whitespace: stripped with the rest
        if rest:
            block.append((pos - len(rest), pos - len(rest) + len(rest.rstrip())))
        elif block:
            if len(block) == 1:  # most blocks: one line, one paragraph
                spans.append(block[0])
            else:
                _flush(text, block, spans)
            block = []
    _flush(text, block, spans)
    return spans


def _flush(text: str, block: list[tuple[int, int]], spans: list[tuple[int, int]]) -> None:
    if not block:
        return
    heads = [running_head(text[s:e]) for s, e in block] if len(block) > 2 else []
    if any(heads):
        # A page's running head printed into a column: its own paragraph, and the column around
        # it is judged without it (the text before and after it are then two paragraphs).
        lines = [line for line, head in zip(block, heads) if not head]
        if _hard_wrapped(text, lines):
            run: list[tuple[int, int]] = []
            for line, head in zip(block, heads):
                if head:
                    if run:
                        spans.append((run[0][0], run[-1][1]))
                    spans.append(line)
                    run = []
                else:
                    run.append(line)
            if run:
                spans.append((run[0][0], run[-1][1]))
            return
    if _hard_wrapped(text, block):
        spans.append((block[0][0], block[-1][1]))
    else:
        spans.extend(block)


#: The most words a running head has ("THE EVENING STAR, WASHINGTON, D. C., MONDAY, MAY 3, 1920.").
RUNNING_HEAD_WORDS = 14
_CASED_RE = re.compile(r"[^\W\d_]")
_ASCII_DIGIT_RE = re.compile("[0-9]")  # str.isdigit's characters in ASCII text


def running_head(line: str) -> bool:
    """True for a newspaper's running head or folio line, the furniture OCR prints into the text of
    a page ("THE DAILY GAZETTE, MONDAY, MARCH 3, 1890.", "EVENING NEWS. PAGE 4"): a short line in
    capitals that holds a page number or a date. Never body text; the diff calls it boilerplate."""
    if not (_ASCII_DIGIT_RE.search(line) if line.isascii() else any(c.isdigit() for c in line)):
        return False
    if len(line.split()) > RUNNING_HEAD_WORDS:
        return False
    upper = lower = 0
    for c in _CASED_RE.findall(line):
        upper += c.isupper()
        lower += c.islower()
    return upper >= 6 and upper >= 9 * lower


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
    `_folded_char`, once per process), in one pass when NFKC changes no character of the text
    (`_nfkc_stable`), else with NFKC in Python between the two. Without it, `_token_bytes_python`.
    """
    k = kernel.KERNEL
    if k is None:
        return _token_bytes_python(text)
    tokens = k.token_bytes(text, _folded_char, _nfkc_stable)
    if tokens is not None:
        return bytes(tokens)
    joined = k.paragraphs(text)
    if joined is None:  # two non-blank lines touch: paragraph_spans decides
        joined = _joined_paragraphs(text)
    if not joined.isascii():
        joined = unicodedata.normalize("NFKC", joined)
    return k.word_bytes(joined, _folded_char)


def _token_bytes_python(text: str) -> bytes:
    """`token_bytes` without the C kernel: ASCII through a byte table, every other character
    through `_folded_char` (the encoding error handler), as the kernel does it."""
    joined = _joined_paragraphs(text)
    handler = "strict"
    if not joined.isascii():
        # NFKC maps characters one by one (it never joins across a NUL), so normalizing the
        # joined paragraphs is normalizing each paragraph.
        joined = unicodedata.normalize("NFKC", joined)
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


#: Scripts written without spaces between words, as code point ranges (of NFKC text): Thai, Lao,
#: Myanmar, Khmer, CJK radicals, ideographic iteration marks and numerals, Hiragana, Katakana,
#: Bopomofo, Han (every extension), Kana supplements. Each letter or mark there is a word.
UNSPACED = (
    (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x19E0, 0x19FF), (0x2E80, 0x2FDF),
    (0x3005, 0x3007), (0x3021, 0x3029), (0x3038, 0x303C), (0x3040, 0x30FF), (0x3100, 0x312F),
    (0x31A0, 0x31BF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA9E0, 0xA9FF),
    (0xAA60, 0xAA7F), (0xF900, 0xFAFF), (0x1B000, 0x1B16F), (0x20000, 0x3FFFF),
)

#: Letters folded into another of their script: Arabic alef with hamza or madda and alef wasla
#: to alef, alef maksura and Farsi yeh to yeh, ta marbuta to ha, Farsi keheh to kaf; Cyrillic ё
#: to е; Turkish dotted capital I and dotless i to i (so every Turkish casing of a word compares
#: equal, whatever the language of the text); the ASCII of these is already folded by casefold.
_SCRIPT_FOLD = {
    "\u0622": "\u0627", "\u0623": "\u0627", "\u0625": "\u0627", "\u0671": "\u0627",
    "\u0649": "\u064a", "\u06cc": "\u064a", "\u0629": "\u0647", "\u06a9": "\u0643",
    "\u0451": "\u0435", "\u0401": "\u0435", "\u0130": "i", "\u0131": "i",
}
#: Combining marks dropped wherever they stand: diacritics that decorate a letter (accents and
#: stress marks NFKC could not compose), Arabic harakat and Quranic marks, Hebrew niqqud and
#: cantillation. Other marks (Indic vowel signs, viramas) are part of the word they stand in.
_DROPPED_MARKS = (
    (0x0300, 0x036F), (0x0591, 0x05C7), (0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670),
    (0x06D6, 0x06ED), (0x08D3, 0x08FF), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)
_TATWEEL = "\u0640"


def _within(o: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= o <= hi for lo, hi in ranges)


def _is_greek(o: int) -> bool:
    return 0x0370 <= o <= 0x03FF or 0x1F00 <= o <= 0x1FFF


def _fold_one(ch: str) -> str:
    """One character of case-folded text, folded by its script: what it stands for in a word ("" for
    nothing, " " for a separator), or, in a script without spaces, itself between spaces."""
    o = ord(ch)
    if ch.isascii():
        return ch
    if ch in _SCRIPT_FOLD:
        return _SCRIPT_FOLD[ch]
    cat = unicodedata.category(ch)
    if cat[0] == "M":
        if _within(o, _DROPPED_MARKS):
            return ""
        return f" {ch} " if _within(o, UNSPACED) else ch
    if cat == "Cf" or ch == _TATWEEL:  # zero-width and bidi controls, soft hyphen; tatweel stretches
        return ""
    if cat == "Nd":
        return str(unicodedata.decimal(ch))
    if not ch.isalnum():
        return " "
    if _within(o, UNSPACED):
        return f" {ch} "
    if _is_greek(o):
        return "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return ch


def is_unspaced(ch: str) -> bool:
    """True for a character of a script written without spaces, which is a word on its own."""
    return _within(ord(ch), UNSPACED)


@lru_cache(maxsize=1)
def word_run_re() -> re.Pattern[str]:
    """Runs of characters that may hold words, where they stand in an original text: `\\w`, every
    combining mark, format (zero-width, bidi) character and tatweel, and what `_FOLD` removes
    inside words. The diff cuts such runs into words with `word_pieces` and `words`."""
    ranges: list[list[int]] = []
    for o in (*range(0x80, 0x30000), *range(0xE0000, 0xE1000)):
        if unicodedata.category(chr(o))[0] == "M" or unicodedata.category(chr(o)) == "Cf":
            if ranges and ranges[-1][1] == o - 1:
                ranges[-1][1] = o
            else:
                ranges.append([o, o])
    extra = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)
    return re.compile(f"[\\w\\u00ad\\u200b\\ufeff\\u02bc\\u0640{extra}]+")


def word_pieces(run: str) -> list[tuple[int, str]]:
    """A run of word characters cut where its words may start: each character of a script without
    spaces alone, the stretches between whole; with the offset of each piece in the run. A run that
    NFKC changes (it may join characters across pieces) is one piece."""
    if run.isascii() or not any(is_unspaced(c) for c in run) or not unicodedata.is_normalized("NFKC", run):
        return [(0, run)]
    out: list[tuple[int, str]] = []
    start = 0
    for i, c in enumerate(run):
        if is_unspaced(c):
            if start < i:
                out.append((start, run[start:i]))
            out.append((i, c))
            start = i + 1
    if start < len(run):
        out.append((start, run[start:]))
    return out


@lru_cache(maxsize=8192)
def _folded_char(c: str) -> bytes:
    """What fold, casefold and the script rules make of one non-ASCII character of NFKC text: its
    `_FOLD` replacement, or its case folding with each character folded by `_fold_one`, as UTF-8."""
    m = _FOLD.get(ord(c))
    if m is not None:
        return (m if isinstance(m, str) else chr(m)).encode("ascii")
    if c in _SCRIPT_FOLD:  # before casefold: "\u0130" casefolds to "i" and a combining dot
        return _SCRIPT_FOLD[c].encode("utf-8")
    if unicodedata.category(c) == "Cs":  # a lone surrogate separates words
        return b" "
    return "".join([_fold_one(ch) for ch in c.casefold()]).encode("utf-8")


def _nfkc_stable(c: str) -> bool:
    """Whether NFKC leaves the character `c` as it is wherever it stands: it is normalized alone, is
    no combining mark (that NFKC could reorder), and composes with no character before it (Unicode's
    NFKC quick check says Yes, not Maybe). A text of such characters is its own NFKC."""
    return (c not in _composes_after() and not unicodedata.combining(c)
            and unicodedata.is_normalized("NFKC", c))


@lru_cache(maxsize=1)
def _composes_after() -> frozenset[str]:
    """The characters canonical composition may join to the one before them (the second of a
    canonical decomposition in two, and Hangul's vowel and final jamo), in the BMP."""
    after = {chr(o) for o in (*range(0x1161, 0x1176), *range(0x11A8, 0x11C3))}
    for o in range(0x80, 0x10000):
        parts = unicodedata.decomposition(chr(o)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            after.add(chr(int(parts[1], 16)))
    return frozenset(after)


def _fold_word_bytes(err: UnicodeError) -> tuple[bytes, int]:
    """Encoding error handler for NFKC text: folds a run of non-ASCII characters (`_folded_char`)."""
    if not isinstance(err, UnicodeEncodeError):
        raise err
    return b"".join([_folded_char(c) for c in err.object[err.start:err.end]]), err.end


codecs.register_error("syndup-fold-word-bytes", _fold_word_bytes)


# --------------------------------------------------------------------------------------------
# The noisy view's words: OCR'd and lightly reworded text


#: A word broken across a line end by a hyphen ("gov-\nernment") and the rest of the next line
#: (kept, so that the text keeps its lines and paragraphs).
_HYPHEN_END = re.compile(r"-[ \t]*\n")
_HYPHENATED = re.compile(r"(\w)-[ \t]*\n[ \t]*(\w+)(?!\w)[ \t]*(?=\S)")


def _joined_word(m: re.Match[str]) -> str:
    """A hyphenated line end joined ("gov-\\nernment is" -> "government\\nis") when the word
    continues in lower case; "Anglo-\\nFrench" keeps its hyphen."""
    rest = m.group(2)
    if not rest[0].islower():
        return m.group(0)
    return f"{m.group(1)}{rest}\n"


def dehyphenate(text: str) -> str:
    """`text` with words hyphenated at line ends joined again, as a newspaper column breaks them;
    every line stays a line (the rest of the word moves up), so paragraphs stay as they were."""
    if _HYPHEN_END.search(text) is None:  # a regex finds it faster than `in` in non-ASCII text
        return text
    return _HYPHENATED.sub(_joined_word, text)


#: OCR's confusable characters, folded in the noisy view (on words already case-folded), in one
#: pass from left to right over the text with digits read as letters (1/l, 0/o, 5/s): a pair
#: (rn/m, cl/d, vv/w, ri and ii/n, li/h) becomes its letter, any other letter its class's (i/l,
#: c/e, u/n, b/h, v/y, f/t, q/g, a/o). Folding merges a few real words too ("bat"/"hat"); in word
#: pairs that costs next to nothing.
CONFUSABLE_PAIRS = {b"rn": b"m", b"cl": b"d", b"vv": b"w", b"ri": b"n", b"ii": b"n", b"li": b"h"}
_CONFUSABLE_PAIR_RE = re.compile(b"|".join(CONFUSABLE_PAIRS))
_CONFUSABLE_DIGITS = bytes.maketrans(b"105", b"los")
_CONFUSABLE_LETTERS = bytes.maketrans(b"icubvfqa", b"lenhytgo")


def fold_confusables(tokens: bytes) -> bytes:
    """`token_bytes` output with OCR's confusable characters folded (see `CONFUSABLE_PAIRS`; in
    the C kernel when it is built); markers and the UTF-8 of non-ASCII letters stay as they are."""
    k = kernel.KERNEL
    if k is not None:
        return bytes(k.fold_confusables(tokens))
    pairs = _CONFUSABLE_PAIR_RE.sub(lambda m: CONFUSABLE_PAIRS[m.group()], tokens.translate(_CONFUSABLE_DIGITS))
    return pairs.translate(_CONFUSABLE_LETTERS)


def noisy_token_bytes(text: str, tokens: bytes | None = None) -> bytes:
    """The noisy view's tokens of `text`: `token_bytes` of the de-hyphenated text with confusables
    folded, in the same paragraphs as `token_bytes(text)` (`tokens`, if computed already); when
    joining hyphenated words would change the paragraphs, the words stay as they were."""
    if tokens is None:
        tokens = token_bytes(text)
    rejoined = rejoined_token_bytes(text, tokens)
    return fold_confusables(tokens if rejoined is None else rejoined)


def rejoined_token_bytes(text: str, tokens: bytes) -> bytes | None:
    """`token_bytes` of the de-hyphenated `text`, whose `token_bytes` are `tokens`: None when
    de-hyphenating changes nothing, or would change the paragraphs (the noisy view then folds `tokens`)."""
    joined = dehyphenate(text)
    if joined == text:
        return None
    rejoined = token_bytes(joined)
    return rejoined if rejoined.count(b"\x00") == tokens.count(b"\x00") else None
