"""Learn boilerplate from the corpus itself: passages that recur across unrelated articles.

A paragraph seen in several articles is either part of a story that travels (a syndicated copy
carries most of its paragraphs along) or boilerplate (a disclaimer, a share prompt, a newsletter
pitch: a small block that recurs around many different stories). As in passim and trafilatura's
cross-document filter, we start from document frequency, then look at the articles holding it:

1. Site boilerplate: two or more articles of one site hold it, and the block of paragraphs they
   share is a small part of them (they are different stories wrapped in the same chrome).
2. Shared boilerplate: it appears in at least `boilerplate_min_stories` different stories, where
   articles are the same story when most of their (non-boilerplate) text is shared paragraphs.

A passage shared by one family of copies and an article quoting it is therefore never boilerplate.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence, Set
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np

from .execution import Execution
from .settings import Settings
from .shingle import FeatureBatch, Features
from .sign import repeated_keys
from .verify import ranges

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, eq=False)
class Member:
    """What the boilerplate test needs to know of one article that contains a frequent paragraph."""

    para_hashes: np.ndarray
    para_words: np.ndarray
    site: str | None

    def word_map(self) -> dict[int, int]:
        """Words per distinct paragraph hash."""
        out: dict[int, int] = {}
        for h, w in zip(self.para_hashes.tolist(), self.para_words.tolist()):
            out[h] = out.get(h, 0) + w
        return out


def site_boilerplate(members: Sequence[Member]) -> bool:
    """True if the paragraph belongs to one site (at least 80% of its holders are there)
    and that site's articles share it inside a block that is a small part of each (the same
    chrome around different stories) rather than most of them (one story twice)."""
    by_site: dict[str, list[Member]] = defaultdict(list)
    for m in members:
        if m.site:
            by_site[m.site].append(m)
    for group in by_site.values():
        if len(group) < 2 or 5 * len(group) < 4 * len(members):
            continue
        counts: Counter[int] = Counter()
        maps = [m.word_map() for m in group]
        for wm in maps:
            counts.update(wm.keys())
        need = max(2, math.ceil(0.8 * len(group)))
        block = {h for h, c in counts.items() if c >= need}
        mostly_block = sum(1 for wm in maps
                           if 2 * sum(w for h, w in wm.items() if h in block) >= sum(wm.values()))
        if mostly_block * 2 < len(group):
            return True
    return False


def stories_many(groups: Sequence[Sequence[Member]], known: Set[int] = frozenset(),
                 same: float = 0.3) -> list[int]:
    """How many different stories each group's members belong to: connected groups of articles
    that share paragraphs making up at least `same` of the shorter one (known boilerplate left out).

    With array operations over all member pairs of all groups: each member's words per distinct
    paragraph, for every pair in a group the words the member with fewer distinct paragraphs
    shares with the other, a link where that is at least `same` of the smaller total, and the
    connected groups of links (`cluster.Components`) counted per group. A test checks it against
    a pair-by-pair reference.
    """
    if not groups:
        return []
    known_arr = np.fromiter(known, dtype=np.uint64, count=len(known))
    # In batches of about _PAIR_BUDGET paragraph lookups: the arrays below hold a few for each.
    out: list[int] = []
    batch: list[Sequence[Member]] = []
    cost = 0
    for g in groups:
        batch.append(g)
        cost += (len(g) - 1) * sum(m.para_hashes.shape[0] for m in g) // 2
        if cost >= _PAIR_BUDGET:
            out += _stories_batch(batch, known_arr, same)
            batch, cost = [], 0
    if batch:
        out += _stories_batch(batch, known_arr, same)
    return out


#: Paragraph lookups (over all member pairs) per batch of `stories_many`: about 64 bytes each.
_PAIR_BUDGET = 1 << 20


def _distinct(groups: Sequence[Sequence[Member]]) -> tuple[list[Member], list[int]]:
    """The distinct members of `groups` (by identity, in first-seen order), and the index among them
    of each group's members, group after group."""
    index: dict[int, int] = {}
    members: list[Member] = []
    slots: list[int] = []
    for g in groups:
        for m in g:
            k = index.get(id(m))
            if k is None:
                k = index[id(m)] = len(members)
                members.append(m)
            slots.append(k)
    return members, slots


