"""Settings that decide what syndup calls a copy, and the fingerprint that makes indexes comparable."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from .errors import SettingsError

#: A fixed text the hash scheme is derived from: quotes, dashes, accents, digits, several scripts.
_SCHEME_TEXT = ("\u201cThe Mayor\u2019s office\u201d \u2014 said Ren\u00e9e O'Neil, 42, in S\u00e3o Paulo...\n\n"
                "\u0395\u03bb\u03bb\u03ac\u03b4\u03b1 \u4e2d\u6587 \u0440\u0443\u0441\u0441\u043a\u0438\u0439 "
                "naïve café co-operate U.S. e-mail 3.14 \"quoted words here\" end.\n\n"
                "\u0630\u064e\u0647\u064e\u0628\u064e \u0625\u0644\u0649 \u0627\u0644\u0645\u062f\u0631\u0633\u0629 "
                "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd \u0401\u043b\u043a\u0430 D\u0130YARBAKIR "
                "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 \u3072\u3089\u304c\u306a \u0663\u200d.")


@lru_cache(maxsize=1)
def hash_scheme() -> str:
    """What makes two indexes' stored hashes comparable, derived from the code that computes them:
    tokens, word and shingle hashes, MinHash and LSH band keys, run on a fixed text. A change to
    any of them changes it, so an index built before is refused rather than silently misread."""
    import numpy as np

    from .candidates import band_keys
    from .shingle import MAX_SHINGLE, analyze, analyze_noisy_many, shingles
    from .sign import signature

    features = analyze(_SCHEME_TEXT)
    digest = hashlib.sha256(features.fingerprint + features.para_hashes.tobytes())
    digest.update(analyze_noisy_many([_SCHEME_TEXT + " gov-\nernment rn cl 1905"]).word_hashes.tobytes())
    for k in range(1, MAX_SHINGLE + 1):
        body = shingles(features, k)
        sig = signature(body.hashes, 32, 1)
        digest.update(body.hashes.tobytes() + body.unquoted.tobytes() + sig.tobytes())
        digest.update(band_keys(np.asarray(sig)[None, :], 4, 8).tobytes())
    return f"syndup-{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class Settings:
    """Every threshold and sketch parameter in one frozen object.

    The first group (shingle_size, num_perm, seed, `hash_scheme()`) decides whether two signatures can
    be compared at all; it is the `fingerprint` stored with every persistent index.
    """

    shingle_size: int = 5
    num_perm: int = 128
    seed: int = 1
    #: LSH is tuned to catch pairs down to this Jaccard on body shingles (syndicated copies are ~0.3-0.5).
    lsh_threshold: float = 0.2
    #: one shingle in `anchor_modulus` (by hash) is an anchor, used to find partial reuse.
    anchor_modulus: int = 8
    #: a pair is a copy when this share of the smaller text is found in the other.
    copy_containment: float = 0.5
    #: and they share at least this many shingles.
    copy_min_shared: int = 10
    #: a pair is partial when the longest passage they share (outside quotations, tables and
    #: boilerplate, small edits allowed) has this many words: a paragraph; a shared sentence,
    #: quotation or table is not reuse.
    partial_min_words: int = 40
    #: a pair's passage is measured only when they share this many shingles not quoted in both.
    partial_min_shared: int = 25
    #: a passage found in this many different stories is boilerplate (2 articles suffice on one site).
    boilerplate_min_stories: int = 4
    #: how many articles containing a frequent passage are sampled to judge it.
    boilerplate_sample: int = 20
    #: LSH buckets bigger than this are linked as a star, not all pairs; anchors held by more
    #: articles are common phrases, ignored.
    max_bucket_pairs: int = 32
    #: an anchor held by more articles than this is a recurring sentence (passim's maxDF): it pairs
    #: its holders only with its hub, as a third of the evidence (`candidates.AnchorRule`), so that a
    #: corpus whose sentences recur stays linear. 8 sits above the usual family a quoted passage is
    #: held by (an origin, up to 5 copies, the quoting page, one to spare): the lowest cap that keeps
    #: `benchmarks/quality.py`'s partial recall (0.98; 0.92 with 6, 0.70 with 4).
    anchor_max_df: int = 8
    #: a pair is a candidate shared passage when it shares this many anchors (one shingle in
    #: `anchor_modulus`: a 40-word passage holds ~4.5, and 2 of them with 95% chance).
    anchor_min_shared: int = 2
    #: the noisy view (OCR'd, lightly reworded text): shingles of this many de-hyphenated words
    #: with OCR's confusable letters folded (`normalize.noisy_token_bytes`).
    noisy_shingle_size: int = 2
    #: LSH on the noisy view is tuned to catch pairs down to this Jaccard (a copy with 10% of its
    #: words damaged or 20% of its content words swapped keeps 0.5-0.7 of its word pairs; any two
    #: articles share common word pairs, ~0.1, which a lower threshold would make candidates).
    noisy_lsh_threshold: float = 0.4
    #: the noisy view's signatures are MinHash of one word pair in `noisy_sample` (by hash, so the
    #: same pairs in every article): the Jaccard of the samples estimates the sets', at a quarter
    #: of the cost. Verification counts every word pair.
    noisy_sample: int = 4
    #: a window of a text is found in another when their alignment scores this much (rapidfuzz's
    #: normalized Indel similarity, 0-1): a noisy copy's windows score 0.85-1, unrelated text ~0.5.
    align_min_ratio: float = 0.75
    #: a pair the exact shingles fall short on is a copy by the noisy view when this share of the
    #: smaller text's windows aligns with the other: more than `copy_containment`, because fuzzy
    #: windows also match by chance (articles of one source that readers call different, or a
    #: blog quoting two paragraphs, align at up to 0.64; OCR'd and reworded copies at 0.77 or more).
    noisy_min_aligned: float = 0.7

    def __post_init__(self) -> None:
        """Refuse a field the code cannot work with, naming it, rather than failing deep in a scan."""
        from .shingle import MAX_SHINGLE  # one multiplier per shingle position

        _whole(self, "shingle_size", 1, MAX_SHINGLE)
        _whole(self, "num_perm", 1)
        _whole(self, "seed", 0, 2**32 - 1)  # numpy's RandomState draws the permutations from it
        _share(self, "lsh_threshold")
        _whole(self, "anchor_modulus", 1)
        _share(self, "copy_containment")
        _whole(self, "copy_min_shared", 1)
        _whole(self, "partial_min_words", 1)
        _whole(self, "partial_min_shared", 1)
        _whole(self, "boilerplate_min_stories", 1)
        _whole(self, "boilerplate_sample", 1)
        _whole(self, "max_bucket_pairs", 1)
        _whole(self, "anchor_max_df", 2)
        _whole(self, "anchor_min_shared", 1)
        _whole(self, "noisy_shingle_size", 1, MAX_SHINGLE)
        _share(self, "noisy_lsh_threshold")
        _whole(self, "noisy_sample", 1)
        _share(self, "align_min_ratio")
        _share(self, "noisy_min_aligned")

    def fingerprint(self) -> dict[str, object]:
        """The settings that make signatures comparable, as a JSON-able dict."""
        return {
            "shingle_size": self.shingle_size,
            "num_perm": self.num_perm,
            "seed": self.seed,
            "hash_scheme": hash_scheme(),
            "anchor_modulus": self.anchor_modulus,
            "noisy_shingle_size": self.noisy_shingle_size,
            "noisy_sample": self.noisy_sample,
        }

    def fingerprint_digest(self) -> str:
        """A short, stable digest of `fingerprint()`."""
        raw = json.dumps(self.fingerprint(), sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:16]

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _whole(settings: Settings, name: str, low: int, high: int | None = None) -> None:
    """Raise SettingsError unless the field is an int (not a bool) from `low` to `high`."""
    value = getattr(settings, name)
    if type(value) is not int or value < low or (high is not None and value > high):
        _refuse(name, f"an int >= {low}" if high is None else f"an int from {low} to {high}", value)


def _share(settings: Settings, name: str) -> None:
    """Raise SettingsError unless the field is a number in (0, 1]."""
    value = getattr(settings, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        _refuse(name, "a number in (0, 1]", value)


def _refuse(name: str, expected: str, value: object) -> None:
    raise SettingsError(f"Settings.{name} must be {expected}, got {value!r} ({type(value).__name__})")


DEFAULT_SETTINGS = Settings()
