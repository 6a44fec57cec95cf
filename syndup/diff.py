"""`diff`: what a copy kept, added, removed, substituted and moved relative to its origin.

Alignment runs in two passes, the way an editor compares two versions of an article:

1. Paragraphs (from `paragraph_spans`, so hard line-wraps never matter) become strings with one
   symbol per normalized word, and rapidfuzz scores every origin/copy pair by word-level Indel
   similarity. The heaviest in-order chain of good matches anchors the alignment; good matches off
   the chain are moved paragraphs. A leftover paragraph next to a match joins it when that raises
   the similarity (a paragraph split in two, or two merged into one).
2. Inside each matched block, words are aligned with rapidfuzz's Indel opcodes; changes separated
   by a word or two are merged, so a rewritten sentence reads as one substitution, and a sentence
   deleted in one place and inserted verbatim in another is a move.

Words are compared in their normalized form (NFKC, folded quotes and dashes, case) and punctuation
is not a word, so quote style, dashes, spacing and wrapping are never changes. Whole paragraphs
added or removed get a kind where one is recognisable (boilerplate, attribution, a link line in
place of an embed, a reader-comment section, the cut-off end of the origin).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

from .cluster import attributions
from .normalize import RUNNING_HEAD_WORDS, fold, paragraph_spans, running_head, word_pieces, word_run_re, words

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType

# Operations, in the order a reader meets them.
KEPT = "kept"
ADDED = "added"
REMOVED = "removed"
SUBSTITUTED = "substituted"
MOVED = "moved"
OPS = (KEPT, ADDED, REMOVED, SUBSTITUTED, MOVED)

# Kinds of change, where one is recognisable.
BOILERPLATE = "boilerplate"
LINK_SUBSTITUTION = "link_substitution"
ATTRIBUTION = "attribution"
TRUNCATION = "truncation"
COMMENTS = "comments"
EDIT = "edit"
KINDS = (BOILERPLATE, LINK_SUBSTITUTION, ATTRIBUTION, TRUNCATION, COMMENTS, EDIT)

#: Two paragraphs are the same paragraph, edited, at this word-level similarity (in-order matches).
MATCH_SIMILARITY = 0.5
#: A paragraph found out of order counts as moved at this similarity, with at least MOVE_MIN_WORDS.
MOVE_SIMILARITY = 0.6
MOVE_MIN_WORDS = 4
#: An unchanged run of at most this many words between two changes is folded into them.
MERGE_EQUAL_WORDS = 2

# The diff shows words where they are in the original text, which `normalize.words` (the one
# definition of a word, on folded text) cannot say: so the text is cut into runs of word
# characters here (`normalize.word_run_re`), with their positions, and each run into words by
# `normalize.words`. The one difference: a symbol outside \w that NFKC turns into letters
# ("™" -> "tm", "℃" -> "°c") is a word there and no word here.


def _pattern(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


#: Disclaimers, copyright lines, share prompts, newsletter pitches and navigation: what such a
#: paragraph starts with, or holds anywhere. One group of each (`^\W*` and `\b` said once, not
#: once per phrase) makes the regex several times faster: choosing origins runs it on every
#: paragraph of every copy.
_BOILERPLATE_STARTS = (
    r"disclaimer\b",
    r"(?:copyright\b|\u00a9\s*(?:\d{4}|copyright)|\(c\)\s*\d{4})",
    r"share (?:this|on|via|the)\b",
    r"(?:share|tweet|email|print|pin it|whatsapp|advertisement|get short url)\W*$",
    r"(?:related(?: articles| stories| posts| content)?|read more|more from|see also|"
    r"recommended|trending|most read|follow us on|like us on|skip to (?:main )?content)\b",
    r"[a-z][^|\u2022\u00b7\d\n]{0,24}(?:\s[|\u2022\u00b7]\s+[a-z][^|\u2022\u00b7\d\n]{0,24}){2,}$",  # a menu
    r"(?:for )?(?:media|press) inquir(?:y|ies)\b",
    r"(?:contact|e-?mail) us\b",
)
_BOILERPLATE_ANYWHERE = (
    r"(?:are|is) (?:of )?(?:the )?sole responsibility of the author",
    r"contains copyrighted material\b",
    r"under the provisions of \W?fair use\b",
    r"grants? permission to (?:cross-post|repost|republish|reprint)",
    r"the views (?:and opinions )?expressed (?:in|by) (?:this|the) (?:article|author)",
    r"do(?:es)? not necessarily (?:reflect|represent) the (?:views|opinions|position)",
    r"all rights reserved\b",
    r"(?:subscribe|sign up) (?:to|for) (?:our|the) (?:\w+ )?(?:newsletter|mailing list|daily digest)",
    r"support (?:our|independent) journalism\b",
)
#: The same in other languages: disclaimers, "all rights reserved", newsletter pitches (searched
#: anywhere in the folded paragraph; Russian, Serbian, Spanish, Portuguese, Italian, French, German,
#: Turkish, Arabic, Chinese, Japanese).
_OTHER_PHRASES = (
    r"мнение\s+(?:автора|редакции)\s+(?:может\s+)?не\s+совпада",
    r"точка\s+зрения\s+(?:автора|редакции)\s+(?:может\s+)?не\s+совпада", r"все\s+права\s+защищены",
    r"перепечатка\s+(?:материалов\s+)?(?:запрещена|разрешена)", r"подписывайтесь\s+на\s+(?:наш|нас)",
    r"сва\s+права\s+(?:су\s+)?задржана", r"sva\s+prava\s+(?:su\s+)?zadržana",
    r"ставови\s+(?:изнет[аи]|аутора)", r"мишљења?\s+(?:изнет[аи]|аутора)",
    r"stavovi\s+(?:iznet[ai]|autora)", r"mišljenja?\s+(?:iznet[ai]|autora)",
    r"не\s+одражава(?:ју)?\s+(?:нужно\s+)?(?:став|ставове)", r"ne\s+odražava(?:ju)?\s+(?:nužno\s+)?(?:stav|stavove)",
    r"todos\s+los\s+derechos\s+reservados", r"todos\s+os\s+direitos\s+reservados", r"tutti\s+i\s+diritti\s+riservati",
    r"las\s+opiniones\s+expresadas", r"no\s+(?:refleja|representa)n?\s+necesariamente",
    r"es\s+responsabilidad\s+(?:exclusiva\s+)?de", r"son\s+responsabilidad\s+(?:exclusiva\s+)?de",
    r"suscr[ií]bete\s+a\s+nuestr[oa]",
    r"tous\s+droits\s+réservés", r"n'engage(?:nt)?\s+que\s+(?:leurs?|son|sa)\s+auteur",
    r"les\s+opinions\s+exprimées", r"abonnez-vous\s+à\s+(?:notre|la)",
    r"alle\s+rechte\s+vorbehalten", r"meinung\s+(?:des|der)\s+(?:autors|autorin|verfassers)",
    r"ansichten?\s+(?:des|der)\s+(?:autors|autorin|verfassers)",
    r"gib(?:t|en)\s+nicht\s+(?:notwendigerweise|unbedingt|zwingend)\s+die", r"abonnieren\s+sie\s+(?:unseren|den)",
    r"tüm\s+hakları\s+saklıdır", r"içeriğinden\s+(?:yazarı|yazar)\s+sorumlu", r"görüşler\s+yazar(?:ın|a)",
    r"sorumluluk\s+reddi", r"yayın\s+politikasını\s+yansıtmaz",
    r"جميع\s+الحقوق\s+محفوظة", r"الآراء\s+(?:الواردة|المنشورة)", r"لا\s+تعبر\s+(?:بالضرورة\s+)?عن",
    r"تعبر\s+عن\s+رأي\s+كاتب", r"إخلاء\s+(?:ال)?مسؤولية",
    r"版权所有", r"版權所有", r"免责声明", r"免責聲明", r"仅代表作者", r"僅代表作者", r"不代表本(?:网|站|报|網|報)",
    r"转载请注明", r"轉載請註明", r"無断転載", r"無断複製", r"著作権",
)
_BOILERPLATE_OTHER = re.compile("|".join(_OTHER_PHRASES), re.IGNORECASE)


def _key(phrase: str) -> str:
    """The longest word a phrase always contains (outside its optional parts and alternatives)."""
    plain = phrase
    while "(" in plain:
        plain = re.sub(r"\([^()]*\)\??", " ", plain)
    plain = re.sub(r"\[[^\]]*\]|.\?", " ", plain).replace("\\s+", " ")
    return max((w for w in plain.split() if w.isalpha()), key=len).lower()


#: One word of each phrase: the regex (slow, it tries every phrase at every position) runs only on
#: a paragraph holding one of them, and never on one holding English function words.
_OTHER_KEYS = tuple(sorted({_key(p) for p in _OTHER_PHRASES}))


@lru_cache(maxsize=4096)  # a site's chrome recurs in every copy it publishes
def _other_boilerplate(folded: str) -> bool:
    """A disclaimer, rights notice or newsletter pitch in a language other than English."""
    if " the " in folded or " of " in folded or " and " in folded or " to " in folded:  # English
        return False
    low = folded.lower()
    return any(k in low for k in _OTHER_KEYS) and _BOILERPLATE_OTHER.search(folded) is not None


#: The letters `_BOILERPLATE_ANYWHERE`'s phrases start with: checked first, it halves the search.
_ANYWHERE_FIRST = "acdgistu"
_BOILERPLATE_RE = re.compile(rf"^\W*(?:{'|'.join(_BOILERPLATE_STARTS)})"
                             rf"|\b(?=[{_ANYWHERE_FIRST}])(?:{'|'.join(_BOILERPLATE_ANYWHERE)})", re.IGNORECASE)
#: Words each of `_BOILERPLATE_ANYWHERE`'s phrases holds (one of them at least, in lower case): an
#: ASCII paragraph holding none is boilerplate only by its start, which a short anchored regex
#: checks (the phrases anywhere cost ten times more, on every paragraph of every copy).
_ANYWHERE_WORDS = ("sole responsibility", "copyrighted material", "fair use", "permission to", "expressed",
                   "necessarily", "all rights reserved", "newsletter", "mailing list", "daily digest", "journalism")
_BOILERPLATE_START_RE = re.compile(rf"^\W*(?:{'|'.join(_BOILERPLATE_STARTS)})", re.IGNORECASE)


def _boilerplate_line(folded: str) -> bool:
    """`_BOILERPLATE_RE.search(folded)`, with the phrases anywhere skipped where no ASCII text can
    hold them (outside ASCII, case-insensitive matching knows more than `str.lower`: the regex)."""
    if folded.isascii():
        lower = folded.lower()
        for w in _ANYWHERE_WORDS:
            if w in lower:
                break
        else:
            return _BOILERPLATE_START_RE.search(folded) is not None
    return _BOILERPLATE_RE.search(folded) is not None


#: A line that sends the reader elsewhere instead of showing the media ("Click here to watch ...").
_LINK_RE = _pattern(
    r"^\W*(?:click|tap|press)\s+(?:here|on\s+this\s+link|this\s+link|the\s+link(?:\s+below)?)\b",
    r"^\W*(?:watch|see|view|read|listen\s+to)\s+(?:the\s+)?(?:full\s+)?"
    r"(?:video|statement|report|text|tweet|post|photos?|images?|footage|interview)\s+(?:here|below)\b",
)
#: What a link line stands in for: a media warning, an embed label, a photo credit or caption.
_PLACEHOLDER_RE = _pattern(
    r"^\W*warning\b.*\b(?:graphic|disturbing|distressing)\b",
    r"^\W*(?:graphic|disturbing)\s+(?:content|video|images?|footage)\b",
    r"^\W*(?:watch|video|photo|photos|gallery|embed(?:ded)?(?:\s+\w+)?)\s*[:|]",
    r"^\W*\u00a9",
)
#: The heading of a reader-comment section.
_COMMENTS_RE = _pattern(
    r"^\W*(?:\d+\s+)?(?:reader\s+)?(?:comments?|responses?|replies)(?:\s*\(\d+\))?\W*$",
    r"^\W*(?:leave|post|add|write)\s+(?:a|your)\s+(?:comment|reply)\b",
    r"^\W*join\s+the\s+(?:discussion|conversation)\b",
    r"^\W*(?:show|view|load)\s+(?:all\s+)?\d*\s*comments\b",
    r"^\W*comments?\s+(?:are\s+closed|policy)\b",
)
_BOILERPLATE_MAX_WORDS = 200
_LABEL_MAX_WORDS = 40
_ATTRIBUTION_MAX_WORDS = 25
_COMMENTS_HEADER_MAX_WORDS = 8
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Segment:
    """One piece of the alignment: text of the origin (`old`) and of the copy (`new`), with offsets.

    Offsets index the texts given to `diff`: `origin[old_start:old_end] == old` and
    `copy[new_start:new_end] == new`. Where a side has no text (`added`, `removed`), its start and
    end are equal and mark where the text would go. `block` numbers the rows of a side-by-side
    view; `old_para`/`new_para` number the paragraphs (those holding words) the text lies in.
    """

    op: str
    kind: str | None
    old: str
    new: str
    old_start: int
    old_end: int
    new_start: int
    new_end: int
    old_words: int
    new_words: int
    block: int
    old_para: int | None
    new_para: int | None

    @property
    def text(self) -> str:
        """The segment's text: the copy's, or the origin's where the copy has none."""
        return self.new if self.op != REMOVED else self.old

    def to_dict(self) -> dict[str, Any]:
        """The segment as a JSON-ready dict."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Summary:
    """How much of the origin a copy kept and how much of the copy is new, in words."""

    origin_words: int
    copy_words: int
    words_kept: int
    words_moved: int
    words_added: int
    words_removed: int
    #: origin words replaced by other words, and the copy words that replaced them
    words_substituted_old: int
    words_substituted: int
    #: share of the origin's words found in the copy (kept or moved), in [0, 1]
    origin_kept: float
    #: share of the copy's words that are not in the origin (added or substituted), in [0, 1]
    copy_new: float
    #: number of changed segments of each kind, in `KINDS` order, kinds with none left out
    kinds: tuple[tuple[str, int], ...] = ()

    @property
    def changed(self) -> bool:
        """True when the copy's words differ from the origin's in any way (moves included)."""
        return bool(self.words_added or self.words_removed or self.words_substituted
                    or self.words_substituted_old or self.words_moved)

    def kind_counts(self) -> dict[str, int]:
        """Changed segments per kind, as a dict."""
        return dict(self.kinds)

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["kinds"] = self.kind_counts()
        return out


@dataclass(frozen=True)
class Diff:
    """The ordered segments of a copy compared with its origin, and their summary.

    Segments run in the copy's order; text removed from the origin sits where it was cut.
    """

    segments: tuple[Segment, ...]
    summary: Summary
    origin: str = field(repr=False)
    copy: str = field(repr=False)

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.segments)

    def __len__(self) -> int:
        return len(self.segments)

    @property
    def changes(self) -> tuple[Segment, ...]:
        """The segments that are not `kept`."""
        return tuple(s for s in self.segments if s.op != KEPT)

    def blocks(self) -> list[tuple[Segment, ...]]:
        """Segments grouped by `block`: the rows of a side-by-side view, in order."""
        rows: list[tuple[Segment, ...]] = []
        current: list[Segment] = []
        for seg in self.segments:
            if current and seg.block != current[-1].block:
                rows.append(tuple(current))
                current = []
            current.append(seg)
        if current:
            rows.append(tuple(current))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The diff as a JSON-ready dict: `summary` and `segments`."""
        return {"summary": self.summary.to_dict(), "segments": [s.to_dict() for s in self.segments]}