def _stories_batch(groups: Sequence[Sequence[Member]], known: np.ndarray, same: float) -> list[int]:
    from .cluster import Components  # numpy union-find

    members, slots = _distinct(groups)  # slots: the member index of each group slot, group after group
    if not members:
        return [0] * len(groups)
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    # Every member's (paragraph, words), summed per distinct paragraph, known boilerplate left out.
    counts = np.array([m.para_hashes.shape[0] for m in members], dtype=np.int64)
    hashes = np.concatenate([m.para_hashes for m in members]).astype(np.uint64, copy=False)
    words = np.concatenate([m.para_words for m in members]).astype(np.int64, copy=False)
    owner = np.repeat(np.arange(len(members), dtype=np.int64), counts)
    if known.shape[0]:
        keep = ~np.isin(hashes, known)
        hashes, words, owner = hashes[keep], words[keep], owner[keep]
    _, rank = np.unique(hashes, return_inverse=True)
    key = (owner << 32) | rank.reshape(-1).astype(np.int64)  # (member, paragraph) as one sortable key
    order = np.argsort(key, kind="stable")
    key, words = key[order], words[order]
    first = np.ones(key.shape[0], dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    key, words = key[starts], np.add.reduceat(words, starts) if starts.shape[0] else words[:0]
    owner = key >> 32
    distinct = np.bincount(owner, minlength=len(members))
    totals = np.bincount(owner, weights=words, minlength=len(members))
    begin = np.zeros(len(members) + 1, dtype=np.int64)
    np.cumsum(distinct, out=begin[1:])
    # All pairs i < j within each group, as group slots.
    slot_base = np.zeros(len(groups) + 1, dtype=np.int64)
    np.cumsum(sizes, out=slot_base[1:])
    pi_parts, pj_parts = [], []
    for size in np.unique(sizes).tolist():
        if size < 2:
            continue
        which = np.flatnonzero(sizes == size)
        ti, tj = np.triu_indices(size, 1)
        base = slot_base[which][:, None]
        pi_parts.append((base + ti).reshape(-1))
        pj_parts.append((base + tj).reshape(-1))
    slot_member = np.array(slots, dtype=np.int64)
    links = Components(int(slot_base[-1]))
    if pi_parts:
        si, sj = np.concatenate(pi_parts), np.concatenate(pj_parts)
        a, b = slot_member[si], slot_member[sj]
        a_small = distinct[a] <= distinct[b]
        small, big = np.where(a_small, a, b), np.where(a_small, b, a)
        # The small member's paragraphs, each looked for among the big member's.
        lengths = distinct[small]
        pair_of = np.repeat(np.arange(small.shape[0], dtype=np.int64), lengths)
        before = np.cumsum(lengths) - lengths
        entry = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(before - begin[small], lengths)
        wanted = (big[pair_of] << 32) | (key[entry] & 0xFFFFFFFF)
        pos = np.searchsorted(key, wanted)
        hit = (pos < key.shape[0]) & (key[np.minimum(pos, key.shape[0] - 1)] == wanted)
        shared = np.bincount(pair_of, weights=np.where(hit, words[entry], 0), minlength=small.shape[0])
        floor = np.minimum(totals[a], totals[b])
        linked = (floor > 0) & (shared >= same * floor)
        links.union(np.stack([si[linked], sj[linked]], axis=1))
    labels = links.labels()
    group_of = np.repeat(np.arange(len(groups), dtype=np.int64), sizes)
    distinct_labels = np.unique(np.stack([group_of, labels], axis=1), axis=0)
    return np.bincount(distinct_labels[:, 0], minlength=len(groups)).tolist()


#: A paragraph held by fewer articles is never boilerplate: callers need not judge it at all.
MIN_HOLDERS = 2


def decide(paragraphs: Iterable[tuple[int, int, K]], members_of: Callable[[K], Sequence[Member]],
           settings: Settings, site_found: set[int] | None = None,
           execution: Execution | None = None) -> set[int]:
    """The boilerplate among `paragraphs`, each given as (hash, articles holding it, sample key).

    `members_of(key)` returns the sampled holders (the first `boilerplate_sample` articles holding
    it); equal keys are judged once. A paragraph with fewer than MIN_HOLDERS holders is not
    boilerplate. Site boilerplate is found first (and added to `site_found`, which may carry what
    earlier calls found); it is then left out when counting the stories that hold each remaining
    paragraph (`stories_many`, for all keys at once). Many keys are split between `execution`'s
    processes (default: judged here).
    """
    execution = execution or Execution()
    paragraphs = [p for p in paragraphs if p[1] >= MIN_HOLDERS]
    found = site_found if site_found is not None else set()
    keys = list(dict.fromkeys(key for _, _, key in paragraphs))
    flags = _per_key(keys, lambda groups: [site_boilerplate(g) for g in groups], members_of, execution)
    site_keys = {k for k, flag in zip(keys, flags) if flag}
    found.update(h for h, _, key in paragraphs if key in site_keys)
    result = {h for h, _, _ in paragraphs if h in found}
    known = frozenset(found)
    asked = list(dict.fromkeys(key for h, holders, key in paragraphs
                               if h not in known and holders >= settings.boilerplate_min_stories))
    counts = _per_key(asked, lambda groups: stories_many(groups, known), members_of, execution)
    many = {k for k, c in zip(asked, counts) if c >= settings.boilerplate_min_stories}
    for h, holders, key in paragraphs:
        if key in many and h not in known and holders >= settings.boilerplate_min_stories:
            result.add(h)
    return result


def _per_key(keys: list[K], judge: Callable[[list[Sequence[Member]]], list[Any]],
             members_of: Callable[[K], Sequence[Member]], execution: Execution) -> list[Any]:
    """`judge` of the keys' members, the keys cut into parts judged at once in forked processes
    when they are many; a cluster's task is sent its keys' members (not what `members_of` reads:
    the corpus's paragraph table)."""
    if execution.remote:
        groups = Holders.of([members_of(k) for k in keys])
        return [x for run in execution.map_split(partial(_judge_holders, judge), groups,
                                                 minimum=execution.tuning.fork_keys) for x in run]
    return [x for run in execution.map_split(lambda part: judge([members_of(k) for k in part]), keys,
                                             minimum=execution.tuning.fork_keys) for x in run]


@dataclass(frozen=True)
class Holders:
    """Groups of sampled holders as a few flat arrays: what a cluster's judging task is sent (pickling
    each holder's two arrays apart was most of the Ray driver's time in boilerplate). Sliced by group."""

    hashes: np.ndarray  # every distinct holder's paragraph hashes, one holder after another
    words: np.ndarray
    offsets: np.ndarray  # holder h's paragraphs: offsets[h] .. offsets[h + 1]
    sites: list[str | None]
    members: np.ndarray  # the holders of every group, one group after another
    starts: np.ndarray  # group g's holders: members[starts[g] .. starts[g + 1]]

    @classmethod
    def of(cls, groups: Sequence[Sequence[Member]]) -> Holders:
        held, members = _distinct(groups)
        lengths = np.array([m.para_hashes.shape[0] for m in held], dtype=np.int64)
        first = held[0] if held else Member(np.zeros(0, np.uint64), np.zeros(0, np.int32), None)
        return cls(np.concatenate([first.para_hashes[:0]] + [m.para_hashes for m in held]),
                   np.concatenate([first.para_words[:0]] + [m.para_words for m in held]),
                   np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), [m.site for m in held],
                   np.array(members, dtype=np.int64),
                   np.concatenate([[0], np.cumsum([len(g) for g in groups])]).astype(np.int64))

    def __len__(self) -> int:
        return self.starts.shape[0] - 1

    def __getitem__(self, cut: slice) -> Holders:
        """The groups in `cut`, with only their holders."""
        a, b, _ = cut.indices(len(self))
        b = max(a, b)
        used, members = np.unique(self.members[self.starts[a]:self.starts[b]], return_inverse=True)
        lengths = self.offsets[used + 1] - self.offsets[used]
        at = ranges(self.offsets[used], lengths)[0]
        return Holders(self.hashes[at], self.words[at], np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                       [self.sites[i] for i in used.tolist()], members.astype(np.int64).reshape(-1),
                       self.starts[a:b + 1] - self.starts[a])

    def groups(self) -> list[list[Member]]:
        held = [Member(self.hashes[x:y], self.words[x:y], site)
                for x, y, site in zip(self.offsets[:-1].tolist(), self.offsets[1:].tolist(), self.sites)]
        members = self.members.tolist()
        return [[held[k] for k in members[x:y]] for x, y in zip(self.starts[:-1].tolist(), self.starts[1:].tolist())]


