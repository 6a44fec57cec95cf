"""Turn articles into hashed words, paragraphs and word shingles, all as numpy arrays.

Per-word and per-shingle work is vectorized over a whole batch of articles: words are hashed in
one call (pandas' SipHash), k-word shingles are combined from word hashes with array arithmetic,
and per-article results live in flat arrays with offsets (`FeatureBatch`, `SetBatch`).
`analyze`, `shingles` and `anchors` are `analyze_many`, `shingle_many` and `anchors_many` of a batch
of one. Words themselves are `normalize.token_bytes`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from . import kernel
from .normalize import BREAK, QUOTE, noisy_token_bytes, rejoined_token_bytes, token_bytes
from .sign import fmix, repeated_keys

_HASH_KEY = "syndup-words-v01"  # 16 bytes: the SipHash key for words; part of HASH_SCHEME
NOISY_KEY = "syndup-noisy-v01"  # 16 bytes: the key of the noisy view's words (`analyze_views`)
# Odd 64-bit multipliers, one per shingle position (splitmix64-style constants).
_POS_MULT = np.array([
    0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93,
    0xA0761D6478BD642F, 0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3, 0x589965CC75374CC3,
    0x1D8E4E27C47D124F, 0xCA5A826395121157, 0x2545F4914F6CDD1D, 0xFF51AFD7ED558CCD,
], dtype=np.uint64)
MAX_SHINGLE = len(_POS_MULT)


@dataclass(frozen=True, eq=False)
class Features:
    """The comparison form of one article, independent of every other article."""

    word_hashes: np.ndarray      # uint64, one per word, in order
    word_quoted: np.ndarray      # bool, word lies inside "quotation marks"
    para_hashes: np.ndarray      # uint64, one per paragraph (hash of its word sequence)
    para_words: np.ndarray       # int32, words per paragraph
    fingerprint: bytes           # hash of the whole word sequence: equal means `duplicate`

    @property
    def n_words(self) -> int:
        return int(self.word_hashes.shape[0])

    def as_batch(self) -> FeatureBatch:
        """This article as a batch of one, the form the `*_many` functions take."""
        n_words, n_paras = self.word_hashes.shape[0], self.para_hashes.shape[0]
        return FeatureBatch(self.word_hashes, self.word_quoted, np.array([0, n_words], dtype=np.int64),
                            self.para_hashes, self.para_words, np.array([0, n_paras], dtype=np.int64),
                            np.frombuffer(self.fingerprint, dtype=np.uint8).reshape(1, -1))


def _hash_tokens(tokens: Sequence[bytes | str], key: str = _HASH_KEY) -> np.ndarray:
    """SipHash of each token under `key` (the words' `_HASH_KEY`): the numpy path's word hashes."""
    arr = np.empty(len(tokens), dtype=object)
    arr[:] = tokens
    if not len(tokens):
        return np.zeros(0, dtype=np.uint64)
    return pd.util.hash_array(arr, hash_key=key, categorize=False)


_ARTICLE = "\x01"  # put between the articles of a batch, which are then split in one call


@lru_cache(maxsize=2)
def _marker_hashes(key: str = _HASH_KEY) -> tuple[int, int, int]:
    q, b, a = _hash_tokens([QUOTE, BREAK, _ARTICLE], key).tolist()
    return q, b, a


@dataclass(frozen=True, eq=False)
class FeatureBatch:
    """`Features` of many articles in flat arrays: article i's words are
    `word_hashes[word_offsets[i]:word_offsets[i + 1]]`, its paragraphs likewise by `para_offsets`."""

    word_hashes: np.ndarray    # uint64
    word_quoted: np.ndarray    # bool
    word_offsets: np.ndarray   # int64, n + 1
    para_hashes: np.ndarray    # uint64
    para_words: np.ndarray     # int32
    para_offsets: np.ndarray   # int64, n + 1
    fingerprints: np.ndarray   # uint8, (n, 12)

    def __len__(self) -> int:
        return int(self.word_offsets.shape[0] - 1)

    def __getitem__(self, i: int) -> Features:
        w0, w1 = int(self.word_offsets[i]), int(self.word_offsets[i + 1])
        p0, p1 = int(self.para_offsets[i]), int(self.para_offsets[i + 1])
        return Features(
            word_hashes=self.word_hashes[w0:w1],
            word_quoted=self.word_quoted[w0:w1],
            para_hashes=self.para_hashes[p0:p1],
            para_words=self.para_words[p0:p1],
            fingerprint=self.fingerprints[i].tobytes(),
        )

    @property
    def n_words(self) -> np.ndarray:
        """Words per article."""
        return np.diff(self.word_offsets)


def _offsets(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def analyze_many(texts: Sequence[str]) -> FeatureBatch:
    """`analyze` for many texts at once: the same arrays, bit for bit, in flat form."""
    return analyze_tokens([token_bytes(t) for t in texts])


def analyze_views(texts: Sequence[str]) -> tuple[FeatureBatch, FeatureBatch]:
    """The exact view (`analyze_many`) and the noisy view of many texts, their words cut once.

    The noisy view's words are `normalize.noisy_token_bytes` (de-hyphenated, OCR's confusable
    letters folded), hashed under their own key, in the same paragraphs as the exact view's, so
    that one boilerplate mask serves both.
    """
    tokens = [token_bytes(t) for t in texts]
    k = kernel.KERNEL
    if k is None:
        noisy = [noisy_token_bytes(t, tb) for t, tb in zip(texts, tokens)]
        return analyze_tokens(tokens), analyze_tokens(noisy, NOISY_KEY, digests=False)
    # In one kernel call: the noisy view folds each exact word again, or the rejoined tokens.
    rejoined = [rejoined_token_bytes(t, tb) for t, tb in zip(texts, tokens)]
    exact, noisy_arrays = k.analyze_views(tokens, rejoined, _HASH_KEY.encode("ascii"), NOISY_KEY.encode("ascii"))
    return _kernel_batch(exact, len(tokens)), _kernel_batch(noisy_arrays, len(tokens))


def analyze_noisy_many(texts: Sequence[str]) -> FeatureBatch:
    """The noisy view of many texts (see `analyze_views`)."""
    return analyze_tokens([noisy_token_bytes(t) for t in texts], NOISY_KEY, digests=False)


def analyze_tokens(tokens: Sequence[bytes], key: str = _HASH_KEY, digests: bool = True) -> FeatureBatch:
    """`analyze_many` of texts already cut into tokens (`token_bytes`), words hashed under `key`;
    without `digests`, paragraph hashes and fingerprints are left zero (the noisy view's)."""
    k = kernel.KERNEL
    if k is None:
        return _analyze_many_numpy(tokens, key, digests)
    return _kernel_batch(k.analyze(list(tokens), key.encode("ascii"), digests), len(tokens))


def _kernel_batch(arrays: tuple[bytearray, ...], n: int) -> FeatureBatch:
    """The kernel's seven arrays of `n` articles (see `_kernel.analyze`) as a `FeatureBatch`."""
    wh, wq, wo, ph, pw, po, fp = arrays
    return FeatureBatch(
        word_hashes=np.frombuffer(wh, dtype="<u8").astype(np.uint64, copy=False),
        word_quoted=np.frombuffer(wq, dtype=np.bool_),
        word_offsets=np.frombuffer(wo, dtype=np.int64),
        para_hashes=np.frombuffer(ph, dtype="<u8").astype(np.uint64, copy=False),
        para_words=np.frombuffer(pw, dtype=np.int32),
        para_offsets=np.frombuffer(po, dtype=np.int64),
        fingerprints=np.frombuffer(fp, dtype=np.uint8).reshape(n, 12),
    )


def _analyze_many_numpy(texts: Sequence[bytes], key: str = _HASH_KEY, digests: bool = True) -> FeatureBatch:
    """`analyze_tokens` without the C kernel: tokens hashed by pandas, structure by numpy."""
    n = len(texts)
    tokens = b" \x01 ".join(texts).split()
    h = _hash_tokens(tokens, key)
    h_quote, h_break, h_article = _marker_hashes(key)
    is_quote = h == np.uint64(h_quote)
    is_break = h == np.uint64(h_break)
    is_article = h == np.uint64(h_article)
    # A 64-bit hash collision with a marker is astronomically unlikely; check rather than assume.
    for flag, marker in ((is_quote, QUOTE), (is_break, BREAK), (is_article, _ARTICLE)):
        for pos in np.flatnonzero(flag).tolist():
            if tokens[pos].decode() != marker:
                flag[pos] = False
    del tokens
    doc = np.cumsum(is_article)
    inside = ~is_article
    h, is_quote, is_break, doc = h[inside], is_quote[inside], is_break[inside], doc[inside]
    counts = np.bincount(doc, minlength=n)
    starts = _offsets(counts)[:-1]
    # Segments: a new one at every paragraph break and at the first token of every article.
    boundary = is_break.copy()
    boundary[starts[counts > 0]] = True
    seg = np.cumsum(boundary)
    quotes_before = np.cumsum(is_quote) - is_quote
    at_start = np.maximum.accumulate(np.where(boundary, quotes_before, 0))
    quoted = ((quotes_before - at_start) & 1).astype(bool)  # odd number of '"' since the paragraph began
    word = ~(is_quote | is_break)
    wh = np.ascontiguousarray(h[word])
    wq = quoted[word]
    wseg = seg[word]
    wdoc = doc[word]
    word_offsets = _offsets(np.bincount(wdoc, minlength=n))
    first = np.ones(wseg.shape[0], dtype=bool)
    first[1:] = wseg[1:] != wseg[:-1]
    para_start = np.flatnonzero(first)
    bounds = np.append(para_start, wseg.shape[0])
    para_words = np.diff(bounds).astype(np.int32)
    para_offsets = _offsets(np.bincount(wdoc[para_start], minlength=n))
    if not digests:
        return FeatureBatch(wh, wq, word_offsets, np.zeros(para_words.shape[0], np.uint64), para_words, para_offsets,
                            np.zeros((n, 12), np.uint8))
    view = memoryview(wh.tobytes())
    b8 = (bounds * 8).tolist()
    blake = hashlib.blake2b
    para_hashes = np.frombuffer(
        b"".join([blake(view[s:e], digest_size=8).digest() for s, e in zip(b8[:-1], b8[1:])]), dtype="<u8"
    ).astype(np.uint64)
    w8 = (word_offsets * 8).tolist()
    fingerprints = np.frombuffer(
        b"".join([blake(view[s:e], digest_size=12).digest() for s, e in zip(w8[:-1], w8[1:])]), dtype=np.uint8
    ).reshape(n, 12)
    return FeatureBatch(wh, wq, word_offsets, para_hashes, para_words, para_offsets, fingerprints)


def analyze(text: str) -> Features:
    """Hash the words of `text` and record paragraph and quotation structure."""
    return analyze_many([text])[0]


@dataclass(frozen=True, eq=False)
class ShingleSet:
    """The distinct k-word shingles of an article's body, as sorted 32-bit hashes."""

    hashes: np.ndarray     # uint32, sorted, unique
    unquoted: np.ndarray   # bool per hash: occurs at least once outside quotation marks

    def __len__(self) -> int:
        return int(self.hashes.shape[0])

    def as_batch(self) -> SetBatch:
        """This set as a batch of one, the form `anchors_many` takes."""
        return SetBatch(self.hashes, self.unquoted, np.array([0, self.hashes.shape[0]], dtype=np.int64))


EMPTY = ShingleSet(np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=bool))