# --------------------------------------------------------------------------------------------
# Words and paragraphs


@dataclass
class _Side:
    """One text cut into paragraphs that hold words, each word a symbol of a shared vocabulary."""

    text: str
    spans: list[tuple[int, int]]
    starts: list[list[int]]   # start offset of every word, per paragraph
    syms: list[str]           # one character per word, per paragraph

    def words(self) -> int:
        return sum(len(s) for s in self.syms)


def _symbol(n: int) -> str:
    # Skip the surrogate block: every symbol must be a valid code point on its own.
    code = n + 0x21
    return chr(code if code < 0xD800 else code + 0x800)


def _side(text: str, vocab: dict[str, str]) -> _Side:
    spans: list[tuple[int, int]] = []
    starts: list[list[int]] = []
    syms: list[str] = []
    ascii_text = text.isascii()
    for s, e in paragraph_spans(text):
        para_starts: list[int] = []
        para_syms: list[str] = []
        if ascii_text or text[s:e].isascii():  # every run one word, keyed in lower case: the common case, kept lean
            for m in word_run_re().finditer(text, s, e):
                key = m.group().lower()
                sym = vocab.get(key)
                if sym is None:
                    sym = vocab[key] = _symbol(len(vocab))
                para_starts.append(m.start())
                para_syms.append(sym)
            if para_syms:
                spans.append((s, e))
                starts.append(para_starts)
                syms.append("".join(para_syms))
            continue
        for m in word_run_re().finditer(text, s, e):
            run = m.group()
            if run.isascii():  # an ASCII run is one word
                pieces: list[tuple[int, str]] = [(0, run)]
                keyed = [[run.lower()]]
            else:  # in scripts without spaces, a word per character, each where it stands
                pieces = word_pieces(run)
                keyed = [words(p) for _, p in pieces]
            for (at, piece), keys in zip(pieces, keyed):
                for k, key in enumerate(keys):
                    para_starts.append(m.start() + at + (0 if k == 0 else len(piece)))
                    sym = vocab.get(key)
                    if sym is None:
                        sym = vocab[key] = _symbol(len(vocab))
                    para_syms.append(sym)
        if para_syms:
            spans.append((s, e))
            starts.append(para_starts)
            syms.append("".join(para_syms))
    return _Side(text, spans, starts, syms)


