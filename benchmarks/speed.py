"""Speed and memory of `syndup scan` against the MinHash pipelines researchers would otherwise use.

    python benchmarks/speed.py                         # 10k and 100k for all, 1M for syndup
    python benchmarks/speed.py --sizes 10000 --runs 3 --million 0 --scenario 0   # quick
    python benchmarks/speed.py --sizes '' --million 0 --scenario 0 --recurring 5000,20000
    python benchmarks/speed.py --sizes 100000 --big-runs 3 --million 0 --scenario 0 --compare /work/main  # A/B

Every pipeline goes read -> shingle -> MinHash -> LSH -> verified clusters over the same JSONL
corpus, each run in its own fresh process (timed from the first line read to the clusters, with
the libraries already imported), `--runs` times; the table shows the median time and the largest
peak RSS (`resource.getrusage` of the process, and of its largest child for syndup: a pool
worker, or a process forked for the tail, which shares the main process's pages copy-on-write,
so that its RSS counts pages the main process's RSS counts already), and the CPU time (user and
system, of the process and its children) each took, which a busy machine changes less than the time:

- datasketch naive: per article `MinHash(num_perm=128).update_batch(shingles)`, then
  `MinHashLSH.query` and `insert`;
- datasketch fast: `MinHash.bulk`, `LeanMinHash`, `MinHashLSH.insertion_session`, then queries;
- rensa: `RMinHash.from_token_sets` in batches, `RMinHashLSH.insert_many`, `query_all`;
- floor: read, normalise and hash every shingle (syndup's own tokenizer and shingle hashing, one
  process), no MinHash, no LSH, no clusters;
- syndup: `syndup.scan(corpus, jobs=J)`.

All use 5-word shingles, num_perm=128 and LSH tuned for Jaccard 0.2 (datasketch picks 28 bands of
2 rows; rensa needs bands dividing 128: 64 bands of 2 rows). The peers' normalisation is
`str.lower` and `\\w+` words. Their candidate pairs are verified the usual way, by the estimated
Jaccard of the two sketches >= 0.2, and clusters are connected components. syndup verifies with
exact shingle sets (containment for copies). Precision and recall are pairwise over clusters:
a pair of articles in one output cluster is right if both come from one planted story.

The corpus (seeded): news-length articles (500-800 words) written by a word-bigram model of the
BBC News corpus when ../shared/data/bbc-news is present (no text is copied anywhere), else of a
synthetic vocabulary; about 10% of the articles are syndicated copies of another, with realistic
edits (trimmed ends, dropped and moved paragraphs, substituted sentences, new headline, editor's
notes, curly quotes), and every article carries its site's boilerplate. The 1M run generates
articles on the fly and streams them into syndup (generation time is reported and left out).

`--recurring` adds a corpus of no copies at all, whose articles are assembled from a shared pool of
sentences (real BBC sentences, then the text model's), each sentence in 5-20 articles, never two of
one source article in a row (`Recurring`): as real corpora repeat single sentences ("The company
did not respond to a request for comment."). For syndup it also prints the candidate pairs and
the pairs reported: two shared sentences are not a shared passage, so both should stay few and
grow linearly with the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from machine import machine_line

HERE = Path(__file__).resolve().parent
DEFAULT_BBC = HERE.parent.parent / "shared" / "data" / "bbc-news"
NUM_PERM = 128
SHINGLE = 5
THRESHOLD = 0.2
CHUNK = 512


# -- a text model: word bigrams of a real corpus, or of a synthetic vocabulary ------------------

_TOKEN = re.compile(r"[A-Za-z0-9£$%]+(?:'[A-Za-z]+)?|[.,;:!?]")
_ENDS = (".", "!", "?")


class TextModel:
    """Word-bigram chain: successors of every token, stored flat (frequency = multiplicity)."""

    def __init__(self, vocab: list[str], stream: np.ndarray) -> None:
        self.vocab = np.array(vocab, dtype=object)
        # joined with "": words bring their own leading space, punctuation sticks to the word before
        self.spaced = np.array([v if v in ".,;:!?" else " " + v for v in vocab], dtype=object)
        cur, nxt = stream[:-1], stream[1:]
        order = np.argsort(cur, kind="stable")
        self.succ = nxt[order].astype(np.int32)
        counts = np.bincount(cur, minlength=len(vocab))
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.counts = counts
        ends = np.array([v in _ENDS for v in vocab])
        self.is_end = ends
        starts = nxt[ends[cur] & (counts[nxt] > 0)]
        self.starts = starts if starts.shape[0] else np.flatnonzero(counts)

    @classmethod
    def from_folder(cls, folder: Path) -> TextModel:
        index: dict[str, int] = {}
        ids: list[int] = []
        for path in sorted(folder.rglob("*.txt")):
            text = path.read_text(encoding="utf-8", errors="replace")
            for line in text.splitlines()[1:]:  # leave the headline out
                for tok in _TOKEN.findall(line):
                    ids.append(index.setdefault(tok, len(index)))
        return cls(list(index), np.array(ids, dtype=np.int64))

    @classmethod
    def synthetic(cls, seed: int) -> TextModel:
        rng = np.random.default_rng(seed)
        syll = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "an", "el", "or", "ut", "ba", "de",
                "fi", "go", "hu", "ja", "ke"]
        vocab = sorted({"".join(rng.choice(syll, size=rng.integers(1, 5))) for _ in range(40000)})
        vocab += [".", ","]
        n = len(vocab) - 2
        zipf = 1.0 / np.arange(1, n + 1) ** 1.05
        zipf /= zipf.sum()
        words = rng.choice(n, size=2_000_000, p=zipf)
        # sentences of 8-30 words, with commas
        stream = []
        pos = 0
        while pos < words.shape[0] - 40:
            length = int(rng.integers(8, 31))
            sent = words[pos:pos + length].tolist()
            pos += length
            if length > 14:
                sent.insert(int(rng.integers(4, length - 4)), n + 1)
            stream.extend(sent + [n])
        return cls(vocab, np.array(stream, dtype=np.int64))

    def sentences(self, rng: np.random.Generator, n_docs: int, n_tokens: np.ndarray) -> list[np.ndarray]:
        """For each doc, a run of about n_tokens tokens starting at a sentence start."""
        steps = int(n_tokens.max())
        out = np.empty((n_docs, steps), dtype=np.int32)
        state = self.starts[rng.integers(0, self.starts.shape[0], n_docs)]
        for t in range(steps):
            out[:, t] = state
            cnt = self.counts[state]
            dead = cnt == 0
            pick = self.offsets[state] + (rng.random(n_docs) * np.maximum(cnt, 1)).astype(np.int64)
            nxt = self.succ[np.minimum(pick, self.succ.shape[0] - 1)]
            if dead.any():
                nxt[dead] = self.starts[rng.integers(0, self.starts.shape[0], int(dead.sum()))]
            state = nxt
        rows = []
        for i in range(n_docs):
            row = out[i, :int(n_tokens[i])]
            ends = np.flatnonzero(self.is_end[row])
            rows.append(row[:ends[-1] + 1] if ends.shape[0] else row)
        return rows

    def render(self, ids: np.ndarray) -> list[str]:
        """Sentences as strings."""
        words = self.spaced[ids].tolist()
        bounds = [0] + (np.flatnonzero(self.is_end[ids]) + 1).tolist()
        if bounds[-1] != len(words):
            bounds.append(len(words))
        return ["".join(words[a:b]).lstrip(" ,;:") for a, b in zip(bounds, bounds[1:])]


# -- the corpus: originals, syndicated copies, site boilerplate ---------------------------------

class Corpus:
    """Generates articles in batches; `truth[doc_id]` is the story a doc belongs to."""

    def __init__(self, model: TextModel, n: int, seed: int, copy_share: float = 0.10) -> None:
        self.model, self.n, self.seed = model, n, seed
        self.rng = np.random.default_rng(seed)
        self.copy_share = copy_share
        n_sites = max(20, n // 250)
        self.sites = [f"site{i:04d}.example" for i in range(n_sites)]
        self.footers = [self._footer(s) for s in self.sites]

    def _footer(self, site: str) -> list[str]:
        rng = self.rng
        body = self.model.render(self.model.sentences(rng, 1, np.array([int(rng.integers(25, 45))]))[0])
        return [(" ".join(body)), f"Share this article. Follow {site} for more news. Copyright {site}."]

    def _paragraphs(self, sentences: list[str]) -> list[str]:
        """1-3 sentences a paragraph; about one sentence in seven is a quotation."""
        quoted = self.rng.random(len(sentences)) < 0.15
        sentences = [f'"{s}"' if q else s for s, q in zip(sentences, quoted.tolist())]
        sizes = self.rng.integers(1, 4, len(sentences)).tolist()
        paras, i, k = [], 0, 0
        while i < len(sentences):
            paras.append(" ".join(sentences[i:i + sizes[k]]))
            i += sizes[k]
            k += 1
        return paras

    def _originals(self, count: int) -> list[tuple[str, list[str]]]:
        rng = self.rng
        words = rng.integers(500, 801, count)
        runs = self.model.sentences(rng, count, (words * 1.12).astype(np.int64))
        heads = self.model.sentences(rng, count, rng.integers(8, 14, count))
        out = []
        for run, head in zip(runs, heads):
            title = (" ".join(self.model.render(head))).rstrip(".!? ")
            out.append((title, self._paragraphs(self.model.render(run))))
        return out

    def _copy(self, title: str, paras: list[str]) -> tuple[str, list[str]]:
        rng = self.rng
        paras = list(paras)
        if rng.random() < 0.5:
            title = (" ".join(self.model.render(self.model.sentences(rng, 1, np.array([10]))[0]))).rstrip(".!? ")
        if rng.random() < 0.15 and len(paras) > 6:  # an excerpt: the first half or so
            paras = paras[:int(len(paras) * rng.uniform(0.4, 0.65))]
        if rng.random() < 0.4 and len(paras) > 4:
            paras = paras[:-int(rng.integers(1, 4))]
        if rng.random() < 0.2 and len(paras) > 4:
            paras = paras[1:]
        if rng.random() < 0.3 and len(paras) > 4:
            del paras[int(rng.integers(1, len(paras) - 1))]
        if rng.random() < 0.2 and len(paras) > 4:
            p = paras.pop(int(rng.integers(0, len(paras))))
            paras.insert(int(rng.integers(0, len(paras))), p)
        if rng.random() < 0.5:
            for _ in range(int(rng.integers(1, 4))):
                j = int(rng.integers(0, len(paras)))
                new = (" ".join(self.model.render(self.model.sentences(rng, 1, np.array([20]))[0])))
                sents = re.split(r"(?<=[.!?]) ", paras[j])
                sents[int(rng.integers(0, len(sents)))] = new
                paras[j] = " ".join(sents)
        if rng.random() < 0.3:
            paras.insert(0, "Editor's note: this article was first published by a partner site "
                            "and is republished here with permission.")
        if rng.random() < 0.2:
            paras = [p.replace('"', "\u201c").replace("'", "\u2019") for p in paras]
        return title, paras

    def batches(self, size: int = 5000) -> Iterator[list[dict[str, Any]]]:
        """Batches of records (id, text, site, story), shuffled within a batch."""
        rng = self.rng
        made, story = 0, 0
        while made < self.n:
            count = min(size, self.n - made)
            n_copies = int(round(count * self.copy_share))
            # copies per story: 1 (60%), 2 (25%), 3 to 5 (15%)
            per_story = []
            while sum(per_story) < n_copies:
                r = rng.random()
                per_story.append(1 if r < 0.6 else 2 if r < 0.85 else int(rng.integers(3, 6)))
            per_story[-1] -= sum(per_story) - n_copies
            per_story = [c for c in per_story if c > 0]
            originals = self._originals(count - n_copies)
            records = []
            for i, (title, paras) in enumerate(originals):
                records.append(self._record(f"a{made + i:07d}", title, paras, f"s{story}"))
                story += 1
            copied = rng.choice(len(originals), size=len(per_story), replace=False)
            for o, k in zip(copied.tolist(), per_story):
                title, paras = originals[o]
                for c in range(k):
                    ctitle, cparas = self._copy(title, paras)
                    records.append(self._record(f"c{made + o:07d}-{c}", ctitle, cparas,
                                                records[o]["story"]))
            order = rng.permutation(len(records))
            yield [records[i] for i in order.tolist()]
            made += count

    def _record(self, doc_id: str, title: str, paras: list[str], story: str) -> dict[str, Any]:
        s = int(self.rng.integers(0, len(self.sites)))
        text = "\n\n".join([title] + paras + self.footers[s])
        return {"id": doc_id, "text": text, "site": self.sites[s], "story": story}


# -- the recurring-sentence corpus: no copies, every sentence in 5-20 articles --------------------

# A sentence ends at ".", "!" or "?", or at one of them and a closing quote ('vital." Many'): the
# quotation marks are taken out below, and a cut missed there would leave two sentences in one.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"])|(?<=[.!?][\"'])\s+(?=[A-Z\"'])")


def real_sentences(folder: Path) -> tuple[list[str], np.ndarray]:
    """The distinct sentences of 8-50 words of the BBC texts (headlines left out), and each one's
    source file number."""
    seen: dict[str, int] = {}
    for number, path in enumerate(sorted(folder.rglob("*.txt"))):
        text = path.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines()[1:]:
            for sentence in _SENTENCE_END.split(line.strip()):
                if 8 <= len(sentence.split()) <= 50:  # quotation marks left out: a cut can split a quote
                    seen.setdefault(sentence.replace('"', ""), number)
    return list(seen), np.array(list(seen.values()), dtype=np.int64)


class Recurring:
    """Articles assembled from a shared pool of sentences, each sentence in 5-20 articles at random
    places, never next to a sentence of the same source article, and nothing else shared: no copies,
    so every pair in a cluster is wrong and every `partial` pair is two articles sharing scattered
    sentences. 2-4 sentences a paragraph, so that no paragraph recurs (boilerplate would take it).
    Real BBC sentences first (when the folder is there), then the text model's own sentences once
    they run out: the pool grows with the corpus, so each sentence keeps recurring 5-20 times at
    any size. Each article is about 500-800 words, under its own headline, with its site's
    boilerplate."""

    def __init__(self, model: TextModel, n: int, seed: int, real: tuple[list[str], np.ndarray] | None) -> None:
        self.corpus = Corpus(model, n, seed)
        rng = self.corpus.rng
        slots = rng.integers(24, 37, n)  # sentences per article: about 500-800 words
        total = int(slots.sum())
        reuse = rng.integers(5, 21, total // 5 + 1)
        used = int(np.searchsorted(np.cumsum(reuse), total)) + 1
        reuse = reuse[:used]
        reuse[-1] -= int(reuse.sum()) - total
        texts, source = real if real is not None else ([], np.zeros(0, np.int64))
        pick = rng.permutation(len(texts))[:used]
        self.pool = [texts[i] for i in pick.tolist()]
        self.source = np.concatenate([source[pick], -1 - np.arange(used - len(self.pool))])
        more = used - len(self.pool)
        if more:
            self.pool += [" ".join(model.render(s)) for s in model.sentences(rng, more, rng.integers(12, 30, more))]
        place = rng.permutation(np.repeat(np.arange(used), reuse))
        article = np.repeat(np.arange(n), slots)
        for _ in range(100):  # move a sentence that follows one of the same source article elsewhere
            src = self.source[place]
            bad = np.flatnonzero((src[1:] == src[:-1]) & (article[1:] == article[:-1])) + 1
            if not bad.shape[0]:
                break
            other = rng.integers(0, total, bad.shape[0])
            place[bad], place[other] = place[other], place[bad].copy()
        self.place, self.bounds = place, np.concatenate([[0], np.cumsum(slots)])

    def records(self) -> Iterator[dict[str, Any]]:
        """The articles as records (id, text, site, story), every article its own story."""
        corpus, rng = self.corpus, self.corpus.rng
        n = self.bounds.shape[0] - 1
        heads = corpus.model.sentences(rng, n, rng.integers(8, 14, n))
        for i in range(n):
            sentences = [self.pool[j] for j in self.place[self.bounds[i]:self.bounds[i + 1]].tolist()]
            sizes = rng.integers(2, 5, len(sentences)).tolist()  # a paragraph never recurs: not boilerplate
            paras, at = [], 0
            for size in sizes:
                if at >= len(sentences):
                    break
                paras.append(" ".join(sentences[at:at + size]))
                at += size
            title = (" ".join(corpus.model.render(heads[i]))).rstrip(".!? ")
            yield corpus._record(f"r{i:07d}", title, paras, f"r{i}")


def text_model(bbc: Path | None, seed: int) -> tuple[TextModel, str]:
    if bbc is not None and bbc.is_dir():
        return TextModel.from_folder(bbc), f"word bigrams of {bbc.name} ({sum(1 for _ in bbc.rglob('*.txt'))} files)"
    return TextModel.synthetic(seed), "word bigrams of a synthetic Zipf vocabulary"


def write_corpus(path: Path, corpus: Corpus) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for batch in corpus.batches():
            for rec in batch:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


# -- scoring --------------------------------------------------------------------------------------

def pair_scores(stories: list[str], clusters: list[int]) -> tuple[float, float]:
    """Pairwise precision and recall of `clusters` against `stories` (both per doc)."""
    def pairs(counter: Counter) -> int:  # type: ignore[type-arg]
        return sum(c * (c - 1) // 2 for c in counter.values())

    true = pairs(Counter(stories))
    pred = pairs(Counter(clusters))
    both = pairs(Counter(zip(stories, clusters)))
    return (both / pred if pred else 1.0), (both / true if true else 1.0)


def components(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return [find(i) for i in range(n)]


# -- the pipelines (each runs in its own process) --------------------------------------------------

_WORD = re.compile(r"\w+")


def peer_shingles(text: str) -> set[str]:
    """The peers' normalisation: lower case, \\w+ words, 5-word shingles."""
    w = _WORD.findall(text.lower())
    if len(w) < SHINGLE:
        return {" ".join(w)} if w else set()
    return {" ".join(t) for t in zip(*(w[i:] for i in range(SHINGLE)))}