def _judge_holders(judge: Callable[[list[Sequence[Member]]], list[Any]], groups: Holders) -> list[Any]:
    """In a cluster's worker: `judge` of the groups sent flat."""
    return judge(list(groups.groups()))


def learn(corpus: ParagraphTable | Sequence[Features], sites: Sequence[str | None], settings: Settings,
          execution: Execution | None = None) -> frozenset[int]:
    """The paragraph hashes that are boilerplate in this corpus (judged in `execution`'s processes).

    Articles are in a canonical order (syndup sorts by article id; `sites` follows it) so that the
    sample of articles judged for each paragraph, and so the answer, never depends on input order.
    """
    table = corpus if isinstance(corpus, ParagraphTable) else ParagraphTable.of(corpus)
    if not len(table):
        return frozenset()
    table_hashes, table_words, table_offsets, position = table.hashes, table.words, table.offsets, table.position
    execution = execution or Execution()
    if execution.remote:  # every (paragraph, article) row goes to the workers' group-by, which counts them
        rows = {"hash": table_hashes.astype(np.uint64, copy=False),
                "doc": np.repeat(position, np.diff(table_offsets))}
    else:  # here, only the rows of repeated paragraphs can be frequent: the others are left out first
        hashes, docs = _repeated_paragraphs(table_hashes, table_offsets, position)
        rows = {"hash": hashes, "doc": docs}
    parts = [p for p in execution.by_key(partial(holders, sample=settings.boilerplate_sample), rows, "hash")
             if p[0].shape[0]]
    if not parts:
        return frozenset()
    f_hash = np.concatenate([p[0] for p in parts])
    by_hash = np.argsort(f_hash)  # the parts hold distinct hashes: in hash order, as one part would give them
    f_count = np.concatenate([p[1] for p in parts])[by_hash]
    f_take = np.concatenate([np.diff(p[3]) for p in parts])
    f_sample = np.concatenate([p[2] for p in parts])
    starts = np.concatenate([[0], np.cumsum(f_take)[:-1]])[by_hash]
    take = f_take[by_hash]
    sample = f_sample[ranges(starts, take)[0]].astype(np.int32).tobytes()
    f_hashes, f_counts = f_hash[by_hash].tolist(), f_count.tolist()
    cuts = np.concatenate([[0], 4 * np.cumsum(take)[:-1]]).tolist()
    del rows, parts, f_sample
    # Where each article's paragraphs are in the table.
    row_of = np.empty(position.shape[0], dtype=np.int64)
    row_of[position] = np.arange(position.shape[0], dtype=np.int64)
    cache: dict[int, Member] = {}

    def member(i: int) -> Member:
        m = cache.get(i)
        if m is None:
            r = int(row_of[i])
            a, b = int(table_offsets[r]), int(table_offsets[r + 1])
            m = cache[i] = Member(table_hashes[a:b], table_words[a:b], sites[i])
        return m

    paragraphs = ((h, c, sample[a:a + 4 * t]) for h, c, a, t in zip(f_hashes, f_counts, cuts, take.tolist()))

    def members_of(key: bytes) -> list[Member]:
        return [member(i) for i in np.frombuffer(key, dtype=np.int32).tolist()]

    return frozenset(decide(paragraphs, members_of, settings, execution=execution))