# --------------------------------------------------------------------------------------------
# Paragraph alignment


@dataclass
class _Block:
    """Matched paragraphs: a contiguous run in the origin and one in the copy."""

    o: list[int]
    c: list[int]
    moved: bool
    sim: float


def _similarity(a: str, b: str) -> float:
    from rapidfuzz.distance import Indel

    return float(Indel.normalized_similarity(a, b))


def _chain(cands: list[tuple[int, int, float]], m: int) -> list[int]:
    """Indexes into `cands` (sorted by i, then j descending) of the heaviest chain increasing in i and j."""
    tree_val = [0.0] * (m + 1)
    tree_idx = [-1] * (m + 1)
    best: list[float] = []
    prev: list[int] = []
    for k, (_i, j, w) in enumerate(cands):
        v, p, x = 0.0, -1, j
        while x > 0:  # max over copy positions < j (Fenwick prefix maximum)
            if tree_val[x] > v:
                v, p = tree_val[x], tree_idx[x]
            x -= x & -x
        total = v + w
        best.append(total)
        prev.append(p)
        x = j + 1
        while x <= m:
            if total > tree_val[x]:
                tree_val[x], tree_idx[x] = total, k
            x += x & -x
    if not best:
        return []
    k = max(range(len(best)), key=lambda t: (best[t], -t))
    out = []
    while k != -1:
        out.append(k)
        k = prev[k]
    return out[::-1]


