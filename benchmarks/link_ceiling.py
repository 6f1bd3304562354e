"""The best person score DESIGN's linking rules allow on a gold corpus.

    python benchmarks/link_ceiling.py [CORPUS.jsonl] [--linkeval PATH]

Runs ``linkeval`` (``../shared/tools/linkeval`` by default) on the corpus,
then sorts its person errors into two classes that no linker keeping the
rules can avoid:

- *later references without the full name*: a gold person mention that is a
  surname, initial + surname or given name (or another single word) in a
  document that never writes the full name. DESIGN lets a surname resolve
  only after the full name appeared, so these stay missed;
- *required links the annotators left unlinked*: a surname (or first + last,
  or initial + surname) of a person the document names in full, at a place
  the gold data marks ``<NIL>``. The rules require the link, and the scorer
  counts it wrong.

The ceiling assumes a linker that gets everything else right, even full
names written otherwise that only an alias could give ("Asa Carlsson" for
Åsa Svensson): recall is the gold mentions less the first class, and the
only wrong links are the second.
The corpus is research data: read here, never copied into the project.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archivegen.linker import FULL, GIVEN, LATER, fold, person_forms  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _low(text: str) -> str:
    return " ".join(fold(text).lower().split())


def role_of(surface: str, name: str) -> str | None:
    """The role ``surface`` plays among the registered name's forms (case folded), or None."""
    want = _low(surface)
    for form, role in person_forms([name]):
        if _low(form) == want:
            return role
    return None


def names_in(keep: Path) -> dict[str, str]:
    """Entity key -> registered name, from the people files linkeval wrote."""
    out = {}
    for path in (keep / "content" / "people").glob("*.md"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("name: "):
                out[f"people/{path.stem}"] = json.loads(line[6:])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=SHARED / "corpora" / "aida-conll-dev.jsonl")
    ap.add_argument("--linkeval", type=Path, default=SHARED / "tools" / "linkeval")
    args = ap.parse_args()
    docs = [json.loads(line) for line in args.corpus.open(encoding="utf-8")]
    with tempfile.TemporaryDirectory() as tmp:
        keep, errors = Path(tmp) / "archive", Path(tmp) / "errors.tsv"
        run = subprocess.run([sys.executable, str(args.linkeval), str(args.corpus), "--keep", str(keep),
                              "--errors", str(errors)], capture_output=True, text=True, check=True)
        score = next(line for line in run.stdout.splitlines() if line.startswith("person:"))
        rows = [line.rstrip("\n").split("\t") for line in errors.open(encoding="utf-8")]
        names = names_in(keep)
    fields = dict(part.split(" ", 1) for part in score.split(": ", 1)[1].split(", ")[:3])
    gold = int(fields["gold"])
    texts = [_low(d["text"]) for d in docs]
    unnamed: Counter[str] = Counter()
    required: Counter[str] = Counter()
    for row in rows:
        doc, what, kind = int(row[0]), row[1], row[2]
        if kind != "person":
            continue
        if what == "missed":
            surface, name = row[3], row[4]
            role = role_of(surface, name)
            later = role in LATER or (role is None and " " not in surface)
            if later and _low(name) not in texts[doc]:
                unnamed[surface] += 1
        elif row[5].endswith("<NIL>"):
            surface, name = row[3], names.get(row[4], "")
            role = role_of(surface, name)
            if role is not None and role not in FULL and role != GIVEN and _low(name) in texts[doc]:
                required[surface] += 1
    reachable = gold - sum(unnamed.values())
    p = reachable / (reachable + sum(required.values()))
    r = reachable / gold
    print(score)
    print(f"later references without the full name: {sum(unnamed.values())} "
          f"({', '.join(f'{k} {v}' for k, v in unnamed.most_common(12))} ...)")
    print(f"required links the annotators left unlinked: {sum(required.values())} "
          f"({', '.join(f'{k} {v}' for k, v in required.most_common(12))} ...)")
    print(f"ceiling under the rules: P {p:.3f} R {r:.3f} F1 {2 * p * r / (p + r):.3f}")
    print(f"ceiling if those <NIL> places were linked in the gold data: F1 {2 * r / (1 + r):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
