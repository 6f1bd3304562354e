"""Which articles a registry change can touch, so a new person file
re-renders the articles that name them and not the whole archive.

A body linked with an earlier registry stays valid when no changed entity
(added, edited and removed alike, in its old and new versions) can make the
linker read the article otherwise. That needs one of:

- every word of one of the entity's forms among the article's words. For a
  person the forms are their full names and other spellings ("Juergen
  Moeller" for Jürgen Möller) and the later references of two words or more
  ("Suu Kyi", "Sol Campbell" of Sol Jonathan Campbell: an otherwise-spelt
  full name the text holds is not matched when it is someone's registered
  form). A one-word later reference (the surname or given name alone)
  counts for nobody until the person is named in full or listed in the
  front matter (``Linker._resolve``), so "David" alone does not make every
  article with a David relink when David Miliband is added;
- every key of one of a person's spelling keys among the keys of the
  article's capitalised words ("Massoud Barzanni" for Masoud Barzani);
- the entity listed in the article's front matter (``people``, ``countries``).

Forms come from the matcher's own lists (``linker.person_forms``,
``country_forms``, ``person_spelling_keys``) and words are compared whole
and with their case, in the folded (accent-free) text the matcher reads: it
matches a form as written or in capitals only, so "Sol" in "also" and the
verb "mark" do not count for Sol Campbell and Mark Thompson. A change to the
registry-wide linking data (ambiguous forms, longer names that are not the
entity) may touch any article.

The cache keeps the last ``CHAIN`` registry versions as a chain of what
changed between them, and the forms of each entity version once (computed
only for versions not seen before).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from .cache import Cache

AMBIGUITY = "\x00ambiguity"  # snapshot entry for the registry-wide linking data
CHAIN = 200  # registry versions remembered, to tell which articles a registry change can touch
FORMAT = 4  # of the cache entry: the last version, the chain of changes, forms by fingerprint
_WORD = re.compile(r"[^\W_]+")

Forms = list[list[str]]  # the words of each form (a set, sorted)


def entity_forms(e: Any) -> tuple[Forms, Forms]:
    """(words of every form the linker can match for ``e``, words of its spelling keys)."""
    from .linker import FULL, country_forms, fold, person_forms, person_spelling_keys

    if e.kind == "person":
        names = [e.name, *e.aliases]
        forms = [f for f, role in person_forms(names) if role in FULL or " " in f.strip()]
        keys = [k.split(" ") for k in person_spelling_keys(names)]
    else:
        forms = [f for f, _ in country_forms(e)]
        keys = []
    words: set[tuple[str, ...]] = set()
    for form in forms:
        folded = fold(form)
        for text in (folded, folded.upper()):  # the matcher reads a form as written, or in capitals
            found = tuple(sorted(set(_WORD.findall(text))))
            if found:
                words.add(found)
    return [list(w) for w in sorted(words)], [sorted(set(k)) for k in keys]


class RegistryHistory:
    """The registry versions recent builds linked with, and what changed between them.

    Stored as the last version's entity fingerprints and a chain of the
    changes that led to it, one link per registry version (``CHAIN`` at
    most), each naming the entities that changed and their fingerprints
    before and after: a body linked ``CHAIN`` registry changes ago still
    needs only the articles that name a changed entity relinked.
    """

    def __init__(self, cache: Cache | None, registry: Any):
        self.cache = cache
        fps = registry.entity_fingerprints()
        self.fp = registry.fingerprint()
        self.now = dict(fps)
        self.now[AMBIGUITY] = registry.ambiguity_fingerprint()
        stored = cache.read("registry.json", "registry") if cache else None
        self.last: dict[str, str] = {}  # entity -> fingerprint, in the newest version stored
        self.chain: list[tuple[str, dict[str, list]]] = []  # (registry fingerprint, {entity: [before, after]})
        self.forms: dict[str, list[Forms]] = {}
        if isinstance(stored, dict) and stored.get("format") == FORMAT:
            last, chain, forms = stored.get("last"), stored.get("chain"), stored.get("forms")
            if isinstance(last, dict) and isinstance(chain, list) and isinstance(forms, dict) and \
                    all(isinstance(v, str) for v in last.values()) and all(_valid_link(x) for x in chain):
                self.last = last
                self.chain = [(fp, diff) for fp, diff in chain]
                self.forms = {k: v for k, v in forms.items() if _valid_forms(v)}
        self._dirty = False
        for e in registry.entities.values():
            fp = fps[e.key]
            if fp not in self.forms:  # a new entity version: its forms, once
                self.forms[fp] = list(entity_forms(e))
                self._dirty = True
        self._changes: dict[str, tuple[Forms, Forms, set[str], str] | None] = {}

    def _pending(self) -> dict[str, list]:
        """What changed from the newest stored version to this one."""
        if not self.chain or self.chain[-1][0] == self.fp:
            return {}
        return {k: [self.last.get(k), self.now.get(k)] for k in set(self.last) | set(self.now)
                if self.last.get(k) != self.now.get(k)}

    def changed_forms(self, old_fp: str) -> tuple[Forms, Forms, set[str], str] | None:
        """Forms, spelling keys and keys of the entities that changed since registry ``old_fp``,
        and the capitals words with those spelling keys begin with (``linker.key_initials``);
        None if unknown (too old, or a change to what the linker applies to everyone)."""
        if old_fp not in self._changes:
            at = max((i for i, (fp, _) in enumerate(self.chain) if fp == old_fp), default=None)
            if at is None:
                self._changes[old_fp] = None
                return None
            forms: dict[tuple[str, ...], None] = {}
            keys: dict[tuple[str, ...], None] = {}
            entities: set[str] = set()
            unknown = False
            for diff in [d for _, d in self.chain[at + 1:]] + [self._pending()]:
                for key, versions in diff.items():
                    if key == AMBIGUITY:
                        unknown = True
                    entities.add(key)
                    for fp in versions:
                        if fp is None or key == AMBIGUITY:
                            continue
                        if fp not in self.forms:
                            unknown = True  # an entity version whose forms were not kept
                            continue
                        f, k = self.forms[fp]
                        forms.update((tuple(w), None) for w in f)
                        keys.update((tuple(w), None) for w in k)
            # longest word first: the cheap substring test in still_valid tries it
            ordered = [sorted(w, key=len, reverse=True) for w in forms]
            from .linker import key_initials

            self._changes[old_fp] = None if unknown else (ordered, [list(k) for k in keys], entities,
                                                          key_initials(keys))
        return self._changes[old_fp]

    def still_valid(self, old_fp: str, source: str, attached: Iterable[str] = ()) -> bool:
        """Whether a body linked with registry ``old_fp`` would be linked the same now.

        ``attached``: the registry keys its front matter lists ("people/anna-berg")."""
        if old_fp == self.fp:
            return True
        change = self.changed_forms(old_fp)
        if change is None or not source:
            return False
        forms, keys, entities, initials = change
        if any(k in entities for k in attached):
            return False
        from .linker import fold, spelled_word_keys

        text = fold(source)
        possible = [w for w in forms if w[0] in text]  # substring first: most articles stop here
        if possible:
            words = set(_WORD.findall(text))
            if any(words.issuperset(w) for w in possible):
                return False
        if keys:
            have = spelled_word_keys(text, initials)
            if any(have.issuperset(k) for k in keys):
                return False
        return True

    def save(self) -> None:
        """Add this registry version to the chain (with the forms of the versions it names)."""
        if self.cache is None:
            return
        if self.chain and self.chain[-1][0] == self.fp and not self._dirty:
            return  # the newest version already: nothing to write
        if not self.chain:
            self.chain = [(self.fp, {})]  # the start of the chain
        elif self.chain[-1][0] != self.fp:
            self.chain.append((self.fp, self._pending()))
        self.chain = self.chain[-CHAIN:]
        self.last = self.now
        used = {fp for _, diff in self.chain for versions in diff.values() for fp in versions if fp}
        used.update(self.now.values())
        forms = {fp: f for fp, f in self.forms.items() if fp in used}
        self.cache.write("registry.json", "registry", {"format": FORMAT, "last": self.last,
                                                      "chain": [list(x) for x in self.chain], "forms": forms})


def _valid_forms(v: Any) -> bool:
    return (isinstance(v, list) and len(v) == 2
            and all(isinstance(part, list) and all(isinstance(w, list) and all(isinstance(x, str) for x in w)
                                                   for w in part) for part in v))


def _valid_link(x: Any) -> bool:
    return (isinstance(x, list) and len(x) == 2 and isinstance(x[0], str) and isinstance(x[1], dict)
            and all(isinstance(v, list) and len(v) == 2 and all(f is None or isinstance(f, str) for f in v)
                    for v in x[1].values()))