def shingle_multipliers(k: int) -> np.ndarray:
    """The k per-position multipliers `shingle_hashes` uses, for the C kernel."""
    if k > MAX_SHINGLE:
        raise ValueError(f"shingle_size must be at most {MAX_SHINGLE}, got {k}")
    return _POS_MULT[:k].copy()


def shingle_hashes(words: np.ndarray, k: int) -> np.ndarray:
    """32-bit hashes of every run of k consecutive word hashes (one if there are fewer words)."""
    if k > MAX_SHINGLE:
        raise ValueError(f"shingle_size must be at most {MAX_SHINGLE}, got {k}")
    n = words.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    k_eff = min(k, n)
    m = n - k_eff + 1
    acc = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k_eff):  # k iterations over whole arrays: vectorized per shingle
            acc += words[j:j + m] * _POS_MULT[j]
        acc += np.uint64(k_eff)
        return (fmix(acc) >> np.uint64(32)).astype(np.uint32)


@dataclass(frozen=True, eq=False)
class SetBatch:
    """`ShingleSet`s of many articles in flat arrays: article i's set is
    `hashes[offsets[i]:offsets[i + 1]]` (sorted, unique) with its `unquoted` flags."""

    hashes: np.ndarray     # uint32
    unquoted: np.ndarray   # bool
    offsets: np.ndarray    # int64, n + 1

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def __getitem__(self, i: int) -> ShingleSet:
        s, e = int(self.offsets[i]), int(self.offsets[i + 1])
        return ShingleSet(self.hashes[s:e], self.unquoted[s:e]) if e > s else EMPTY

    @property
    def sizes(self) -> np.ndarray:
        """Distinct shingles per article."""
        return np.diff(self.offsets)

    @classmethod
    def of(cls, sets: Sequence[ShingleSet]) -> SetBatch:
        """Separate `ShingleSet`s as one batch, set i at position i."""
        offsets = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum([len(x) for x in sets], out=offsets[1:])
        hashes = np.concatenate([np.zeros(0, np.uint32)] + [x.hashes for x in sets]).astype(np.uint32, copy=False)
        unquoted = np.concatenate([np.zeros(0, bool)] + [x.unquoted for x in sets]).astype(bool, copy=False)
        return cls(hashes, unquoted, offsets)

    def gather(self, docs: np.ndarray) -> SetBatch:
        """The sets of `docs`, in that order, as one batch (what `spill.SetStore.gather` reads from disk)."""
        return SetBatch.of([self[d] for d in np.asarray(docs, dtype=np.int64).tolist()])