def read_jsonl(path: str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def run_datasketch_naive(path: str, jobs: int) -> tuple[list[str], list[int]]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    stories: list[str] = []
    sketches = []
    pairs = []
    for i, rec in enumerate(read_jsonl(path)):
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch([s.encode("utf-8") for s in peer_shingles(rec["text"])])
        for j in lsh.query(m):
            if m.jaccard(sketches[j]) >= THRESHOLD:
                pairs.append((j, i))
        lsh.insert(i, m)
        sketches.append(m)
        stories.append(rec["story"])
    return stories, components(len(stories), pairs)


def run_datasketch_fast(path: str, jobs: int) -> tuple[list[str], list[int]]:
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    stories: list[str] = []
    sketches: list[Any] = []
    batch: list[list[bytes]] = []

    def flush() -> None:
        sketches.extend(LeanMinHash(m) for m in MinHash.bulk(batch, num_perm=NUM_PERM))
        batch.clear()

    for rec in read_jsonl(path):
        batch.append([s.encode("utf-8") for s in peer_shingles(rec["text"])])
        stories.append(rec["story"])
        if len(batch) == 1000:
            flush()
    flush()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, m in enumerate(sketches):
            session.insert(i, m)
    pairs = [(i, j) for i, m in enumerate(sketches) for j in lsh.query(m)
             if j > i and m.jaccard(sketches[j]) >= THRESHOLD]
    return stories, components(len(stories), pairs)


def run_rensa(path: str, jobs: int) -> tuple[list[str], list[int]]:
    from rensa import RMinHash, RMinHashLSH

    stories: list[str] = []
    sketches: list[Any] = []
    batch: list[list[str]] = []
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=64)

    def flush() -> None:
        made = RMinHash.from_token_sets(batch, num_perm=NUM_PERM, seed=1)
        lsh.insert_many(made, start_key=len(sketches))
        sketches.extend(made)
        batch.clear()

    for rec in read_jsonl(path):
        batch.append(list(peer_shingles(rec["text"])))
        stories.append(rec["story"])
        if len(batch) == 1000:
            flush()
    flush()
    found = lsh.query_all(sketches)
    pairs = [(i, j) for i, cands in enumerate(found) for j in cands
             if j > i and sketches[i].jaccard(sketches[j]) >= THRESHOLD]
    return stories, components(len(stories), pairs)


