"""`Index`: a persistent index that a scraper asks, article by article, "have I seen this, or one it copies?"

    idx = syndup.Index.open("articles.syndup")               # one SQLite file, safe for many processes
    idx = syndup.Index.open("redis://host:6379/0?prefix=news")   # shared by processes and machines
    idx = syndup.Index.open(":memory:")                       # nothing kept after close
    matches = idx.add("a1", text, url="https://...")          # store it; what it matched, best first

Each article is hashed exactly as `scan` hashes it. Candidates come from MinHash LSH bands (copies)
and anchor shingles (a shared passage), both capped so a family of 5,000 copies keeps `add` cheap;
`syndup.verify.relate_many` decides all of an article's candidates in one batch, by the rule scan
uses, so an index and a scan never disagree on what a copy is.
Boilerplate is learned as the index grows: paragraph counts and a sample of the articles holding
each are stored, and `syndup.boilerplate` judges them when an article is checked, so a disclaimer
that turns up on its third story stops making unrelated articles look related.

`add` stores the article first and then looks for matches, so when two processes add a copy and
its origin at the same moment, at least one of them reports the other.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from . import boilerplate as bp
from ._store import FORMAT_VERSION, Caps, Record, Store, Stored
from .candidates import AnchorRule, anchor_hub, lsh_params
from .cluster import host_of
from .errors import BackendError, IdConflict, IndexSettingsError, InputError, SettingsError
from .models import META_FIELDS, Article, Match, OriginChoice
from .settings import DEFAULT_SETTINGS, Settings
from .shingle import Features, SetBatch, ShingleSet, analyze, analyze_views, shingles
from .sketch import sketch
from .verify import (
    COPY,
    DUPLICATE,
    PARTIAL,
    Sequences,
    aligned_share,
    body_words,
    covered_share_many,
    noisy_copies,
    passage_words_many,
    relate_many,
    sentence_passages,
    sequences_many,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .models import ScanResult

#: Columns of the table `Index.add_scan` returns: containment and containment_other are the
#: match's containment_a_in_b and containment_b_in_a (the article added is a).
INDEX_MATCH_COLUMNS = ["doc_id", "match_id", "relation", "jaccard", "containment", "containment_other"]
_RANK = {DUPLICATE: 0, COPY: 1, PARTIAL: 2}
#: Per-process caches of immutable per-article data (nums are never reused).
_FEATURE_CACHE = 2048
_MEMBER_CACHE = 16384
#: A stored article as matching reads it: doc id, fingerprint, exact view, noisy view, text.
_Loaded = tuple[str, bytes, Features, Features, str]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _LRU(Generic[K, V]):
    """A small least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self.data.get(key)
        if value is not None:
            self.data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self.data[key] = value
        self.data.move_to_end(key)
        if len(self.data) > self.size:
            self.data.popitem(last=False)

    def get_many(self, keys: Iterable[K], fetch: Callable[[list[K]], Mapping[K, V]]) -> dict[K, V]:
        """The values of `keys` found here, and those `fetch`ed (and kept) for the others."""
        out: dict[K, V] = {}
        missing: list[K] = []
        for key in keys:
            hit = self.get(key)
            if hit is None:
                missing.append(key)
            else:
                out[key] = hit
        for key, value in fetch(missing).items():
            self.put(key, value)
            out[key] = value
        return out


@dataclass(frozen=True, eq=False)
class _Probe:
    """An incoming article in comparison form, with the boilerplate known when it was made."""

    features: Features
    site: str | None
    shingles: ShingleSet
    bands: np.ndarray    # uint64 LSH band keys of both views, as scan groups articles by (none for an empty body)
    anchors: np.ndarray
    noisy: ShingleSet    # the noisy view's shingle set
    text: str


