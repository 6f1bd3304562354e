"""Measure ``entities suggest`` on the AIDA-CoNLL dev split (no people registered).

    python benchmarks/suggest_eval.py [../shared/corpora/aida-conll-dev.jsonl] [--errors]

Precision: of the names suggested for two or more documents, the share that
name a gold person (folded, equal to the gold label's name or to the surface
form of a gold person mention, or the full form of such a surface form that
ends in the same surname).
Recall: of the gold people named in full (two words or more) in two or more
documents, the share suggested (for two or more documents). The corpus is
research data: it is read here, never copied into the project.

"Gold person" is read from the corpus's own ``type`` field and nothing else.
The corpus gives no type to ``<NIL>`` mentions (always ``OTHER``: no PER/ORG
tag survives from CoNLL), and it types some linked people as creative work
and product (``Q17537576|Q2424752``); both count against precision here, and
``--errors`` shows the gold item and the sentences so a reader can judge.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archivegen.linker import fold  # noqa: E402
from archivegen.suggest import Document, suggest  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "aida-conll-dev.jsonl"
PERSON_TYPES = {"Q215627", "Q5"}


def _key(name: str) -> str:
    return " ".join(fold(name).lower().replace(" .", ".").split())


def _countries():
    try:
        from archivegen.countries import builtin_countries
        from archivegen.registry import Registry
        from archivegen.suggest import registry_forms

        reg = Registry()
        for e in builtin_countries():
            reg.entities[e.key] = e
        return registry_forms(reg)
    except ImportError:
        return [], []


def _sentence(text: str, start: int, end: int, reach: int = 100) -> str:
    """The sentence around text[start:end], at most ``reach`` characters either side.

    The corpus writes " . " between sentences; results tables run on for
    hundreds of words, so the window keeps the mention itself in view.
    """
    left = text.rfind(" . ", 0, start)
    right = text.find(" . ", end)
    lo = max(left + 3 if left >= 0 else 0, start - reach)
    hi = min(right + 2 if right >= 0 else len(text), end + reach)
    return ("…" if lo > max(left + 3, 0) else "") + text[lo:hi] + ("…" if hi < (right + 2 if right >= 0 else len(text)) else "")


def _clip(text: str, width: int = 220) -> str:
    """One line of at most ``width`` characters, so a listing stays readable."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--errors", action="store_true",
                    help="list false positives and misses with their gold items and sentences")
    args = ap.parse_args(argv)
    rows = [json.loads(line) for line in args.corpus.open(encoding="utf-8")]
    docs = [Document(str(r.get("id", i)), r["text"]) for i, r in enumerate(rows)]

    label_types: dict[str, set[str]] = defaultdict(set)  # folded surface -> gold types (any kind)
    label_items: dict[str, set[str]] = defaultdict(set)  # folded surface -> "Q229838 Jonathan Edwards"
    for r in rows:
        for lab in r["labels"]:
            s, e = lab["span"]
            t = lab["type"] if lab["entity_id"] != "<NIL>" or lab["type"] != "OTHER" else "NIL, untyped"
            label_types[_key(r["text"][s:e])].add(t)
            if lab["entity_id"] != "<NIL>":
                label_items[_key(r["text"][s:e])].add(f"{lab['entity_id']} {lab['name']}")
    gold_docs: dict[str, set[int]] = defaultdict(set)  # entity -> docs naming it in full
    gold_names: dict[str, set[str]] = defaultdict(set)  # entity -> folded names / surface forms
    gold_spans: dict[str, list[tuple[int, int, int]]] = defaultdict(list)  # entity -> (doc, start, end) in full
    person_forms: dict[str, str] = {}  # folded form -> entity
    for i, r in enumerate(rows):
        for lab in r["labels"]:
            if not PERSON_TYPES & set(lab["type"].split("|")):
                continue
            s, e = lab["span"]
            surface = r["text"][s:e]
            ent = lab["entity_id"] if lab["entity_id"] != "<NIL>" else "NIL:" + _key(surface)
            for form in (surface, lab.get("name") or ""):
                if form:
                    gold_names[ent].add(_key(form))
                    person_forms.setdefault(_key(form), ent)
            if len(surface.split()) >= 2:
                gold_docs[ent].add(i)
                gold_spans[ent].append((i, s, e))
    targets = {ent for ent, ds in gold_docs.items() if len(ds) >= 2}

    exclude, demonyms = _countries()
    t0 = time.perf_counter()
    cands = suggest(docs, exclude=exclude, demonyms=demonyms, min_articles=2)
    elapsed = time.perf_counter() - t0

    def gold_of(name: str) -> str | None:
        k = _key(name)
        if k in person_forms:
            return person_forms[k]
        # a fuller form of a gold surface: "Miguel Angel Martin" for "Miguel Martin"
        words = k.split()
        for form, ent in person_forms.items():
            fw = form.split()
            if len(fw) >= 2 and fw[-1] == words[-1] and fw[0] == words[0]:
                return ent
            if len(fw) >= 2 and fw[0].endswith(".") and fw[-1] == words[-1] and words[0].startswith(fw[0][:-1]):
                return ent
        return None

    hits, fps, found = 0, [], set()
    for c in cands:
        ents = {gold_of(n) for n in [c.name, *c.variants]} - {None}
        if ents:
            hits += 1
            found |= ents
        else:
            fps.append(c)
    misses = sorted(targets - found, key=lambda e: sorted(gold_names[e]))
    precision = hits / len(cands) if cands else 0.0
    recall = len(targets & found) / len(targets) if targets else 0.0
    print(f"documents: {len(docs)}; suggestion time {elapsed:.2f}s")
    print(f"suggested (>=2 articles): {len(cands)}; gold people among them: {hits}")
    print(f"precision: {precision:.3f} ({hits}/{len(cands)})")
    print(f"gold people named in full in >=2 documents: {len(targets)}; suggested: {len(targets & found)}")
    print(f"recall: {recall:.3f} ({len(targets & found)}/{len(targets)})")
    kinds = defaultdict(list)
    for c in fps:
        types = sorted(set().union(*(label_types.get(_key(n), set()) for n in [c.name, *c.variants]))) or ["no label"]
        kinds[", ".join(types)].append(c)
    untyped = len(kinds.get("NIL, untyped", []))
    if untyped:
        judged = len(cands) - untyped
        print(f"precision over suggestions the gold types (leaving out {untyped} whose only labels are NIL and "
              f"untyped): {hits / judged:.3f} ({hits}/{judged})")
    print("false positives by their gold label: " + "; ".join(f"{k}: {len(v)}" for k, v in sorted(kinds.items())))
    if args.errors:
        print("\nfalse positives:")
        for k, cs in sorted(kinds.items()):
            for c in cs:
                items = sorted(set().union(*(label_items.get(_key(n), set()) for n in [c.name, *c.variants])))
                print(f"  {c.name} ({c.articles} articles; gold label: {k}"
                      + (f" [{'; '.join(items)}]" if items else "") + f"; roles {c.roles[:2]})")
                print(f"      e.g. {_clip(c.example)}")
        print("\nmissed:")
        for ent in misses:
            print(f"  {ent} {sorted(gold_names[ent])} in {len(gold_docs[ent])} documents")
            seen: set[int] = set()
            for i, s, e in gold_spans[ent]:
                if i not in seen:
                    seen.add(i)
                    print(f"      [{rows[i].get('id', i)}] {_sentence(rows[i]['text'], s, e)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
