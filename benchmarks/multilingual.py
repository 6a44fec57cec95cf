"""Multilingual families for `quality.py`: copies in ten languages, built from the articles the
tests ship (tests/languages.py), all scanned in one corpus and scored per language.

Per language, two families:
- the story: its origin; a credited copy (credit line and disclaimer added); a plain copy (last
  paragraph dropped, no credit); a restyled copy with what republishers of that script change
  (Arabic harakat, tatweel and bare alef; Russian and Serbian е for ё and straight quotes; a
  Turkish lead paragraph in capitals; German ss for ß; Chinese and Japanese ASCII punctuation and
  hard line-wraps; curly quotes straightened);
- the other article on the same event, and its credited copy.
Truth: every pair inside a family is a copy; no pair across families (same event, same language,
or another language) is related. The origin is right when it is the story's (or other's) first.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import syndup  # noqa: E402
from tests.languages import STORIES, Story  # noqa: E402


def _wrap(text: str, width: int) -> str:
    """Hard line-wraps every `width` characters inside each paragraph (as in CJK plain text)."""
    return "\n\n".join("\n".join(p[i:i + width] for i in range(0, len(p), width)) for p in text.split("\n\n"))


def _cjk(text: str) -> str:
    return _wrap(text.replace("，", ",").replace("。", ". ").replace("：", ":"), 36)


_ARABIC = {"أعلنت": "أَعْلَنَتْ", "الصحة": "الصِّحَّة", "مصر": "مِصْر", "الوطنية": "الوطـــنية", "إن": "ان",
           "الدولة": "الدوله", "أكثر": "اكثر", "الأطفال": "الاطفال", "الأمور": "الأُمُور", "إلى": "الي"}


def _arabic(text: str) -> str:
    for a, b in _ARABIC.items():
        text = text.replace(a, b)
    return text


def _turkish(text: str) -> str:
    first, _, rest = text.partition("\n\n")
    return first.upper() + "\n\n" + rest


def _quotes(text: str) -> str:
    for a in "«»„“”":
        text = text.replace(a, '"')
    return text.replace("’", "'")


RESTYLE: dict[str, Callable[[str], str]] = {
    "en": _quotes, "ru": lambda t: _quotes(t.replace("ё", "е").replace("Ё", "Е")), "es": _quotes,
    "fr": _quotes, "de": lambda t: _quotes(t.replace("ß", "ss")), "ar": _arabic, "zh": _cjk,
    "sr": _quotes, "tr": _turkish, "ja": _cjk,
}


def family_records(s: Story) -> tuple[list[dict], dict[str, str]]:
    """The story's records and each record's family."""
    paras = s.origin.split("\n\n")
    lang = s.lang
    docs = [
        (f"{lang}-origin", s.origin, s.origin_site, "story"),
        (f"{lang}-credited", s.copy(), s.copy_site, "story"),
        (f"{lang}-plain", "\n\n".join(paras[:-1]), f"mirror-{lang}.example", "story"),
        (f"{lang}-restyled", RESTYLE[lang](s.origin), f"restyle-{lang}.example", "story"),
        (f"{lang}-other", s.other, s.other_site, "other"),
        (f"{lang}-other-credited", f"{s.other}\n\n{s.credit}\n\n{s.disclaimer}", s.copy_site, "other"),
    ]
    records = [{"id": i, "text": t, "site": site} for i, t, site, _ in docs]
    return records, {i: f"{lang}-{fam}" for i, _, _, fam in docs}


#: The gate: copy F1 in every language at least this.
FLOOR = 0.95


def run() -> bool:
    """Scan every language's families in one corpus; print copy precision, recall, F1 and origins
    per language; True when every language's copy F1 reaches `FLOOR`."""
    records: list[dict] = []
    family: dict[str, str] = {}
    for s in STORIES:
        r, f = family_records(s)
        records += r
        family.update(f)
    result = syndup.scan(records)
    found = {tuple(sorted((p.doc_a, p.doc_b))) for p in result.pairs.itertuples()
             if p.relation in ("copy", "duplicate")}
    related = {tuple(sorted((p.doc_a, p.doc_b))) for p in result.pairs.itertuples()}
    ids = sorted(family)
    truth = {(a, b) for a in ids for b in ids if a < b and family[a] == family[b]}
    origins = dict(zip(result.clusters["cluster_id"].astype(int), result.clusters["origin_id"]))
    cluster_of = dict(zip(result.documents["doc_id"], result.documents["cluster_id"].astype(int)))
    print(f"multilingual families ({len(STORIES)} languages, {len(records)} articles from tests/languages.py, "
          "one corpus; copy counts duplicates)")
    print("| language | copy truth/found |  P    |  R    |  F1   | other pairs | origin |")
    print("|----------|-----------------:|------:|------:|------:|------------:|-------:|")
    f1s = []
    for s in STORIES:
        mine = {q for q in truth if q[0].startswith(s.lang + "-")}
        got = {q for q in found if q[0].startswith(s.lang + "-") or q[1].startswith(s.lang + "-")}
        tp = len(mine & got)
        p = tp / len(got) if got else None
        r = tp / len(mine) if mine else None
        f1 = 2 * p * r / (p + r) if p and r else 0.0
        f1s.append(f1)
        stray = len({q for q in related - truth if q[0].startswith(s.lang + "-") or q[1].startswith(s.lang + "-")})
        right = sum(origins[cluster_of[f"{s.lang}-{first}"]] == f"{s.lang}-{first}" for first in ("origin", "other"))
        print(f"| {s.lang:8} | {len(mine):>8}/{len(got):<7} | {p or 0:.3f} | {r or 0:.3f} | {f1:.3f} | "
              f"{stray:>11} | {right}/2    |")
    ok = min(f1s) >= FLOOR
    print(f"multilingual gate: copy F1 min {min(f1s):.3f}, mean {sum(f1s) / len(f1s):.3f} (floor {FLOOR} in every "
          f"language): {'pass' if ok else 'FAIL'}; other pairs: related pairs outside a family (any relation)")
    return ok


if __name__ == "__main__":
    sys.exit(0 if run() else 1)