class _Judge:
    """Decides which paragraphs are boilerplate now, for one `check` or `add`.

    Mirrors `boilerplate.learn` on the corpus "index + probe": a paragraph's holders are the
    first `boilerplate_sample` articles that were added with it, then the probe if it is not
    stored yet (`virtual`). Site boilerplate is found first and left out when counting stories.
    """

    def __init__(self, index: Index, probe: Features, site: str | None, virtual: bool) -> None:
        self.index = index
        self.virtual = virtual
        self.probe_paras = set(probe.para_hashes.tolist())
        self.probe_member = bp.Member(probe.para_hashes, probe.para_words, site)
        self.verdicts: dict[int, bool] = {}
        self.site_found: set[int] = set()

    def boilerplate(self, hashes: Iterable[int]) -> set[int]:
        """The boilerplate paragraphs among `hashes` (and among those asked before)."""
        settings = self.index.settings
        todo = sorted({h for h in hashes if h not in self.verdicts})
        stats = self.index._store.paragraph_stats(todo) if todo else {}
        plans = []
        for h in todo:
            df, sample = stats.get(h, (0, ()))
            virtual = self.virtual and h in self.probe_paras
            df += virtual
            if df < 2:
                self.verdicts[h] = False
            else:
                plans.append((h, df, sample, virtual))
        members = self.index._members({n for _, _, sample, _ in plans for n in sample})
        groups: dict[tuple[Any, ...], list[bp.Member]] = {}
        paragraphs = []
        for h, df, sample, virtual in plans:
            held = [n for n in sample if n in members]
            key = (tuple(held), virtual and len(held) < settings.boilerplate_sample)
            if key not in groups:
                groups[key] = [members[n] for n in held] + ([self.probe_member] if key[1] else [])
            paragraphs.append((h, df, key))
        found = bp.decide(paragraphs, groups.__getitem__, settings, self.site_found)
        for h, _, _ in paragraphs:
            self.verdicts[h] = h in found
        return {h for h, v in self.verdicts.items() if v}