def _align(o: _Side, c: _Side) -> list[_Block]:
    """Match paragraphs: an in-order chain, moved paragraphs, then split/merged neighbours."""
    n, m = len(o.syms), len(c.syms)
    if not n or not m:
        return []
    import numpy as np
    from rapidfuzz import process
    from rapidfuzz.distance import Indel

    sim = process.cdist(o.syms, c.syms, scorer=Indel.normalized_similarity,
                        score_cutoff=MATCH_SIMILARITY, dtype=np.float32)
    ii, jj = np.nonzero(sim >= MATCH_SIMILARITY)
    cands = sorted(((int(i), int(j), float(sim[i, j])) for i, j in zip(ii, jj)),
                   key=lambda t: (t[0], -t[1]))
    weighted = [(i, j, s * (len(o.syms[i]) + len(c.syms[j]))) for i, j, s in cands]
    blocks = [_Block([cands[k][0]], [cands[k][1]], False, cands[k][2]) for k in _chain(weighted, m)]
    o_used = {b.o[0] for b in blocks}
    c_used = {b.c[0] for b in blocks}
    for i, j, s in sorted(cands, key=lambda t: (-t[2], t[0], t[1])):
        if (s >= MOVE_SIMILARITY and i not in o_used and j not in c_used
                and min(len(o.syms[i]), len(c.syms[j])) >= MOVE_MIN_WORDS):
            blocks.append(_Block([i], [j], True, s))
            o_used.add(i)
            c_used.add(j)
    # A leftover paragraph beside a block joins it when that raises the block's similarity.
    grew = True
    while grew:
        grew = False
        for b in blocks:
            for side, used, syms, limit in (("o", o_used, o.syms, n), ("c", c_used, c.syms, m)):
                idx: list[int] = getattr(b, side)
                for cand in (idx[0] - 1, idx[-1] + 1):
                    if not 0 <= cand < limit or cand in used:
                        continue
                    trial = sorted(idx + [cand])
                    if side == "o":
                        s = _similarity("".join(syms[t] for t in trial), "".join(c.syms[t] for t in b.c))
                    else:
                        s = _similarity("".join(o.syms[t] for t in b.o), "".join(syms[t] for t in trial))
                    if s > b.sim + 1e-9:
                        setattr(b, side, trial)
                        idx = trial
                        b.sim = s
                        used.add(cand)
                        grew = True
    return blocks