def holders(rows: dict[str, np.ndarray], sample: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Document frequencies of (hash, doc) rows (a paragraph's hash and the article holding it, in
    canonical order; repeats allowed): per paragraph held by MIN_HOLDERS+ articles, in hash order,
    its hash, its number of holders, and its first `sample` holders (flat, with offsets). Every
    row of a hash must be in `rows`: a group-by may give each part of the hashes to another worker.
    """
    hashes, docs = rows["hash"].astype(np.uint64, copy=False), rows["doc"].astype(np.int64, copy=False)
    # One row per (paragraph, article holding it), by paragraph, then article.
    order = np.lexsort((docs, hashes))
    hashes, docs = hashes[order], docs[order]
    new = np.ones(hashes.shape[0], dtype=bool)
    new[1:] = (hashes[1:] != hashes[:-1]) | (docs[1:] != docs[:-1])
    hashes, docs = hashes[new], docs[new]
    starts = np.flatnonzero(np.concatenate([[hashes.shape[0] > 0], hashes[1:] != hashes[:-1]]))
    counts = np.diff(np.append(starts, hashes.shape[0]))
    frequent = np.flatnonzero(counts >= MIN_HOLDERS)
    # Their first `sample` holders, as int32 article numbers.
    take = np.minimum(counts[frequent], sample)
    offsets = np.zeros(frequent.shape[0] + 1, dtype=np.int64)
    np.cumsum(take, out=offsets[1:])
    picked = ranges(starts[frequent], take)[0]
    return hashes[starts[frequent]], counts[frequent], docs[picked].astype(np.int32), offsets


@dataclass(frozen=True, eq=False)
class ParagraphTable:
    """Every paragraph of a corpus in flat arrays, the form `learn` reads: one run per article,
    runs in any order; run r is `hashes[offsets[r]:offsets[r + 1]]` (words per paragraph in
    `words`) and belongs to the article at `position[r]` of the canonical order."""

    hashes: np.ndarray    # uint64
    words: np.ndarray     # int32
    offsets: np.ndarray   # int64, runs + 1
    position: np.ndarray  # int64, one per run

    def __len__(self) -> int:
        return int(self.position.shape[0])

    @classmethod
    def of(cls, features: Sequence[Features]) -> ParagraphTable:
        """The table of articles given in canonical order."""
        offsets = np.zeros(len(features) + 1, dtype=np.int64)
        np.cumsum([f.para_hashes.shape[0] for f in features], out=offsets[1:])
        hashes = np.concatenate([f.para_hashes for f in features]) if len(features) else np.zeros(0, np.uint64)
        words = np.concatenate([f.para_words for f in features]) if len(features) else np.zeros(0, np.int32)
        return cls(hashes.astype(np.uint64, copy=False), words, offsets, np.arange(len(features), dtype=np.int64))


def _repeated_paragraphs(hashes: np.ndarray, offsets: np.ndarray,
                         position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of a `ParagraphTable` whose hash occurs more than once, as (hash, article
    position): only those can be frequent, and they are a small part of a corpus, so they are
    found by one pass of a hash table (`sign.repeated_keys`, no sort of the full table)."""
    rows = repeated_keys(hashes)
    articles = np.searchsorted(offsets, rows, side="right") - 1
    return hashes[rows], position[articles]


def as_array(boilerplate: frozenset[int] | set[int]) -> np.ndarray:
    """Boilerplate paragraph hashes as a sorted array, the form `drop_mask` takes."""
    return np.array(sorted(boilerplate), dtype=np.uint64)


def drop_mask(features: Features | FeatureBatch, boilerplate: np.ndarray) -> np.ndarray:
    """Boolean mask over an article's paragraphs (or a batch's, all at once): True where the
    paragraph is boilerplate (`boilerplate` sorted, as `as_array` gives it)."""
    return _in_sorted(features.para_hashes, boilerplate)


def _in_sorted(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Which `values` (uint64 hashes) are in the sorted array `known`, a slice of values at a
    time (a scan asks this of every paragraph of the corpus at once): a table indexed by their
    low bits rules out most values, binary search settles the rest."""
    out = np.zeros(values.shape[0], dtype=bool)
    if known.shape[0] == 0 or values.shape[0] == 0:
        return out
    if values.shape[0] < _MASK_TABLE_FROM:  # one article's paragraphs (the index): search alone
        at = np.minimum(np.searchsorted(known, values), known.shape[0] - 1)
        return known[at] == values
    size = 1 << min(24, max(16, (64 * known.shape[0]).bit_length()))
    low = np.uint64(size - 1)
    table = np.zeros(size, dtype=bool)
    table[(known & low).astype(np.intp)] = True
    for lo in range(0, values.shape[0], _MASK_SLICE):
        part = values[lo:lo + _MASK_SLICE]
        maybe = np.flatnonzero(table[(part & low).astype(np.intp)])
        at = np.minimum(np.searchsorted(known, part[maybe]), known.shape[0] - 1)
        out[lo + maybe] = known[at] == part[maybe]
    return out


_MASK_SLICE = 1 << 20
#: Below this many values, binary search alone beats filling the low-bits table.
_MASK_TABLE_FROM = 1 << 14