class Index:
    """A persistent, shared index of articles; open one with `Index.open(target)`.

    Thread-safe; do not share one open `Index` across a fork (open it in each process).
    """

    def __init__(self, store: Store, settings: Settings, header: dict[str, object]) -> None:
        self._store = store
        self.settings = settings
        self.header = header
        self._lock = threading.RLock()
        self._closed = False
        self._features: _LRU[int, _Loaded] = _LRU(_FEATURE_CACHE)
        self._member_cache: _LRU[int, bp.Member] = _LRU(_MEMBER_CACHE)
        self._max_verify = 4 * settings.max_bucket_pairs

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    def open(cls, target: str | os.PathLike[str], *, settings: Settings | None = None) -> Index:
        """Open (or create) an index.

        `target` is a file path (SQLite), ":memory:", or `redis://host:port/db?prefix=name`.
        `settings=None` uses the settings the index was built with (the defaults for a new one);
        settings that would make its signatures incomparable raise `IndexSettingsError`.
        """
        store = _open_store(target)
        try:
            header = _read_header(store)
            if header is None:
                header = store.create_header(_header(settings or DEFAULT_SETTINGS))
            resolved = _resolve_settings(header, settings, store.location)
            store.configure(_caps(resolved))
        except BaseException:
            store.close()
            raise
        return cls(store, resolved, header)

    def close(self) -> None:
        """Close connections and files; the index cannot be used afterwards."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<syndup.Index {self._store.kind} {self._store.location}>"

    @property
    def location(self) -> str:
        """Where the index lives (path, ":memory:" or the Redis URL without password)."""
        return self._store.location

    def _live(self) -> Store:
        if self._closed:
            raise BackendError(f"index {self.location} is closed")
        return self._store

    # ------------------------------------------------------------------ the public verbs

    def check(self, text: str, **meta: object) -> list[Match]:
        """The indexed articles `text` duplicates, copies or shares a passage with, best first.

        Nothing is stored. `meta` takes url, title, site, published, author (site or URL host
        helps tell one site's chrome from shared passages).
        """
        fields = _meta(meta)
        features, noisy = _analyze(text, "the checked text")
        site = _site(fields)
        with self._lock:
            self._live()
            judge = _Judge(self, features, site, virtual=True)
            return self._matches(self._probe(features, noisy, text, judge), judge, own=None)

    def add(self, doc_id: str, text: str, *, replace: bool = False, **meta: object) -> list[Match]:
        """Store an article and return the indexed articles it matched, best first.

        Adding an id again with the same text changes nothing (it returns the matches); with a
        different text it raises ValueError unless `replace=True`.
        """
        doc_id = _check_id(doc_id)
        fields = _meta(meta)
        features, noisy = _analyze(text, f"article {doc_id!r}")
        site = _site(fields)
        with self._lock:
            store = self._live()
            for _ in range(5):
                probe = self._probe(features, noisy, text, _Judge(self, features, site, virtual=True))
                record = Record(
                    doc_id=doc_id, fingerprint=features.fingerprint,
                    meta=json.dumps(fields, sort_keys=True, ensure_ascii=False), site=site,
                    text=zlib.compress(text.encode("utf-8", "surrogatepass")),
                    para_hashes=features.para_hashes, para_words=features.para_words,
                    anchors=probe.anchors, bands=probe.bands)
                num, inserted = store.insert(record)
                if not inserted:
                    found = store.lookup(doc_id)
                    if found is None:  # removed meanwhile: try again
                        continue
                    num, fingerprint = found
                    if fingerprint != features.fingerprint:
                        if not replace:
                            raise IdConflict(f"article {doc_id!r} is already in {self.location} with a "
                                             f"different text; replace it (replace=True, or --replace) or remove it first")
                        store.remove(doc_id)
                        continue
                return self._matches(probe, _Judge(self, features, site, virtual=False), own=num)
            raise BackendError(f"{self.location}: could not add {doc_id!r}: it keeps changing under us")

    def add_many(self, articles: Iterable[Article | Mapping[str, Any]], *,
                 replace: bool = False) -> Iterator[tuple[Article, list[Match]]]:
        """Add articles (Article objects or dicts with id and text) one by one, yielding each with its matches."""
        for item in articles:
            article = item if isinstance(item, Article) else Article.from_mapping(item)
            yield article, self.add(article.id, article.text, replace=replace, **_article_meta(article))

    def check_many(self, articles: Iterable[Article | Mapping[str, Any]]) -> Iterator[tuple[Article, list[Match]]]:
        """Check articles (Article objects or dicts with id and text), yielding each with its matches."""
        for item in articles:
            article = item if isinstance(item, Article) else Article.from_mapping(item)
            yield article, self.check(article.text, **_article_meta(article))

    def add_scan(self, result: ScanResult) -> pd.DataFrame:
        """Add every article of a scan; return its matches with articles indexed before, one row each.

        Matches between articles of the scan itself are left out: they are in `result.pairs`.
        An article already indexed under the same id with another text is replaced.
        """
        import pandas as pd

        ids = [str(i) for i in result.documents["doc_id"]]
        scanned = set(ids)
        rows = []
        for doc_id in ids:
            article = result.article(doc_id)
            for m in self.add(article.id, article.text, replace=True, **_article_meta(article)):
                if m.doc_id not in scanned:
                    rows.append((doc_id, m.doc_id, m.relation, m.jaccard, m.containment_a_in_b, m.containment_b_in_a))
        return pd.DataFrame(rows, columns=INDEX_MATCH_COLUMNS)

    def origin(self, doc_ids: Sequence[str]) -> OriginChoice:
        """Which of these indexed articles (copies of one text) is their origin, by the rules scan
        uses (`cluster.choose_origin`: stated dates, credits, what copies add, containment, id),
        boilerplate as the index knows it now left out; KeyError if one is not indexed."""
        from .cluster import choose_origin
        from .stages.origins import parse_dates, read_evidence

        ids = list(dict.fromkeys(_check_id(d) for d in doc_ids))
        if not ids:
            raise InputError("Index.origin needs at least one indexed article id")
        articles = [self.get(d) for d in ids]
        features = [analyze(a.text) for a in articles]
        sites = [a.site or host_of(a.url) for a in articles]
        with self._lock:
            self._live()
            judge = _Judge(self, features[0], sites[0], virtual=False)
            boiler = bp.as_array(judge.boilerplate(h for f in features for h in f.para_hashes.tolist()))
        sets = SetBatch.of([shingles(f, self.settings.shingle_size, bp.drop_mask(f, boiler)) for f in features])
        chosen = choose_origin(list(range(len(ids))), ids, parse_dates([a.published for a in articles]),
                               parse_dates([a.crawled for a in articles]),
                               [read_evidence(a.text, a.title) for a in articles], sites,
                               [a.url for a in articles], sets)
        return OriginChoice(ids[chosen.index], chosen.rule, chosen.confidence)

    def remove(self, doc_id: str) -> None:
        """Remove an article; KeyError if it is not in the index."""
        with self._lock:
            if not self._live().remove(_check_id(doc_id)):
                raise KeyError(f"no article {doc_id!r} in {self.location}")

    def get(self, doc_id: str) -> Article:
        """The article stored under `doc_id` (text and metadata as added); KeyError if absent."""
        with self._lock:
            store = self._live()
            found = store.lookup(_check_id(doc_id))
            doc = store.documents([found[0]]).get(found[0]) if found else None
        if doc is None:
            raise KeyError(f"no article {doc_id!r} in {self.location}")
        meta = json.loads(doc.meta)
        return Article(id=doc.doc_id, text=zlib.decompress(doc.text).decode("utf-8", "surrogatepass"),
                       **{k: meta.get(k) for k in META_FIELDS})

    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, str):
            return False
        with self._lock:
            return self._live().lookup(doc_id) is not None

    def __len__(self) -> int:
        with self._lock:
            return self._live().count()

    def stats(self) -> dict[str, object]:
        """What the index holds and how it was built: backend, articles, settings, versions, size."""
        with self._lock:
            store = self._live()
            bands, rows = lsh_params(self.settings.lsh_threshold, self.settings.num_perm)
            return {
                "backend": store.kind,
                "location": store.location,
                "articles": store.count(),
                "format": self.header.get("format"),
                "built_by": f"syndup {self.header.get('syndup_version')}",
                "fingerprint": self.settings.fingerprint_digest(),
                "settings": self.settings.fingerprint(),
                "lsh_bands": bands,
                "lsh_rows": rows,
                **store.size_info(),
            }

    # ------------------------------------------------------------------ matching

    def _probe(self, features: Features, noisy: Features, text: str, judge: _Judge) -> _Probe:
        """Shingles, signature and anchors of an article (both views), boilerplate as known now left out."""
        boiler = judge.boilerplate(features.para_hashes.tolist())
        sk = sketch(features, bp.drop_mask(features, bp.as_array(boiler)), self.settings, noisy)
        return _Probe(features, judge.probe_member.site, sk.shingles, np.concatenate([sk.bands, sk.noisy_bands]),
                      sk.anchors, sk.noisy, text)

    def _candidates(self, probe: _Probe, own: int | None) -> list[int]:
        """Nums worth verifying, most promising first: duplicates, then by bands and anchors shared."""
        found = self._store.postings(probe.bands, probe.anchors, probe.features.fingerprint)
        bands = Counter(n for nums in found.bands for n in nums)
        rule = AnchorRule.of(self.settings)
        shared: Counter[int] = Counter()  # evidence of a shared passage, by the rule scan applies
        for nums in found.anchors:
            if len(nums) <= rule.max_df:
                shared.update(dict.fromkeys(nums, rule.WHOLE))
            elif len(nums) <= rule.max_hub_df:  # recurring: a third, between its hub and each holder
                hub = anchor_hub(nums)
                shared.update(dict.fromkeys([n for n in nums if n != own] if hub == own else [hub], rule.THIRD))
        score: dict[int, int] = {n: 1_000_000 for n in found.duplicates}
        for n, c in bands.items():
            score[n] = score.get(n, 0) + c
        for n, c in shared.items():
            if c >= rule.needed:
                score[n] = score.get(n, 0) + c
        score.pop(own, None)  # type: ignore[arg-type]
        return sorted(score, key=lambda n: (-score[n], n))[:self._max_verify]

    def _members(self, nums: Iterable[int]) -> dict[int, bp.Member]:
        """What the boilerplate test needs of stored articles, from the cache or the backend."""
        return self._member_cache.get_many(nums, self._store.members)

    def _load(self, nums: list[int]) -> dict[int, _Loaded]:
        """(doc id, fingerprint, features, noisy view, text) of stored articles, from the cache or the backend."""
        def fetch(missing: list[int]) -> dict[int, _Loaded]:
            docs: dict[int, Stored] = self._store.documents(missing) if missing else {}
            texts = {n: zlib.decompress(doc.text).decode("utf-8", "surrogatepass") for n, doc in docs.items()}
            if not texts:
                return {}
            exact, noisy = analyze_views(list(texts.values()))
            return {n: (docs[n].doc_id, docs[n].fingerprint, exact[i], noisy[i], texts[n]) for i, n in enumerate(texts)}

        return self._features.get_many(nums, fetch)

    def _matches(self, probe: _Probe, judge: _Judge, own: int | None) -> list[Match]:
        """The candidates `probe` relates to, verified in one batch (the probe is pair side a)."""
        nums = self._candidates(probe, own)
        docs = self._load(nums)
        nums = [n for n in nums if n in docs]  # the others were removed since they were found
        if not nums:
            return []
        paras = [probe.features.para_hashes, *(d[2].para_hashes for d in docs.values())]
        boiler = bp.as_array(judge.boilerplate(h for p in paras for h in p.tolist()))
        s, k = self.settings, self.settings.shingle_size
        features = [probe.features, *(docs[n][2] for n in nums)]  # slot 0: the probe, slot i: nums[i - 1]
        drops = [bp.drop_mask(f, boiler) for f in features]
        texts = [probe.text, *(docs[n][4] for n in nums)]
        bodies = [shingles(f, k, drop) for f, drop in zip(features[1:], drops[1:])]

        def passages(p: np.ndarray) -> np.ndarray:
            """Passage words of the probe and candidates p (its texts, boilerplate as known now left out)."""
            seqs = Sequences.concat([sequences_many(features[i].as_batch(), k, drops[i]) for i in [0, *(p + 1)]])
            pair = np.zeros(p.shape[0], np.int64), np.arange(1, p.shape[0] + 1)
            chosen = [texts[i] for i in [0, *(p + 1)]]  # one sentence is no passage: their texts tell
            return sentence_passages(passage_words_many(seqs, *pair, k), chosen.__getitem__, *pair, s,
                                     lambda batch: bp.drop_mask(batch, boiler))

        def covered(p: np.ndarray) -> np.ndarray:
            """The share of its text the probe or candidate p finds in the other, in words."""
            seqs = Sequences.concat([sequences_many(features[i].as_batch(), k, drops[i]) for i in [0, *(p + 1)]])
            return covered_share_many(seqs, np.zeros(p.shape[0], np.int64), np.arange(1, p.shape[0] + 1), k)

        same = np.array([docs[n][1] == probe.features.fingerprint for n in nums])
        rels = relate_many(SetBatch.of([probe.shingles, *bodies]), np.zeros(len(nums), np.int64),
                           np.arange(1, len(nums) + 1), same, s, passages, covered)
        if not rels.clustering.all():  # what the exact view falls short on, the noisy view decides
            noisy_bodies = [shingles(docs[n][3], s.noisy_shingle_size, drop) for n, drop in zip(nums, drops[1:])]

            def aligned(p: np.ndarray) -> np.ndarray:
                """`verify.aligned_share` of the probe and candidates p, boilerplate as known now left out."""
                mine = body_words(texts[0], drops[0])
                return np.array([aligned_share(mine, body_words(texts[i + 1], drops[i + 1]), s) for i in p.tolist()])

            rels = noisy_copies(rels, SetBatch.of([probe.noisy, *noisy_bodies]), np.zeros(len(nums), np.int64),
                                np.arange(1, len(nums) + 1), s, aligned)
        found = [Match(docs[n][0], rel.relation, rel.jaccard, rel.containment_a_in_b, rel.containment_b_in_a,
                       rel.passage_words, rel.match_view)
                 for i, n in enumerate(nums) if (rel := rels[i]) is not None]
        found.sort(key=lambda m: (_RANK.get(m.relation, 9), -m.jaccard, m.doc_id))
        return found


# ---------------------------------------------------------------------- helpers


def _open_store(target: str | os.PathLike[str]) -> Store:
    text = os.fspath(target)
    if not text.strip():
        raise BackendError("no index given: pass a file path, ':memory:' or redis://host:port/db")
    if text == ":memory:":
        from ._store_memory import MemoryStore

        return MemoryStore()
    if text.startswith(("redis://", "rediss://", "unix://")):
        from ._store_redis import RedisStore

        return RedisStore(text)
    if "://" in text:
        raise BackendError(f"{text}: unknown index URL scheme (use a file path, ':memory:' or redis://host:port/db)")
    from ._store_sqlite import SQLiteStore

    return SQLiteStore(text)


def _version() -> str:
    from . import __version__

    return __version__


def _caps(settings: Settings) -> Caps:
    """How many articles the index keeps per key: a bucket's worth of duplicates, band and anchor
    holders (one more than `AnchorRule.max_hub_df`, to tell a common phrase), and the boilerplate sample."""
    cap = settings.max_bucket_pairs
    return Caps(duplicate=cap, bucket=cap, anchor=AnchorRule.of(settings).max_hub_df + 1, sample=settings.boilerplate_sample)


def _header(settings: Settings) -> dict[str, object]:
    bands, rows = lsh_params(settings.lsh_threshold, settings.num_perm)
    return {"format": FORMAT_VERSION, "syndup_version": _version(), "fingerprint": settings.fingerprint(),
            "lsh": [bands, rows], "noisy_lsh": list(lsh_params(settings.noisy_lsh_threshold, settings.num_perm)),
            "settings": dataclasses.asdict(settings)}


def _read_header(store: Store) -> dict[str, object] | None:
    """The header an index was built with, checked for shape; None for a new, empty index.

    A header that is missing while articles remain, or that is not what `_header` writes (for this
    format), is a damaged index: refused (IndexSettingsError), never replaced by a new header.
    """
    try:
        header: object = store.read_header()
    except json.JSONDecodeError as exc:
        raise _damaged(store.location, f"not JSON: {exc}") from exc
    if header is None:
        held = store.count()
        if held:
            raise _damaged(store.location, f"gone, while the index holds {held} articles")
        return None
    if not isinstance(header, dict):
        raise _damaged(store.location, f"a JSON {type(header).__name__}, not an object")
    if not isinstance(header.get("format"), int):
        raise _damaged(store.location, "no format version")
    if header["format"] != FORMAT_VERSION:  # another layout: `_resolve_settings` says which syndup reads it
        return header
    shape = {"syndup_version": str, "fingerprint": dict, "lsh": list, "settings": dict}
    wrong = sorted(key for key, kind in shape.items() if not isinstance(header.get(key), kind))
    if wrong:
        raise _damaged(store.location, f"{', '.join(wrong)} missing or of the wrong type")
    return header


def _damaged(location: str, what: str) -> IndexSettingsError:
    return IndexSettingsError(f"{location}: damaged index header ({what}); it was left as it is. Restore it "
                              f"from a backup, or build a new index: syndup index add NEW_INDEX CORPUS...")


def _describe(values: Mapping[str, object], keys: Iterable[str]) -> str:
    return ", ".join(f"{k}={values.get(k)!r}" for k in keys)


def _resolve_settings(header: dict[str, object], settings: Settings | None, location: str) -> Settings:
    """The settings to use with an index that has this header, or IndexSettingsError."""
    fmt = header.get("format")
    built_by = f"syndup {header.get('syndup_version', '?')}"
    if not isinstance(fmt, int) or fmt > FORMAT_VERSION:
        raise IndexSettingsError(
            f"{location} was written by {built_by} in index format {fmt}; this syndup {_version()} reads "
            f"format {FORMAT_VERSION}. Upgrade syndup (pip install -U syndup) to open it.")
    if fmt < FORMAT_VERSION:
        raise IndexSettingsError(
            f"{location} is in index format {fmt} (written by {built_by}); this syndup reads format "
            f"{FORMAT_VERSION}. Build a new index: syndup index add NEW_INDEX CORPUS...")
    stored: dict[str, object] = header["settings"]  # type: ignore[assignment]
    names = {f.name for f in dataclasses.fields(Settings)}
    try:
        built = Settings(**{k: v for k, v in stored.items() if k in names})  # type: ignore[arg-type]
    except (SettingsError, TypeError) as exc:
        raise _damaged(location, f"settings: {exc}") from exc
    wanted = settings or built
    built_fp = dict(header.get("fingerprint") or {})  # type: ignore[call-overload]
    built_fp["lsh"] = header.get("lsh")
    built_fp["noisy_lsh"] = header.get("noisy_lsh")
    wanted_fp: dict[str, object] = dict(wanted.fingerprint())
    wanted_fp["lsh"] = list(lsh_params(wanted.lsh_threshold, wanted.num_perm))
    wanted_fp["noisy_lsh"] = list(lsh_params(wanted.noisy_lsh_threshold, wanted.num_perm))
    differ = sorted(k for k in set(built_fp) | set(wanted_fp) if built_fp.get(k) != wanted_fp.get(k))
    if differ:
        fix = ("Open it without settings to use the ones it was built with, or build a new index "
               "with these settings." if settings is not None else
               f"This syndup {_version()} hashes text differently: build a new index.")
        raise IndexSettingsError(
            f"{location} was built with {_describe(built_fp, differ)} ({built_by}); "
            f"{'the settings given have' if settings is not None else 'this syndup uses'} "
            f"{_describe(wanted_fp, differ)}. {fix}")
    return wanted


def _check_id(doc_id: object) -> str:
    if not isinstance(doc_id, str):
        raise TypeError(f"doc_id must be a str, got {type(doc_id).__name__} {doc_id!r}")
    if not doc_id:
        raise InputError("doc_id must not be empty")
    return doc_id


def _analyze(text: object, what: str) -> tuple[Features, Features]:
    """A text's exact and noisy views (`shingle.analyze_views`)."""
    if not isinstance(text, str):
        raise TypeError(f"{what}: text must be a str, got {type(text).__name__}")
    exact, noisy = analyze_views([text])
    features = exact[0]
    if features.n_words == 0:
        raise InputError(f"{what} has no words")
    return features, noisy[0]


def _meta(meta: Mapping[str, object]) -> dict[str, str]:
    """Metadata keyword arguments as stored: known fields only, values as strings, None left out."""
    out = {}
    for key, value in meta.items():
        if key not in META_FIELDS:
            raise TypeError(f"unknown metadata field {key!r}; the index keeps {', '.join(META_FIELDS)}")
        if value is None:
            continue
        isoformat = getattr(value, "isoformat", None)
        out[key] = str(isoformat()) if callable(isoformat) else str(value)
    return out


def _site(fields: Mapping[str, str]) -> str | None:
    return fields.get("site") or host_of(fields.get("url"))


def _article_meta(article: Article) -> dict[str, object]:
    return {k: getattr(article, k) for k in META_FIELDS}