# --------------------------------------------------------------------------------------------
# Kinds of whole paragraphs


def _corpus_boilerplate(text: str, boilerplate: Collection[int]) -> bool:
    if not boilerplate:
        return False
    from .shingle import analyze

    hashes = analyze(text).para_hashes
    return bool(hashes.shape[0]) and int(hashes[0]) in boilerplate


def _label(text: str, n_words: int, boilerplate: Collection[int], *, added: bool) -> str | None:
    """The kind of a whole added or removed paragraph, judged alone (None if none applies)."""
    folded = fold(text)
    if n_words <= _BOILERPLATE_MAX_WORDS and (_boilerplate_line(folded) or _other_boilerplate(folded)):
        return BOILERPLATE
    if n_words <= RUNNING_HEAD_WORDS and running_head(text):
        return BOILERPLATE
    # A credit line, a comment heading or a link line a site puts on every copy recurs in the
    # corpus: it keeps its own kind rather than the corpus's boilerplate.
    if n_words <= _ATTRIBUTION_MAX_WORDS and attributions(folded):
        return ATTRIBUTION
    if n_words <= _COMMENTS_HEADER_MAX_WORDS and _COMMENTS_RE.search(folded):
        return COMMENTS
    if added and n_words <= _LABEL_MAX_WORDS and _LINK_RE.search(folded):
        return LINK_SUBSTITUTION
    if _corpus_boilerplate(text, boilerplate):
        return BOILERPLATE
    if not added and n_words <= _LABEL_MAX_WORDS and _PLACEHOLDER_RE.search(folded):
        return _PLACEHOLDER
    return None


_PLACEHOLDER = "placeholder"  # internal: what a link line may stand in for


def added_kinds(paragraphs: Sequence[str], n_words: Sequence[int]) -> list[str | None]:
    """The kind `diff` would give each paragraph (with its number of words) were a copy to add it
    whole; after a comment section's heading, everything is comments. Choosing an origin reads
    them, since copies add these and origins do not."""
    out: list[str | None] = []
    for text, n in zip(paragraphs, n_words):
        out.append(COMMENTS if out and out[-1] == COMMENTS else _added_label(text, n))
    return out


@functools.lru_cache(maxsize=1 << 12)
def _added_label(text: str, n_words: int) -> str | None:
    """`_label` of a paragraph added whole, remembered: a cluster's members, read one after the
    other, share most of their paragraphs."""
    return _label(text, n_words, frozenset(), added=True)


def _furniture_labels(labels: dict[int, str | None], text: str, n_spans: int) -> None:
    """Paragraphs (of `n_spans` with words) that are the page's furniture, as the scan leaves it
    out (`shingle.page_furniture`: a gallery's or a video player's chrome, text shown twice), are
    `boilerplate` (unless the diff already knows a kind for them)."""
    from .shingle import analyze_many, page_furniture

    furniture = page_furniture(analyze_many([text]))
    if furniture.shape[0] != n_spans:  # a symbol NFKC makes a word in one count only: leave it
        return
    for i, kind in labels.items():
        if furniture[i] and kind in (None, _PLACEHOLDER):
            labels[i] = BOILERPLATE


def _tail_labels(labels: dict[int, str | None], tail: list[int], sizes: list[int],
                 *, removed: bool) -> None:
    """Kinds that depend on place: the end of a page (comments, footer) and a cut-off origin."""
    in_comments = False
    in_footer = False
    for p in tail:
        if in_comments:
            labels[p] = COMMENTS
            continue
        if labels[p] == COMMENTS:
            in_comments = True
            continue
        if labels[p] == BOILERPLATE:
            in_footer = True
            continue
        if labels[p] in (None, _PLACEHOLDER) and in_footer and sizes[p] <= _LABEL_MAX_WORDS:
            labels[p] = BOILERPLATE
        elif removed and labels[p] in (None, _PLACEHOLDER):
            labels[p] = TRUNCATION


# --------------------------------------------------------------------------------------------
# Building segments