_U1, _U33 = np.uint64(1), np.uint64(33)


#: Paragraphs of one page that begin with the same this many words are one text shown twice.
REPEAT_WORDS = 10


def repeated_paragraphs(batch: FeatureBatch) -> np.ndarray:
    """Which paragraphs of each article its page shows twice (bool, one per paragraph): a gallery
    caption and its "... more" teaser, a caption printed above and below a photo. Two paragraphs
    of one page beginning with the same `REPEAT_WORDS` words are page furniture, not body (shorter
    lines, "Advertisement" and the like, are left to boilerplate); a run of two or more paragraphs
    repeated in order (a page that holds its article twice) is the article, and stays."""
    pw = batch.para_words.astype(np.int64)
    out = np.zeros(pw.shape[0], dtype=bool)
    if pw.shape[0] < 2:
        return out
    start = np.cumsum(pw) - pw
    long = np.flatnonzero(pw >= REPEAT_WORDS)
    key = np.zeros(pw.shape[0], dtype=np.uint64)
    first, words = start[long], batch.word_hashes  # each long paragraph's first word, and the words
    long_key = np.zeros(long.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(REPEAT_WORDS):
            long_key = long_key * np.uint64(0x100000001B3) + words[first + j]
    key[long] = long_key
    article = np.repeat(np.arange(len(batch), dtype=np.int64), np.diff(batch.para_offsets))[long]
    # Only keys held twice (in any article) can be shown twice by one page: those are sorted by
    # article, then key, so that equal keys of one article end up next to each other.
    again = repeated_keys(long_key)
    order = again[np.lexsort((long_key[again], article[again]))]
    ka = long_key[order]
    same = (article[order][1:] == article[order][:-1]) & (ka[1:] == ka[:-1])
    if not same.any():
        return out
    twice = np.zeros(pw.shape[0], dtype=bool)
    twice[long[order[1:][same]]] = twice[long[order[:-1][same]]] = True
    article = np.repeat(np.arange(len(batch), dtype=np.int64), np.diff(batch.para_offsets))
    for a in np.unique(article[twice]).tolist():
        p0, p1 = int(batch.para_offsets[a]), int(batch.para_offsets[a + 1])
        keys = key[p0:p1].tolist()
        places: dict[int, list[int]] = defaultdict(list)
        for i in np.flatnonzero(twice[p0:p1]).tolist():
            places[keys[i]].append(i)
        for at in places.values():
            for i, j in zip(at, at[1:]):
                block = any(0 <= i + d < j + d < len(keys) and i + d != j and keys[i + d] == keys[j + d]
                            and twice[p0 + i + d] for d in (-1, 1))
                if not block:
                    out[p0 + i] = out[p0 + j] = True
    return out


#: A short paragraph (at most this many words) beginning with one of `_GALLERY_FIRST` is a photo
#: credit or a gallery's counter ("Photo: Jane Doe/AP", "Image 2 of 5").
CHROME_LINE_WORDS = 12
_GALLERY_FIRST = ("photo", "photos", "image", "images", "picture", "pictures", "slide", "gallery")
#: Whole paragraphs that are a gallery's or a player's controls and labels.
_CONTROLS = ("close", "back to gallery", "view gallery", "open gallery", "launch gallery", "start slideshow",
             "view slideshow", "next", "previous", "prev", "next image", "previous image", "next slide",
             "previous slide", "enlarge this image", "expand", "hide caption", "show caption", "toggle caption",
             "more", "less", "recommended video", "related video", "featured video", "must watch")
#: A video player's label: the paragraph after it is the playing video's title and description.
_PLAYING = ("now playing", "up next", "watch next")
#: Script identifiers no prose holds: a paragraph with two of them is page code a scraper kept.
_SCRIPT = ("_taboola", "googletag", "adsbygoogle", "getelementbyid", "createelement", "addeventlistener",
           "queryselector", "innerhtml", "datalayer", "pbjs", "apstag")
#: Paragraphs of at most this many words, each a number or "of", are a gallery's counter ("1 / 3").
_COUNTER_WORDS = 4


@lru_cache(maxsize=1)
def _chrome_vocabulary() -> dict[str, np.ndarray]:
    """The hashes of `page_chrome`'s words and phrases in both views (the exact and the noisy one
    hash words under their own keys; a batch may be either)."""
    def hashes(phrases: Sequence[str]) -> list[np.ndarray]:
        views = analyze_views(list(phrases))
        return [view.word_hashes[view.word_offsets[i]:view.word_offsets[i + 1]]
                for view in views for i in range(len(phrases))]

    def keys(phrases: Sequence[str]) -> np.ndarray:
        return np.unique(np.array([_phrase_key(h) for h in hashes(phrases)], dtype=np.uint64))

    numbers = [str(i) for i in range(1000)]
    return {"first": np.unique(np.concatenate(hashes(_GALLERY_FIRST))), "controls": keys(_CONTROLS),
            "playing": keys(_PLAYING), "script": np.unique(np.concatenate(hashes(_SCRIPT))),
            "counter": np.unique(np.concatenate(hashes([*numbers, "of"]))), "media": keys(["media"])}


def _phrase_key(words: np.ndarray) -> int:
    """One number for a short paragraph's word sequence (`_paragraph_keys` of one)."""
    key = 0
    for w in words.tolist():
        key = (key * 0x100000001B3 + w) & 0xFFFFFFFFFFFFFFFF
    return key


def _paragraph_keys(batch: FeatureBatch, short: np.ndarray) -> np.ndarray:
    """`_phrase_key` of each paragraph `short` marks (at most `_COUNTER_WORDS` words), 0 elsewhere."""
    pw = batch.para_words.astype(np.int64)
    start = np.cumsum(pw) - pw
    key = np.zeros(pw.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(_COUNTER_WORDS):
            at = np.flatnonzero(short & (pw > j))
            key[at] = key[at] * np.uint64(0x100000001B3) + batch.word_hashes[start[at] + j]
    return key


#: `_script_words` looks words up by their low bits first: one gather per word of the corpus.
_SCRIPT_BITS = 16


@lru_cache(maxsize=1)
def _script_table(vocab: bytes) -> np.ndarray:
    table = np.zeros(1 << _SCRIPT_BITS, dtype=bool)
    table[(np.frombuffer(vocab, dtype=np.uint64) & np.uint64((1 << _SCRIPT_BITS) - 1)).astype(np.intp)] = True
    return table


def _held(values: np.ndarray, vocab: np.ndarray) -> np.ndarray:
    """Which `values` are in `vocab` (sorted, distinct: a `_chrome_vocabulary` entry), as `np.isin`
    says, by binary search: no sort of either per call (an article's diff calls this a few times)."""
    if not vocab.shape[0]:
        return np.zeros(values.shape[0], dtype=bool)
    at = np.minimum(np.searchsorted(vocab, values), vocab.shape[0] - 1)
    return vocab[at] == values


def _script_words(words: np.ndarray, vocab: np.ndarray) -> np.ndarray:
    """Positions of `words` that are in `vocab` (a few hashes), by a table of their low bits first."""
    # The low 16 bits (`_SCRIPT_BITS`) of each little-endian hash are its first two bytes: read in
    # place, they cost a tenth of masking and widening every word's hash to an index (and `take`
    # looks them up in a third less time than indexing with them).
    low = np.ascontiguousarray(words, dtype="<u8").view("<u2")[::4]
    maybe = np.flatnonzero(_script_table(vocab.tobytes()).take(low))
    return maybe[_held(words[maybe], vocab)]


def page_chrome(batch: FeatureBatch) -> np.ndarray:
    """Which paragraphs of each article are a photo gallery's or a video player's chrome (bool, one
    per paragraph), not its text: photo credits and counters ("Photo: Jane Doe/AP", "Image 2 of 5",
    "1 / 3"), controls ("Close", "Back to Gallery", "... more"), a player's labels and the title
    and description of the video it plays ("Now Playing:", then the description, then "Media:
    ..."), and script code a scraper kept (two or more identifiers such as `window._taboola`).
    Like a caption shown twice (`repeated_paragraphs`), these count neither for nor against a copy."""
    vocab = _chrome_vocabulary()
    pw = batch.para_words.astype(np.int64)
    out = np.zeros(pw.shape[0], dtype=bool)
    if not pw.shape[0]:
        return out
    start = np.cumsum(pw) - pw
    has = pw > 0
    first = np.zeros(pw.shape[0], dtype=np.uint64)
    first[has] = batch.word_hashes[start[has]]
    out |= has & (pw <= CHROME_LINE_WORDS) & _held(first, vocab["first"])
    short = has & (pw <= _COUNTER_WORDS)
    counters = np.flatnonzero(short & (pw >= 2))
    numeric = np.ones(counters.shape[0], dtype=bool)
    for j in range(_COUNTER_WORDS):
        inside = pw[counters] > j
        numeric[inside] &= _held(batch.word_hashes[start[counters[inside]] + j], vocab["counter"])
    out[counters[numeric]] = True
    script = _script_words(batch.word_hashes, vocab["script"])
    if script.shape[0]:
        para_of = np.searchsorted(start, script, side="right") - 1
        out |= np.bincount(para_of, minlength=pw.shape[0]) >= 2
    keys = _paragraph_keys(batch, short)
    out |= short & _held(keys, vocab["controls"])
    playing = np.flatnonzero(short & _held(keys, vocab["playing"]))
    if playing.shape[0]:
        out[playing] = True
        last = np.repeat(batch.para_offsets[1:], np.diff(batch.para_offsets))  # each paragraph's article's end
        after = playing[playing + 1 < last[playing]] + 1
        after = after[~out[after]]  # the description: the paragraph after the label (unless a label itself)
        out[after] = True
        credit = after[after + 1 < last[after]] + 1
        out[credit[_held(first[credit], vocab["media"]) & (pw[credit] <= _COUNTER_WORDS)]] = True  # "Media: X"
    return out


def page_furniture(batch: FeatureBatch) -> np.ndarray:
    """Which paragraphs of each article are its page's furniture rather than its text: shown twice
    (`repeated_paragraphs`) or a gallery's or player's chrome (`page_chrome`). Cut out before
    shingling and before passages and alignments are measured, as boilerplate is."""
    return repeated_paragraphs(batch) | page_chrome(batch)


def shingle_many(batch: FeatureBatch, k: int, drop_paragraphs: np.ndarray | None = None) -> SetBatch:
    """`shingles` for every article of a batch at once; `drop_paragraphs` (bool, one per paragraph
    of the batch, aligned with `batch.para_hashes`) marks the paragraphs to leave out."""
    if k > MAX_SHINGLE:
        raise ValueError(f"shingle_size must be at most {MAX_SHINGLE}, got {k}")
    n = len(batch)
    drop_paragraphs = page_furniture(batch) | (False if drop_paragraphs is None else drop_paragraphs)
    words, quoted = batch.word_hashes, batch.word_quoted
    kern = kernel.KERNEL
    if kern is not None:
        hs, uq, so = kern.shingle(np.ascontiguousarray(words, dtype=np.uint64), np.ascontiguousarray(quoted, dtype=np.bool_),
                                  np.ascontiguousarray(batch.word_offsets, dtype=np.int64),
                                  _kept_words(batch, drop_paragraphs), _POS_MULT[:k].copy(), k)
        return SetBatch(np.frombuffer(hs, dtype=np.uint32), np.frombuffer(uq, dtype=np.bool_),
                        np.frombuffer(so, dtype=np.int64))
    counts = np.diff(batch.word_offsets)
    if drop_paragraphs is not None and drop_paragraphs.any():
        keep = ~np.repeat(drop_paragraphs, batch.para_words)
        words, quoted = words[keep], quoted[keep]
        counts = np.bincount(np.repeat(np.arange(n), counts)[keep], minlength=n)
    starts = _offsets(counts)
    total = int(words.shape[0])
    parts = []
    if total >= k:
        m = total - k + 1
        acc = np.zeros(m, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(k):  # the same arithmetic as `shingle_hashes`, over all articles at once
                acc += words[j:j + m] * _POS_MULT[j]
            acc += np.uint64(k)
        h = fmix(acc) >> np.uint64(32)
        doc = np.repeat(np.arange(n, dtype=np.int64), counts)[:m]
        valid = (np.arange(m) - starts[doc]) <= counts[doc] - k  # windows inside one article
        csum = _offsets(quoted.astype(np.int64))
        all_quoted = (csum[k:] - csum[:-k]) == k
        # One key per window: article, hash, and a low bit set when all its words are quoted, so
        # that after sorting, the first key of each (article, hash) says whether any is unquoted.
        parts.append((doc[valid].astype(np.uint64) << _U33) | (h[valid] << _U1)
                     | all_quoted[valid].astype(np.uint64))
    for i in np.flatnonzero((counts > 0) & (counts < k)).tolist():  # fewer words than k: one shingle
        w, q = words[starts[i]:starts[i + 1]], quoted[starts[i]:starts[i + 1]]
        one = shingle_hashes(w, k).astype(np.uint64)
        parts.append((np.uint64(i) << _U33) | (one << _U1) | np.uint64(bool(q.all())))
    if not parts:
        return SetBatch(np.zeros(0, np.uint32), np.zeros(0, bool), np.zeros(n + 1, np.int64))
    keys = np.sort(np.concatenate(parts))
    first = np.ones(keys.shape[0], dtype=bool)
    first[1:] = (keys[1:] >> _U1) != (keys[:-1] >> _U1)
    keys = keys[first]
    return SetBatch(
        hashes=((keys >> _U1) & np.uint64(0xFFFFFFFF)).astype(np.uint32),
        unquoted=(keys & _U1) == 0,
        offsets=_offsets(np.bincount((keys >> _U33).astype(np.int64), minlength=n)),
    )


def _kept_words(batch: FeatureBatch, drop_paragraphs: np.ndarray) -> np.ndarray:
    """Which words of a batch are shingled (bool, one per word): those of paragraphs not dropped."""
    if drop_paragraphs.any():
        return ~np.repeat(drop_paragraphs, batch.para_words)
    return np.ones(batch.word_hashes.shape[0], dtype=bool)


def shingle_minhash_many(batch: FeatureBatch, k: int, drop_paragraphs: np.ndarray | None, a: np.ndarray,
                         b: np.ndarray, sample: int = 1) -> tuple[SetBatch, np.ndarray] | None:
    """`shingle_many` of a batch and, per article, `sign.signatures_flat` (permutations `a`, `b`) of
    its set's hashes divisible by `sample`, in one pass of the C kernel while each set is in cache;
    None without a kernel that has it (the caller then does the two steps)."""
    kern = kernel.KERNEL
    if kern is None or not hasattr(kern, "shingle_minhash") or k > MAX_SHINGLE or not 1 <= a.shape[0] <= 1024:
        return None
    drop = page_furniture(batch) | (False if drop_paragraphs is None else drop_paragraphs)
    hs, uq, so, sig = kern.shingle_minhash(
        np.ascontiguousarray(batch.word_hashes, dtype=np.uint64), np.ascontiguousarray(batch.word_quoted, dtype=np.bool_),
        np.ascontiguousarray(batch.word_offsets, dtype=np.int64), _kept_words(batch, drop), _POS_MULT[:k].copy(), k,
        np.ascontiguousarray(a, dtype=np.uint32), np.ascontiguousarray(b, dtype=np.uint32), sample)
    sets = SetBatch(np.frombuffer(hs, dtype=np.uint32), np.frombuffer(uq, dtype=np.bool_), np.frombuffer(so, dtype=np.int64))
    return sets, np.frombuffer(sig, dtype=np.uint32).reshape(len(batch), a.shape[0])


def anchors_many(sets: SetBatch, modulus: int) -> tuple[np.ndarray, np.ndarray]:
    """`anchors` of every set of a batch, as (values, offsets)."""
    if modulus & (modulus - 1) == 0:  # a power of two: its multiples are the hashes with low bits zero
        picked = np.flatnonzero(((sets.hashes & np.uint32(modulus - 1)) == 0) & sets.unquoted)
    else:
        picked = np.flatnonzero((sets.hashes % np.uint32(modulus) == 0) & sets.unquoted)
    # picked is sorted, so each article's anchors start where its first set position would go
    return sets.hashes[picked], np.searchsorted(picked, sets.offsets).astype(np.int64)


def shingles(features: Features, k: int, drop_paragraphs: np.ndarray | None = None) -> ShingleSet:
    """The body shingles of an article, leaving out the paragraphs marked in `drop_paragraphs`:
    `shingle_many` of a batch of one.

    Shingles run across paragraph boundaries, so re-wrapping or re-paragraphing a text barely
    changes them; dropped (boilerplate) paragraphs are cut out before shingling.
    """
    return shingle_many(features.as_batch(), k, drop_paragraphs)[0]


def anchors(shingle_set: ShingleSet, modulus: int) -> np.ndarray:
    """A consistent sample of unquoted shingles (hash % modulus == 0), used to find reused
    passages: `anchors_many` of a batch of one."""
    return anchors_many(shingle_set.as_batch(), modulus)[0]