def run_floor(path: str, jobs: int) -> tuple[list[str], list[int]]:
    from syndup.shingle import analyze_many, shingle_hashes

    stories: list[str] = []
    texts: list[str] = []
    total = 0

    def flush() -> int:
        batch = analyze_many(texts)
        texts.clear()
        return int(shingle_hashes(batch.word_hashes, SHINGLE).shape[0])  # every shingle hashed

    for rec in read_jsonl(path):
        texts.append(rec["text"])
        stories.append(rec["story"])
        if len(texts) == CHUNK:
            total += flush()
    total += flush()
    return stories, []


PIPELINES: dict[str, Callable[[str, int], tuple[list[str], list[int]]]] = {
    "datasketch naive": run_datasketch_naive,
    "datasketch fast": run_datasketch_fast,
    "rensa": run_rensa,
    "floor": run_floor,
}


def _import_all() -> None:
    import datasketch  # noqa: F401
    import pandas  # noqa: F401
    import rensa  # noqa: F401

    import syndup  # noqa: F401
    from syndup import shingle, sign  # noqa: F401
    from syndup.stages import analyse  # noqa: F401


def _count_candidates(clock: dict[str, float]) -> None:
    """Make syndup's candidate stage record how many candidate pairs it found (in `clock`)."""
    from syndup.stages import candidates

    find = candidates.find

    def counted(*args: Any) -> Any:
        found = find(*args)
        clock["candidates"] = int(found.pairs.shape[0])
        return found

    candidates.find = counted  # type: ignore[assignment]