class _Builder:
    """Collects segments in order, numbering blocks and computing offsets."""

    def __init__(self, o: _Side, c: _Side) -> None:
        self.o, self.c = o, c
        self.segments: list[Segment] = []
        self.block = -1

    def new_block(self) -> None:
        self.block += 1

    def add(self, op: str, kind: str | None, o_rng: tuple[int, int, int | None, int],
            c_rng: tuple[int, int, int | None, int]) -> None:
        os_, oe, op_, ow = o_rng
        cs, ce, cp, cw = c_rng
        self.segments.append(Segment(op, kind, self.o.text[os_:oe], self.c.text[cs:ce], os_, oe, cs, ce,
                                     ow, cw, self.block, op_, cp))


class _Flat:
    """The words of a block on one side, flattened, with paragraph boundaries."""

    def __init__(self, side: _Side, paras: list[int]) -> None:
        self.side = side
        self.para: list[int] = []
        self.start: list[int] = []
        for p in paras:
            self.para.extend([p] * len(side.syms[p]))
            self.start.extend(side.starts[p])
        self.syms = "".join(side.syms[p] for p in paras)
        self.end_pos = side.spans[paras[-1]][1]

    def _first(self, a: int) -> bool:
        return a == 0 or self.para[a - 1] != self.para[a]

    def rng(self, a: int, b: int) -> tuple[int, int, int | None, int]:
        """Offsets of words [a, b) (one paragraph), taking in the punctuation around them."""
        if a == b:
            pos = self.point(a)
            return pos, pos, None, 0
        p = self.para[a]
        last = b == len(self.para) or self.para[b] != p
        end = self.side.spans[p][1] if last else self.point(b)
        return self.point(a), end, p, b - a

    def point(self, a: int) -> int:
        """Where word a's segment starts: after the space before it, so "(word" or "© word" stay whole."""
        if a >= len(self.para):
            return self.end_pos
        if self._first(a):
            return self.side.spans[self.para[a]][0]
        text, k = self.side.text, self.start[a]
        j = k
        while j > 0 and not (text[j - 1].isalnum() or text[j - 1] == "_"):
            j -= 1  # back to the end of the previous word
        while j < k and not text[j].isspace():
            j += 1  # over its trailing punctuation
        while j < k and text[j].isspace():
            j += 1  # and the space after it
        return j

    def pieces(self, a: int, b: int) -> list[tuple[int, int]]:
        """[a, b) cut at paragraph boundaries."""
        out = []
        k = a
        while k < b:
            e = k + 1
            while e < b and self.para[e] == self.para[k]:
                e += 1
            out.append((k, e))
            k = e
        return out


def _opcodes(a: str, b: str) -> list[list[Any]]:
    """Word opcodes (equal/delete/insert/replace/move) with small islands folded into changes."""
    from rapidfuzz.distance import Indel

    raw = [[o.tag, o.src_start, o.src_end, o.dest_start, o.dest_end] for o in Indel.opcodes(a, b)]
    ops: list[list[Any]] = []
    for tag, i1, i2, j1, j2 in raw:  # adjacent deletes and inserts become one replace
        if tag != "equal" and ops and ops[-1][0] != "equal":
            prev = ops[-1]
            prev[2], prev[4] = i2, j2
            prev[0] = "replace" if prev[2] > prev[1] and prev[4] > prev[3] else prev[0]
        else:
            ops.append([tag, i1, i2, j1, j2])
    # Fold an unchanged word or two between two changes into one substitution.
    merged: list[list[Any]] = []
    k = 0
    while k < len(ops):
        op = ops[k]
        if (op[0] == "equal" and merged and merged[-1][0] != "equal" and k + 1 < len(ops)
                and op[2] - op[1] <= MERGE_EQUAL_WORDS):
            nxt = ops[k + 1]
            left, right = merged[-1], nxt
            around = (left[2] - left[1]) + (left[4] - left[3]) + (right[2] - right[1]) + (right[4] - right[3])
            if around >= 4 * (op[2] - op[1]):
                left[2], left[4] = right[2], right[4]
                left[0] = "replace"
                k += 2
                continue
        merged.append(op)
        k += 1
    # A passage deleted in one place and inserted verbatim in another was moved.
    deletes: dict[str, list[Any]] = {}
    for op in merged:
        if op[0] == "delete" and op[2] - op[1] >= 5:
            deletes.setdefault(a[op[1]:op[2]], op)
    if deletes:
        for op in merged:
            if op[0] == "insert":
                src = deletes.pop(b[op[3]:op[4]], None)
                if src is not None:
                    op[0], op[1], op[2] = "move", src[1], src[2]
                    src[0] = "drop"
        merged = [op for op in merged if op[0] != "drop"]
    return merged


