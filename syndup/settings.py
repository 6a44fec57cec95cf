"""Settings that decide what syndup calls a copy, and the fingerprint that makes indexes comparable."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

#: Bumped whenever tokenizing, shingling or hashing changes what a signature means.
HASH_SCHEME = "syndup-tok1/siphash64/mix5-fmix32/datasketch-affine32"


@dataclass(frozen=True)
class Settings:
    """Every threshold and sketch parameter in one frozen object.

    The first group (shingle_size, num_perm, seed, hash scheme) decides whether two signatures can
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
    #: a pair is partial when they share this many shingles outside quotation marks (~a paragraph).
    partial_min_shared: int = 25
    #: a passage found in this many different stories is boilerplate (2 articles suffice on one site).
    boilerplate_min_stories: int = 4
    #: how many articles containing a frequent passage are sampled to judge it.
    boilerplate_sample: int = 20
    #: LSH buckets and anchor groups bigger than this are linked as a star, not all pairs.
    max_bucket_pairs: int = 32

    def fingerprint(self) -> dict[str, object]:
        """The settings that make signatures comparable, as a JSON-able dict."""
        return {
            "shingle_size": self.shingle_size,
            "num_perm": self.num_perm,
            "seed": self.seed,
            "hash_scheme": HASH_SCHEME,
            "anchor_modulus": self.anchor_modulus,
        }

    def fingerprint_digest(self) -> str:
        """A short, stable digest of `fingerprint()`."""
        raw = json.dumps(self.fingerprint(), sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:16]

    def replace(self, **changes: object) -> "Settings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


DEFAULT_SETTINGS = Settings()