def _child(args: argparse.Namespace) -> None:
    _import_all()
    clock: dict[str, float] = {}
    _count_candidates(clock)
    if args.pipeline == "syndup-stream":
        stories_by_id: dict[str, str] = {}
        gen_seconds = [0.0]
        model, _ = text_model(Path(args.bbc) if args.bbc else None, args.seed)
        corpus = Corpus(model, args.n, args.seed)

        def stream() -> Iterator[dict[str, Any]]:
            it = corpus.batches()
            while True:
                t = time.perf_counter()
                batch = next(it, None)
                gen_seconds[0] += time.perf_counter() - t
                if batch is None:
                    return
                for rec in batch:
                    stories_by_id[rec["id"]] = rec.pop("story")
                    yield rec

        import syndup

        t0, cpu0 = time.perf_counter(), cpu_seconds()
        result = syndup.scan(stream(), jobs=args.jobs)
        seconds = time.perf_counter() - t0 - gen_seconds[0]
        cpu = cpu_seconds() - cpu0 - gen_seconds[0]  # generating is CPU work too (about)
        docs = result.documents
        stories, clusters = [stories_by_id[d] for d in docs["doc_id"]], docs["cluster_id"].tolist()
        clock["generation"] = gen_seconds[0]
    else:
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        if args.pipeline == "syndup":  # time the scan alone, not the scoring's re-read of stories
            import syndup

            result = syndup.scan(args.corpus, jobs=args.jobs)
            seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
            docs = result.documents
            story = {rec["id"]: rec["story"] for rec in read_jsonl(args.corpus)}
            stories, clusters = [story[d] for d in docs["doc_id"]], docs["cluster_id"].tolist()
            for relation, count in result.pairs["relation"].value_counts().items():
                clock[f"pairs_{relation}"] = int(count)
        else:
            stories, clusters = PIPELINES[args.pipeline](args.corpus, args.jobs)
            seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    precision, recall = pair_scores(stories, clusters) if clusters else (None, None)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "n": len(stories), "rss_mb": own, "worker_rss_mb": workers,
                      "precision": precision, "recall": recall, **clock}))


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its children that have ended: what a
    pipeline costs whatever else runs on the machine (wall time on a busy machine is mostly waiting)."""
    own, done = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + done.ru_utime + done.ru_stime


def measure(pipeline: str, corpus: str, n: int, jobs: int, runs: int, extra: list[str]) -> dict[str, Any]:
    results = [_run(pipeline, corpus, n, jobs, extra) for _ in range(runs)]
    return _row(results, os.getloadavg()[0])


def _run(pipeline: str, corpus: str, n: int, jobs: int, extra: list[str], checkout: str | None = None) -> dict[str, Any]:
    """One run in a fresh process; with `checkout`, the syndup of that checkout (PYTHONPATH) is timed."""
    cmd = [sys.executable, __file__, "_child", pipeline, "--corpus", corpus, "--n", str(n), "--jobs", str(jobs), *extra]
    env = None if checkout is None else {**os.environ, "PYTHONPATH": checkout}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def compare(corpus: str, n: int, jobs: int, runs: int, extra: list[str], checkout: str) -> None:
    """syndup of this checkout (A) against syndup of `checkout` (B), runs interleaved A, B, A, B, ...
    (the load of others on the machine hits both alike): both rows, and A's extra time as a share of A's."""
    load = os.getloadavg()[0]
    a: list[dict[str, Any]] = []
    b: list[dict[str, Any]] = []
    for _ in range(runs):
        a.append(_run("syndup", corpus, n, jobs, extra, str(Path(__file__).resolve().parent.parent)))
        b.append(_run("syndup", corpus, n, jobs, extra, checkout))
    ra, rb = _row(a, load), _row(b, load)
    print(fmt_row(f"syndup (jobs={jobs}) A", n, ra))
    print(fmt_row(f"syndup (jobs={jobs}) B", n, rb))
    print(f"A: this checkout, B: {checkout}; seconds per run A {ra['all_seconds']}, B {rb['all_seconds']}; "
          f"A's extra time: {(ra['seconds'] - rb['seconds']) / ra['seconds']:.1%} of A's scan time (medians); "
          f"candidates A {ra.get('candidates')}, B {rb.get('candidates')}")


def _row(results: list[dict[str, Any]], load: float) -> dict[str, Any]:
    runs = len(results)
    row = dict(results[0])
    row["seconds"] = statistics.median(r["seconds"] for r in results)
    row["cpu"] = statistics.median(r["cpu"] for r in results)
    row["rss_mb"] = max(r["rss_mb"] for r in results)
    row["worker_rss_mb"] = max(r["worker_rss_mb"] for r in results)
    row["runs"] = runs
    row["load"] = max(load, os.getloadavg()[0])
    row["all_seconds"] = [round(r["seconds"], 2) for r in results]
    return row


def versions() -> str:
    import datasketch
    import pandas
    import rensa

    rv = getattr(rensa, "__version__", None)
    if rv is None:
        from importlib.metadata import version

        rv = version("rensa")
    return (f"{machine_line()}; datasketch {datasketch.__version__}; rensa {rv}; numpy {np.__version__}; "
            f"pandas {pandas.__version__}")


def fmt_row(name: str, size: int, r: dict[str, Any]) -> str:
    p = "-" if r["precision"] is None else f"{r['precision']:.3f}"
    rc = "-" if r["recall"] is None else f"{r['recall']:.3f}"
    workers = f"{r['worker_rss_mb']:.0f}" if r["worker_rss_mb"] > 1 else "-"
    per = r["seconds"] / size * 1e6
    return (f"| {name:<22} | {size:>9,} | {r['seconds']:>8.2f} | {size / r['seconds']:>10,.0f} | {per:>7.0f} "
            f"| {r['cpu']:>7.2f} | {r['rss_mb']:>8.0f} | {workers:>7} | {p:>9} | {rc:>6} | {r['runs']:>4} "
            f"| {r['load']:>4.1f} |")


HEADER = ("| pipeline               |  articles |  seconds | articles/s |  us/art |   CPU s "
          "| RSS (MB) | workers | precision | recall | runs | load |\n"
          "|------------------------|----------:|---------:|-----------:|--------:|--------:"
          "|---------:|--------:|----------:|-------:|-----:|-----:|")


def scenario(model: TextModel, folder: Path, seed: int, jobs: int, runs: int, extra: list[str]) -> None:
    """One story with 5,000 copies vs 5,000 unrelated articles."""
    rng = np.random.default_rng(seed + 1)
    corpus = Corpus(model, 5000, seed + 1)
    unrelated = folder / "unrelated-5000.jsonl"
    with open(unrelated, "w", encoding="utf-8") as fh:
        for i, (title, paras) in enumerate(corpus._originals(5000)):
            fh.write(json.dumps(corpus._record(f"u{i:05d}", title, paras, f"u{i}")) + "\n")
    family = folder / "one-story-5000-copies.jsonl"
    title, paras = corpus._originals(1)[0]
    with open(family, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(corpus._record("origin", title, paras, "story")) + "\n")
        for i in range(5000):
            ct, cp = corpus._copy(title, paras)
            fh.write(json.dumps(corpus._record(f"copy{i:05d}", ct, cp, "story")) + "\n")
    del rng
    print(f"\nScenario: one story with 5,000 copies vs 5,000 unrelated articles (syndup, jobs={jobs})")
    print(HEADER)
    a = measure("syndup", str(unrelated), 5000, jobs, runs, extra)
    b = measure("syndup", str(family), 5001, jobs, runs, extra)
    print(fmt_row("5,000 unrelated", 5000, a))
    print(fmt_row("1 story + 5,000 copies", 5001, b))
    print(f"ratio (copies / unrelated): {b['seconds'] / a['seconds']:.2f}")


def recurring(model: TextModel, bbc: Path | None, folder: Path, sizes: list[int], args: argparse.Namespace,
              extra: list[str], skip: set[str]) -> None:
    """The recurring-sentence corpus (`Recurring`) at each size: every pipeline's row, and syndup's
    candidate and reported pairs (on this corpus, each of them is two articles sharing scattered
    sentences)."""
    real = real_sentences(bbc) if bbc is not None else None
    for size in sizes:
        path = folder / f"recurring-{size}.jsonl"
        t = time.perf_counter()
        corpus = Recurring(model, size, args.seed, real)
        with open(path, "w", encoding="utf-8") as fh:
            for rec in corpus.records():
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        print(f"\nRecurring sentences: {size:,} articles, no copies, from a pool of {len(corpus.pool):,} sentences "
              f"({min(len(corpus.pool), len(real[0]) if real else 0):,} real), each in 5-20 of them; generated "
              f"in {time.perf_counter() - t:.1f}s")
        print(HEADER)
        runs = args.runs if size < 100_000 else args.big_runs
        plan = [(name, 1) for name in PIPELINES if name != "floor"] + [("syndup", 1)]
        plan += [("syndup", args.jobs)] if args.jobs > 1 else []
        rows: dict[tuple[str, int], dict[str, Any]] = {}
        r = run_plan(plan, skip, str(path), size, runs, extra, rows)
        if "syndup" not in skip:  # r: syndup's row, the plan's last
            pairs = ", ".join(f"{r[k]:,} {k[6:]}" for k in sorted(r) if k.startswith("pairs_")) or "none"
            print(f"syndup: {r['candidates']:,} candidate pairs ({r['candidates'] / size:.2f} per article); "
                  f"reported pairs: {pairs}")
        ratios(rows, size, args.jobs)
        path.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", nargs="?", default="bench", choices=["bench", "_child"])
    ap.add_argument("pipeline", nargs="?")
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--million", type=int, default=1_000_000, help="syndup-only streamed size (0: skip)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big-runs", type=int, default=1, help="runs at sizes >= 100,000")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--bbc", default=str(DEFAULT_BBC), help="BBC News folder for the text model ('' for synthetic)")
    ap.add_argument("--scenario", type=int, default=1, help="run the 5,000-copies scenario (0: skip)")
    ap.add_argument("--skip", default="", help="comma-separated pipelines to leave out")
    ap.add_argument("--recurring", default="", help="sizes of the recurring-sentence corpus, e.g. 5000,20000 "
                    "(every sentence in 5-20 articles, no copies), run after the others")
    ap.add_argument("--compare", default="", help="a checkout of syndup (e.g. /work/main) to time against this "
                    "one at each size, runs interleaved (A/B), instead of the pipelines")
    ap.add_argument("--corpus")
    ap.add_argument("--n", type=int, default=0)
    args = ap.parse_args()
    if args.mode == "_child":
        _child(args)
        return
    bbc = Path(args.bbc) if args.bbc else None
    if bbc is not None and not bbc.is_dir():
        bbc = None
    extra = ["--seed", str(args.seed), "--bbc", str(bbc) if bbc else ""]
    print(versions())
    t = time.perf_counter()
    model, described = text_model(bbc, args.seed)
    print(f"corpus: {described}; seed {args.seed}; 500-800 words; 10% copies; model built in "
          f"{time.perf_counter() - t:.1f}s")
    print("others may use the machine's cores at the same time: seconds are medians of runs, 'load' "
          "the highest 1-minute load average seen around them (2.0 = both cores busy)\n")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="syndup-speed-") as tmp:
        folder = Path(tmp)
        for size in [int(s) for s in args.sizes.split(",") if s]:
            path = folder / f"corpus-{size}.jsonl"
            t = time.perf_counter()
            write_corpus(path, Corpus(model, size, args.seed))
            print(f"{size:,} articles generated in {time.perf_counter() - t:.1f}s "
                  f"({path.stat().st_size / 2**20:.0f} MB of JSONL)")
            runs = args.runs if size < 100_000 else args.big_runs
            print(HEADER)
            if args.compare:
                compare(str(path), size, args.jobs, runs, extra, args.compare)
                path.unlink()
                continue
            plan = [(name, 1) for name in PIPELINES]
            plan += [("syndup", 1)] + ([("syndup", args.jobs)] if args.jobs > 1 else [])
            run_plan(plan, skip, str(path), size, runs, extra, rows)
            ratios(rows, size, args.jobs)
            path.unlink()
        if args.million:
            print(HEADER)
            r = measure("syndup-stream", "", args.million, args.jobs, 1, extra)
            print(fmt_row(f"syndup (jobs={args.jobs}) stream", args.million, r))
            print(f"(generating the articles took a further {r['generation']:.0f}s, left out)")
        if args.scenario:
            scenario(model, folder, args.seed, args.jobs, args.runs, extra)
        if args.recurring:
            recurring(model, bbc, folder, [int(s) for s in args.recurring.split(",") if s], args, extra, skip)


def run_plan(plan: list[tuple[str, int]], skip: set[str], corpus: str, size: int, runs: int, extra: list[str],
             rows: dict[tuple[str, int], dict[str, Any]]) -> dict[str, Any]:
    """Time each (pipeline, jobs) of `plan` not in `skip` on `corpus`, print its row and keep it in
    `rows`; returns the last row timed."""
    r: dict[str, Any] = {}
    for name, jobs in plan:
        if name in skip:
            continue
        r = measure(name, corpus, size, jobs, runs, extra)
        label = f"syndup (jobs={jobs})" if name == "syndup" else name
        rows[(label, size)] = r
        print(fmt_row(label, size, r), flush=True)
    return r


def ratios(rows: dict[tuple[str, int], dict[str, Any]], size: int, jobs: int) -> None:
    mine = rows.get((f"syndup (jobs={jobs})", size)) or rows.get(("syndup (jobs=1)", size))
    one = rows.get(("syndup (jobs=1)", size))
    if not mine:
        return
    parts = []
    for peer in ("datasketch naive", "datasketch fast", "rensa"):
        if (peer, size) in rows:
            parts.append(f"{rows[(peer, size)]['seconds'] / mine['seconds']:.1f}x {peer}")
    if ("rensa", size) in rows:
        parts.append(f"in CPU time {rows[('rensa', size)]['cpu'] / mine['cpu']:.1f}x rensa")
    if one and one is not mine and ("rensa", size) in rows:  # the peers run in one process
        parts.append(f"jobs=1: {rows[('rensa', size)]['seconds'] / one['seconds']:.1f}x rensa")
    if ("floor", size) in rows:
        floor = rows[("floor", size)]["seconds"]
        parts.append(f"{mine['seconds'] / floor:.2f}x the floor's time")
        if one:
            parts.append(f"jobs=1: {one['seconds'] / floor:.2f}x the floor's time")
    print(f"syndup (jobs={jobs}) at {size:,}: " + ", ".join(parts) + "\n")


if __name__ == "__main__":
    main()