def _emit_block(out: _Builder, o: _Side, c: _Side, block: _Block) -> None:
    fo, fc = _Flat(o, block.o), _Flat(c, block.c)
    kept = MOVED if block.moved else KEPT
    # A link line matched to the warning or embed label it replaces ("WATCH: ..." -> "Click here
    # to watch ...") is a link substitution, not an edit.
    edit = EDIT
    if len(block.c) == 1 and len(c.syms[block.c[0]]) <= _LABEL_MAX_WORDS:
        s, e = c.spans[block.c[0]]
        if _LINK_RE.search(fold(c.text[s:e])):
            edit = LINK_SUBSTITUTION
    out.new_block()
    for tag, i1, i2, j1, j2 in _opcodes(fo.syms, fc.syms):
        if tag in ("equal", "move"):
            # Cut where either side starts a new paragraph.
            cuts = sorted({0, i2 - i1} | {k for k in range(1, i2 - i1)
                                        if fo.para[i1 + k] != fo.para[i1 + k - 1]
                                        or fc.para[j1 + k] != fc.para[j1 + k - 1]})
            for x, y in zip(cuts, cuts[1:]):
                out.add(kept if tag == "equal" else MOVED, None if tag == "equal" else edit,
                        fo.rng(i1 + x, i1 + y), fc.rng(j1 + x, j1 + y))
        elif tag == "delete":
            for a, b in fo.pieces(i1, i2):
                out.add(REMOVED, edit, fo.rng(a, b), fc.rng(j1, j1))
        elif tag == "insert":
            for a, b in fc.pieces(j1, j2):
                out.add(ADDED, edit, fo.rng(i1, i1), fc.rng(a, b))
        else:
            for old, new in zip_longest(fo.pieces(i1, i2), fc.pieces(j1, j2)):
                if old and new:
                    out.add(SUBSTITUTED, edit, fo.rng(*old), fc.rng(*new))
                elif old:
                    out.add(REMOVED, edit, fo.rng(*old), fc.rng(j2, j2))
                else:
                    out.add(ADDED, edit, fo.rng(i2, i2), fc.rng(*new))


def diff(origin: str, copy: str, *, boilerplate: Collection[int] = frozenset()) -> Diff:
    """Compare `copy` with its `origin`: ordered kept/added/removed/substituted/moved segments.

    `boilerplate` holds paragraph hashes frequent in the corpus (`ScanResult.boilerplate`); added
    or removed paragraphs among them are labelled `boilerplate`, as are recognisable disclaimers,
    copyright lines, share prompts, newsletter pitches and navigation.
    """
    if not isinstance(origin, str) or not isinstance(copy, str):
        bad = origin if not isinstance(origin, str) else copy
        raise TypeError(f"diff() compares two texts (str), got {type(bad).__name__}: {bad!r:.60}")
    vocab: dict[str, str] = {}
    o, c = _side(origin, vocab), _side(copy, vocab)
    blocks = _align(o, c)
    o_owner = {i: b for b in blocks for i in b.o}
    c_owner = {j: b for b in blocks for j in b.c}
    o_sizes = [len(s) for s in o.syms]
    c_sizes = [len(s) for s in c.syms]

    o_labels: dict[int, str | None] = {
        i: _label(origin[s:e], o_sizes[i], boilerplate, added=False)
        for i, (s, e) in enumerate(o.spans) if i not in o_owner}
    c_labels: dict[int, str | None] = {
        j: _label(copy[s:e], c_sizes[j], boilerplate, added=True)
        for j, (s, e) in enumerate(c.spans) if j not in c_owner}
    _furniture_labels(o_labels, origin, len(o.spans))
    _furniture_labels(c_labels, copy, len(c.spans))
    if blocks:
        last_o = max(o_owner)
        last_c = max(c_owner)
        _tail_labels(o_labels, [i for i in sorted(o_labels) if i > last_o], o_sizes, removed=True)
        _tail_labels(c_labels, [j for j in sorted(c_labels) if j > last_c], c_sizes, removed=False)

    chain = sorted((b for b in blocks if not b.moved), key=lambda b: b.o[0])
    gaps: list[tuple[list[int], list[int]]] = []
    for g in range(len(chain) + 1):
        o_lo = chain[g - 1].o[-1] + 1 if g else 0
        o_hi = chain[g].o[0] if g < len(chain) else len(o.spans)
        c_lo = chain[g - 1].c[-1] + 1 if g else 0
        c_hi = chain[g].c[0] if g < len(chain) else len(c.spans)
        gaps.append(([i for i in range(o_lo, o_hi) if i not in o_owner], list(range(c_lo, c_hi))))
    has_link = [any(c_labels.get(j) == LINK_SUBSTITUTION for j in cs) for _, cs in gaps]

    out = _Builder(o, c)
    for g, (removed, copy_side) in enumerate(gaps):
        o_point = o.spans[chain[g - 1].o[-1]][1] if g else 0
        c_point = c.spans[chain[g - 1].c[-1]][1] if g else 0
        middle = 0 < g < len(chain)
        # In the middle of the text, a removed paragraph and an added one in its place are a
        # substitution; a link line takes the place of a media placeholder first.
        pairs: dict[int, int] = {}
        if middle:
            free = [i for i in removed if o_labels[i] in (None, _PLACEHOLDER)]
            for j in copy_side:
                if j in c_owner or not free:
                    continue
                if c_labels[j] == LINK_SUBSTITUTION:
                    pick = next((i for i in free if o_labels[i] == _PLACEHOLDER), free[0])
                elif c_labels[j] is None:
                    pick = next((i for i in free if o_labels[i] is None), -1)
                    if pick < 0:
                        continue
                else:
                    continue
                pairs[j] = pick
                free.remove(pick)
        paired = set(pairs.values())
        near_link = any(has_link[max(g - 1, 0):g + 2])
        for i in removed:
            if i in paired:
                continue
            kind = o_labels[i]
            if kind == _PLACEHOLDER:
                kind = LINK_SUBSTITUTION if near_link else None
            s, e = o.spans[i]
            out.new_block()
            out.add(REMOVED, kind, (s, e, i, o_sizes[i]), (c_point, c_point, None, 0))
        for j in copy_side:
            owner = c_owner.get(j)
            if owner is not None:
                if owner.c[0] == j:
                    _emit_block(out, o, c, owner)
                continue
            s, e = c.spans[j]
            out.new_block()
            if j in pairs:
                i = pairs[j]
                os_, oe = o.spans[i]
                kind = LINK_SUBSTITUTION if c_labels[j] == LINK_SUBSTITUTION else None
                out.add(SUBSTITUTED, kind, (os_, oe, i, o_sizes[i]), (s, e, j, c_sizes[j]))
            else:
                out.add(ADDED, c_labels[j], (o_point, o_point, None, 0), (s, e, j, c_sizes[j]))
        if g < len(chain):
            _emit_block(out, o, c, chain[g])
    segments = tuple(out.segments)
    return Diff(segments, _summary(segments, o.words(), c.words()), origin, copy)


