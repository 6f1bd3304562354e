"""The entities articles can mention: people files plus the built-in countries.

People come from ``content/people/<id>.md`` (file name = id), countries
from ``countries.builtin_countries()`` merged with ``content/countries/<id>.md``
(which extends a built-in country or defines a new one). Problems are
collected with file and line; a file with errors is still loaded when it
can be, so one run shows every problem.

The registry also owns the linker's matcher (built lazily, once per
registry, dropped on pickling and rebuilt in a worker process) and a
``fingerprint`` of everything that affects linking or entity pages, which the
build cache uses as part of its key.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import frontmatter
from .entities import Entity
from .content import text_list_problem
from .frontmatter import ESCAPED_CONTROL_HINT, control_character, kind_of
from .errors import ContentError, Problems

PERSON_FIELDS = ("name", "aliases", "description", "wikidata", "image", "born", "died")
COUNTRY_FIELDS = ("name", "aliases", "description", "wikidata", "iso2", "iso3", "official_name",
                  "demonyms", "successors", "former")
WIKIDATA_RE = re.compile(r"^Q[1-9][0-9]*$")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KINDS = {"person": "people", "country": "countries"}
SECTIONS = {"people": "person", "countries": "country"}


def fold_form(text: str) -> str:
    """The comparison key of a name: accents and apostrophe styles folded."""
    from .linker import fold  # local import: linker imports this module

    return fold(text)


@dataclass
class Registry:
    """All known entities, keyed by ``entity.key`` (``people/john-kerry``)."""

    entities: dict[str, Entity] = field(default_factory=dict)
    # form -> (country keys it may mean, whether it needs evidence from the article)
    ambiguous: dict[str, tuple[tuple[str, ...], bool]] = field(default_factory=dict)
    not_entities: tuple[str, ...] = ()  # longer forms that contain a name but are not it ("New Mexico")
    lines: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)  # key -> front matter key lines
    _matcher: Any = field(default=None, repr=False, compare=False)
    _fingerprint: str | None = field(default=None, repr=False, compare=False)
    _entity_fps: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def people(self) -> list[Entity]:
        return [e for e in self.entities.values() if e.kind == "person"]

    @property
    def countries(self) -> list[Entity]:
        return [e for e in self.entities.values() if e.kind == "country"]

    def get(self, key: str) -> Entity | None:
        return self.entities.get(key)

    def resolve_id(self, kind: str | None, ident: str) -> list[Entity]:
        """Entities an id written in front matter names.

        ``kind`` is ``person``, ``country`` or None (``no_link`` takes both):
        ``john-kerry``, ``people/john-kerry`` and ``countries/russia`` are all
        accepted. A bare id that is both a person and a country (kind None)
        names both. An empty list means the id is unknown.
        """
        ident = ident.strip()
        if "/" in ident:
            section, _, bare = ident.partition("/")
            if section not in SECTIONS or (kind and SECTIONS[section] != kind):
                return []
            e = self.entities.get(ident)
            return [e] if e else []
        kinds = [kind] if kind else ["person", "country"]
        found = []
        for k in kinds:
            e = self.entities.get(f"{KINDS[k]}/{ident}")
            if e:
                found.append(e)
        return found

    def matcher(self):
        """The linker's automaton over every name, built once and cached."""
        if self._matcher is None:
            from .linker import Matcher

            self._matcher = Matcher(self)
        return self._matcher

    def entity_fingerprints(self) -> dict[str, str]:
        """A stable hash of each entity's fields (its source file left out), by key.

        Computed once per registry: the cache key of every page showing an
        entity and the registry history of the build cache both use it.
        """
        if self._entity_fps is None:
            fps = {}
            for key, entity in self.entities.items():
                data = asdict(entity)
                data.pop("source", None)
                text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
                fps[key] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
            self._entity_fps = fps
        return self._entity_fps

    def ambiguity_fingerprint(self) -> str:
        """A hash of the ambiguity and not-an-entity data the linker applies to everyone."""
        text = json.dumps([sorted(self.ambiguous.items()), list(self.not_entities)], default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def fingerprint(self) -> str:
        """A stable hash of every entity field that affects linking or pages."""
        if self._fingerprint is None:
            h = hashlib.sha256()
            for key, fp in sorted(self.entity_fingerprints().items()):
                h.update(f"{key}\x1f{fp}\n".encode("utf-8"))
            h.update(self.ambiguity_fingerprint().encode("ascii"))
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    def __getstate__(self) -> dict[str, Any]:
        # The automaton is rebuilt on first use in the receiving process.
        state = dict(self.__dict__)
        state["_matcher"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def check_ids(self, article: Any, problems: Problems) -> dict[str, list[str]]:
        """Resolve an article's ``people``/``countries``/``no_link`` ids.

        Unknown ids are reported as errors at the line of their key. Returns
        ``{"people": [...keys], "countries": [...], "no_link": [...]}``.
        """
        out: dict[str, list[str]] = {}
        lines = getattr(article, "key_lines", {}) or {}
        for fieldname, kind in (("people", "person"), ("countries", "country"), ("no_link", None)):
            keys: list[str] = []
            for ident in getattr(article, fieldname, None) or []:
                found = self.resolve_id(kind, str(ident))
                if not found:
                    problems.error(article.path, lines.get(fieldname), f"unknown {_what(kind)} id '{ident}' in '{fieldname}'",
                                   _id_hint(self, kind, str(ident)))
                    continue
                keys.extend(e.key for e in found if e.key not in keys)
            out[fieldname] = keys
        return out


def _what(kind: str | None) -> str:
    return {"person": "person", "country": "country"}.get(kind or "", "entity")


def _id_hint(registry: Registry, kind: str | None, ident: str) -> str:
    import difflib

    bare = ident.rpartition("/")[2]
    pool = [e.id for e in registry.entities.values() if kind is None or e.kind == kind]
    guess = difflib.get_close_matches(bare, pool, n=1, cutoff=0.7)
    if guess:
        return f"did you mean '{guess[0]}'?"
    if kind == "person" or kind is None:
        return f"ids are file names: add content/people/{bare}.md, or fix the id"
    return "country ids are slugs of the English name, e.g. russia, united-states"


def load_registry(root: Path, problems: Problems, *, builtin: Iterable[Entity] | None = None,
                  cache: Any = None) -> Registry:
    """People and countries of the archive at ``root``.

    ``builtin`` replaces ``countries.builtin_countries()`` (tests use a small
    list); the built-in list is copied, never changed in place. With
    ``cache`` (a ``cache.Cache``) the built-in countries are kept in it (``countries.use_cache``).
    """
    registry = Registry()
    if builtin is None:
        from . import countries

        if cache is not None:
            countries.use_cache(cache)

        builtin = countries.builtin_countries()
        registry.ambiguous = {
            form: (tuple(f"countries/{c}" for c in amb.countries), _needs_evidence(amb.countries, amb.other))
            for form, amb in countries.AMBIGUITIES.items()}
        registry.not_entities = tuple(countries.NOT_COUNTRIES)
    for e in builtin:
        registry.entities[e.key] = _copy(e)
    for path in _files(root / "content" / "people"):
        person = _load_person(root, path, problems, registry)
        if person is not None:
            registry.entities[person.key] = person
    for path in _files(root / "content" / "countries"):
        _load_country(root, path, problems, registry)
    _check_aliases(registry, problems)
    return registry


# Other meanings that capitalisation and neighbouring words cannot rule out:
# such a form links only when the article names the country otherwise too.
# ("organization", "common-word", "language", "period" are left to the
# longer-name and ALL-CAPS rules: "China Daily", "US" in "LET US GO".)
NEEDS_EVIDENCE = frozenset({"us-state", "given-name", "person", "region", "river", "historical-state", "country"})


def _needs_evidence(countries: tuple[str, ...], other: tuple[str, ...]) -> bool:
    return len(countries) > 1 or bool(NEEDS_EVIDENCE & set(other))


def _copy(e: Entity) -> Entity:
    return Entity(**{k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                     for k, v in e.__dict__.items()})


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.md") if not p.name.startswith("."))


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _read(root: Path, path: Path, problems: Problems) -> frontmatter.Document | None:
    rel = _rel(root, path)
    try:
        text = frontmatter.decode(path.read_bytes(), rel)
        return frontmatter.parse(text, rel)
    except ContentError as exc:
        problems.add(exc.problem)
    except OSError as exc:
        problems.error(rel, None, f"cannot read file: {exc.strerror}", "check the file's permissions")
    return None


class _Fields:
    """Typed front matter access that reports problems at the key's line."""

    def __init__(self, rel: str, doc: frontmatter.Document, problems: Problems):
        self.rel, self.meta, self.lines, self.problems = rel, doc.meta, doc.key_lines, problems

    def line(self, key: str) -> int | None:
        return self.lines.get(key)

    def text(self, key: str) -> str | None:
        value = self.meta.get(key)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key in ("born", "died"):
            return str(value)
        if not isinstance(value, str):
            self.problems.error(self.rel, self.line(key), f"'{key}' must be text, not {kind_of(value)}",
                                f"write it as {key}: \"...\"")
            return None
        code = control_character(value)
        if code:
            self.problems.error(self.rel, self.line(key), f"control character {code} in '{key}' is not allowed",
                                ESCAPED_CONTROL_HINT)
            return None
        return value.strip()

    def text_list(self, key: str) -> list[str]:
        value = self.meta.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        found = text_list_problem(key, value, '["First form", "Second form"]')
        if found:
            self.problems.error(self.rel, self.line(key), *found)
            return []
        return [x.strip() for x in value if x.strip()]

    def wikidata(self) -> str | None:
        value = self.meta.get("wikidata")
        if value is None:
            return None
        value = str(value).strip()
        if not WIKIDATA_RE.match(value):
            self.problems.warning(self.rel, self.line("wikidata"), f"'{value}' is not a Wikidata id",
                                  "a Wikidata id is Q followed by digits, e.g. wikidata: Q22316")
            return None
        return value

    def unknown(self, known: tuple[str, ...]) -> dict[str, Any]:
        from .config import nearest

        extra = {}
        for key, value in self.meta.items():
            if key not in known:
                extra[key] = value
                guess = nearest(key, known)
                self.problems.warning(self.rel, self.line(key), f"unknown field '{key}' (kept for templates)",
                                      f"did you mean '{guess}'?" if guess else f"known fields: {', '.join(known)}")
        return extra


def _check_id(rel: str, ident: str, problems: Problems) -> bool:
    if not ID_RE.match(ident):
        problems.error(rel, None, f"file name '{ident}.md' is not a usable id",
                       "ids are URL slugs: lowercase letters, digits and single hyphens, e.g. john-kerry.md")
        return False
    return True


def _load_person(root: Path, path: Path, problems: Problems, registry: Registry) -> Entity | None:
    rel = _rel(root, path)
    ident = path.stem
    if not _check_id(rel, ident, problems):
        return None
    doc = _read(root, path, problems)
    if doc is None:
        return None
    f = _Fields(rel, doc, problems)
    name = f.text("name")
    if not name:
        problems.error(rel, f.line("name") or 1, "person has no name" if "name" not in doc.meta else "'name' is empty",
                       "add a line 'name: Full Name' to the front matter")
        return None
    image = doc.meta.get("image")
    if isinstance(image, str):
        image = {"src": image}
    if image is not None and not isinstance(image, dict):
        problems.error(rel, f.line("image"), f"'image' must be a path or a mapping, not {kind_of(image)}",
                       "e.g. image: {src: /media/kerry.jpg, alt: \"John Kerry\"}")
        image = None
    if image is not None and str(image.get("src", "")).strip().lower().startswith(("javascript:", "data:", "vbscript:")):
        problems.error(rel, f.line("image"), "image src must be a path or http(s) URL", "e.g. src: /media/kerry.jpg")
        image = None
    if image is not None:
        codes = [control_character(v) for v in image.values() if isinstance(v, str)]
        code = next((c for c in codes if c), None)
        if code:
            problems.error(rel, f.line("image"), f"control character {code} in 'image' is not allowed", ESCAPED_CONTROL_HINT)
            image = None
    registry.lines[f"people/{ident}"] = doc.key_lines
    return Entity(
        id=ident, kind="person", name=name, aliases=f.text_list("aliases"),
        description=f.text("description") or "", wikidata=f.wikidata(), image=image,
        born=f.text("born"), died=f.text("died"), body=doc.body.strip("\n"), source=rel,
        extra=f.unknown(PERSON_FIELDS),
    )


def _load_country(root: Path, path: Path, problems: Problems, registry: Registry) -> None:
    rel = _rel(root, path)
    ident = path.stem
    if not _check_id(rel, ident, problems):
        return
    doc = _read(root, path, problems)
    if doc is None:
        return
    f = _Fields(rel, doc, problems)
    key = f"countries/{ident}"
    registry.lines[key] = doc.key_lines
    existing = registry.entities.get(key)
    aliases, demonyms = f.text_list("aliases"), f.text_list("demonyms")
    extra = f.unknown(COUNTRY_FIELDS)
    if existing is not None:
        # Extend a built-in country: add forms, replace the texts given.
        existing.aliases += [a for a in aliases if a not in existing.aliases]
        existing.demonyms += [d for d in demonyms if d not in existing.demonyms]
        for attr in ("name", "description", "official_name", "iso2", "iso3"):
            value = f.text(attr)
            if value:
                if attr == "name" and value != existing.name and value not in existing.aliases:
                    existing.aliases.append(existing.name)
                setattr(existing, attr, value)
        wd = f.wikidata()
        if wd:
            existing.wikidata = wd
        if doc.body.strip():
            existing.body = doc.body.strip("\n")
        existing.source = rel
        existing.extra.update(extra)
        return
    name = f.text("name")
    if not name:
        problems.error(rel, f.line("name") or 1,
                       f"'{ident}' is not a built-in country, so it needs a name",
                       "add 'name: ...', or rename the file to a built-in country id (e.g. russia.md)")
        return
    former = doc.meta.get("former", False)
    if not isinstance(former, bool):
        problems.error(rel, f.line("former"), "'former' must be true or false", "write former: true")
        former = False
    registry.entities[key] = Entity(
        id=ident, kind="country", name=name, aliases=aliases, description=f.text("description") or "",
        wikidata=f.wikidata(), iso2=f.text("iso2"), iso3=f.text("iso3"), official_name=f.text("official_name"),
        demonyms=demonyms, successors=f.text_list("successors"), former=former,
        body=doc.body.strip("\n"), source=rel, extra=extra,
    )


def _check_aliases(registry: Registry, problems: Problems) -> None:
    """An alias written in a file must name one entity only.

    Two people may share a *name* (homonyms are real; the linker decides from
    the article or declines), but an alias a file adds must not equal a form
    of another entity: a person alias equal to a country's name, alias or
    demonym, or an alias two files claim, is an error naming both.
    """
    owners: dict[str, list[tuple[Entity, str]]] = {}
    for e in registry.entities.values():
        forms = [(e.name, "name")] + [(a, "alias") for a in e.aliases]
        if e.kind == "country":
            forms += [(d, "demonym") for d in e.demonyms]
            if e.official_name:
                forms.append((e.official_name, "name"))
        for form, what in forms:
            owners.setdefault(fold_form(form), []).append((e, what))
    for e in registry.entities.values():
        if e.source is None:
            continue
        for alias in e.aliases:
            for other, what in owners.get(fold_form(alias), []):
                if other.key == e.key:
                    continue
                if other.source is None and e.kind == "country" and other.kind == "country":
                    continue  # a file adding a built-in ambiguous form (e.g. "Congo") is allowed
                if e.kind == "country" and other.kind == "person" and other.source is not None:
                    continue  # reported from the person's side
                if what == "alias" and other.source is not None and other.kind == e.kind and other.key > e.key:
                    continue  # two files claiming one alias: reported once, on the later file
                where = other.source or "the built-in country list"
                what_kind = "country" if other.kind == "country" else "person"
                problems.error(e.source, _alias_line(registry, e), f"alias '{alias}' of '{e.name}' is also the {what} of the "
                               f"{what_kind} '{other.name}' ({where})",
                               "an alias must name one entity; remove it from one of the files")
                break


def _alias_line(registry: Registry, e: Entity) -> int | None:
    return registry.lines.get(e.key, {}).get("aliases")