def _summary(segments: tuple[Segment, ...], origin_words: int, copy_words: int) -> Summary:
    totals = {op: [0, 0] for op in OPS}
    kinds = dict.fromkeys(KINDS, 0)
    for s in segments:
        totals[s.op][0] += s.old_words
        totals[s.op][1] += s.new_words
        if s.kind is not None and s.op != KEPT:
            kinds[s.kind] += 1
    kept, moved = totals[KEPT][0], totals[MOVED][0]
    added, substituted = totals[ADDED][1], totals[SUBSTITUTED][1]
    return Summary(
        origin_words=origin_words, copy_words=copy_words, words_kept=kept, words_moved=moved,
        words_added=added, words_removed=totals[REMOVED][0],
        words_substituted_old=totals[SUBSTITUTED][0], words_substituted=substituted,
        origin_kept=(kept + moved) / origin_words if origin_words else 0.0,
        copy_new=(added + substituted) / copy_words if copy_words else 0.0,
        kinds=tuple((k, v) for k, v in kinds.items() if v),
    )


# --------------------------------------------------------------------------------------------
# Terminal rendering


def display(text: str) -> str:
    """A segment's text for display: every run of whitespace as one space."""
    return _SPACES.sub(" ", text)


def label(segment: Segment) -> str:
    """A short human label for a changed segment, e.g. "boilerplate added" or "moved"."""
    if segment.op == KEPT:
        return ""
    kind = (segment.kind or "").replace("_", " ")
    if segment.op == MOVED:
        return "moved"
    if kind == "edit":
        return f"edit: {segment.op}"
    return f"{kind} {segment.op}".strip() if kind else segment.op


def to_rich(result: Diff, *, context: int = 1) -> RenderableType:
    """A terminal rendering: changed rows in full, with `context` unchanged rows around them.

    Removed text is red and struck through inside [- -], added text green inside {+ +}, so the
    marks survive without colour.
    """
    from rich.console import Group
    from rich.text import Text

    rows = result.blocks()
    changed = [any(s.op != KEPT for s in row) for row in rows]
    show = [any(changed[max(0, k - context):k + context + 1]) for k in range(len(rows))]
    parts: list[Text] = []
    skipped = 0
    for row, keep, is_changed in zip(rows, show, changed):
        if not keep:
            skipped += 1
            continue
        if skipped:
            parts.append(Text(f"  ... {skipped} unchanged paragraph{'s' * (skipped != 1)} ...", style="dim"))
            skipped = 0
        line = Text()
        labels = sorted({label(s) for s in row if s.op != KEPT and (s.kind != EDIT or s.op == MOVED)})
        if labels:
            line.append(f"[{', '.join(labels)}] ", style="bold cyan")
        para = None
        for s in row:
            p = s.new_para if s.new_para is not None else para
            if para is not None and p is not None and p != para:
                line.append("\n")
            para = p
            if s.op == KEPT:
                line.append(display(s.new), style=None if is_changed else "dim")
            elif s.op == MOVED:
                line.append("{~" + display(s.new) + "~}", style="yellow")
            if s.op in (REMOVED, SUBSTITUTED):
                line.append("[-" + display(s.old).strip() + "-]", style="red strike")
            if s.op in (ADDED, SUBSTITUTED):
                line.append("{+" + display(s.new).strip() + "+}", style="green")
                if s.new.endswith((" ", "\n")):
                    line.append(" ")
        parts.append(line)
    if skipped:
        parts.append(Text(f"  ... {skipped} unchanged paragraph{'s' * (skipped != 1)} ...", style="dim"))
    sm = result.summary
    kinds = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sm.kinds) or "none"
    parts.append(Text(
        f"\n{sm.origin_words} words in origin, {sm.copy_words} in copy: "
        f"{sm.origin_kept:.0%} of the origin kept, {sm.copy_new:.0%} of the copy new; "
        f"words added {sm.words_added}, removed {sm.words_removed}, substituted "
        f"{sm.words_substituted_old}->{sm.words_substituted}, moved {sm.words_moved}. "
        f"Changes by kind: {kinds}.", style="bold"))
    return Group(*parts)
