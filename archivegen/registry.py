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
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from . import frontmatter
from .entities import Entity
from .content import image_src_problem, is_dir_entry, text_list_problem
from .frontmatter import ESCAPED_CONTROL_HINT, control_character, kind_of
from .errors import ContentError, Problems
from .inputs import is_junk, not_a_file, unread_hint, unreadable_folder
from .slugs import WINDOWS_RESERVED

PERSON_FIELDS = ("name", "aliases", "description", "wikidata", "image", "born", "died")
COUNTRY_FIELDS = ("name", "aliases", "description", "wikidata", "iso2", "iso3", "official_name",
                  "demonyms", "successors", "former")
WIKIDATA_RE = re.compile(r"^Q[1-9][0-9]*$")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KINDS = {"person": "people", "country": "countries"}
SECTIONS = {"people": "person", "countries": "country"}
# Pages that pages.py writes next to the entity pages, in both people/ and
# countries/: an entity with such an id would replace the page.
RESERVED_IDS = {"by-mentions": "index sorted by mentions"}
# born/died: a full date, a month or a year (JSON-LD takes all three)
LIFE_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
SINGULAR = {"aliases": "alias", "demonyms": "demonym"}


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
    builtin_forms = _builtin_forms(registry)
    builtin_codes = {key: _codes(e) for key, e in registry.entities.items()}
    for path in _files(root, "people", problems):
        person = _load_person(root, path, problems, registry)
        if person is not None:
            registry.entities[person.key] = person
    for path in _files(root, "countries", problems):
        _load_country(root, path, problems, registry)
    _check_forms(registry, problems, builtin_forms)
    _check_codes(registry, problems, builtin_codes)
    _check_person_ids(registry, problems)
    _check_successors(registry, problems)
    return registry


def _check_successors(registry: Registry, problems: Problems) -> None:
    """A country file's ``successors`` must name countries: an id that is none
    would vanish from its page without a word (built-in data is checked
    where it is loaded)."""
    for e in registry.entities.values():
        if e.kind != "country" or e.source is None:
            continue
        for succ in e.successors:
            if f"countries/{succ}" not in registry.entities or succ == e.id:
                problems.error(e.source, registry.lines.get(e.key, {}).get("successors"),
                               f"successor '{succ}' is not another country's id",
                               "write ids of built-in countries or of files in content/countries/ "
                               "(e.g. successors: [russia, ukraine])")


def _check_person_ids(registry: Registry, problems: Problems) -> None:
    """Two people files with one Wikidata id describe one person twice.

    Homonyms are real (two John Smiths) and only warned about; one Wikidata
    item is one person, so the archive would split their articles between
    two pages. Reported at the later file, naming the first."""
    first: dict[str, Entity] = {}
    for e in sorted(registry.people, key=lambda e: e.key):
        if not e.wikidata:
            continue
        other = first.setdefault(e.wikidata, e)
        if other is not e:
            problems.error(e.source or e.key, registry.lines.get(e.key, {}).get("wikidata"),
                           f"wikidata {e.wikidata} is also the id of {other.source or other.key}: "
                           "two files for one person",
                           "keep one file and put the other's name in its aliases")


# Other meanings that capitalisation and neighbouring words cannot rule out:
# such a form links only when the article names the country otherwise too.
# ("organization", "common-word", "language", "period" are left to the
# longer-name and ALL-CAPS rules: "China Daily", "US" in "LET US GO".)
NEEDS_EVIDENCE = frozenset({"us-state", "given-name", "person", "region", "river", "historical-state", "country"})


def _needs_evidence(countries: tuple[str, ...], other: tuple[str, ...]) -> bool:
    return len(countries) > 1 or bool(NEEDS_EVIDENCE & set(other))


def _copy(e: Entity) -> Entity:
    values: dict[str, Any] = {k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                              for k, v in e.__dict__.items()}
    return Entity(**values)


def _files(root: Path, section: str, problems: Problems) -> list[Path]:
    """The ``*.md`` entries of content/<section> (people, countries), by name.

    The folder is optional, but one that is a file is an error: the build
    read it as empty and every person's links and page left the site, with
    only an 'unknown person id' in some article to show for it. What else
    lies there (a subfolder, a linked folder, notes.txt, kerry.MD) is warned
    about as not read, found by the one listing the folder needs anyway."""
    folder = root / "content" / section
    rel = f"content/{section}"
    what = "people files" if section == "people" else "country files"
    why = unreadable_folder(folder)
    if why is not None:
        problems.error(rel, None, why, f"{rel} holds the {what} (<id>.md): move this away and create the "
                                       f"folder (mkdir {rel}), or remove it")
        return []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:  # absent (optional), or unreadable: as before, nothing to load
        return []
    found = []
    for e in entries:
        if is_junk(e.name):
            continue
        if e.name.endswith(".md"):
            found.append(Path(e.path))  # whatever it is: _read reports a folder or a pipe named x.md
        elif is_dir_entry(e):
            problems.warning(_rel(root, Path(e.path)), None,
                             f"not read: {what} are .md files directly in {rel}, not in subfolders",
                             f"move its .md files up into {rel}/, or move the folder out of content/")
        else:
            problems.warning(_rel(root, Path(e.path)), None, f"not read: {what} are .md files", unread_hint(e.name, rel))
    return found


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _read(root: Path, path: Path, problems: Problems) -> frontmatter.Document | None:
    rel = _rel(root, path)
    odd = not_a_file(path)
    if odd:
        problems.error(rel, None, odd, "replace it with the entity's Markdown file, or remove it")
        return None
    try:
        text = frontmatter.decode(path.read_bytes(), rel)
        doc = frontmatter.parse(text, rel)
        control = frontmatter.body_control_character(doc.body, doc.body_line)
        if control:  # the body is the entity page's text, as an article's is
            problems.error(rel, control[1], f"control character {control[0]} in the text is not allowed",
                           frontmatter.CONTROL_HINT)
        return doc
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
        items = [x.strip() for x in value]
        if not all(items):
            self.problems.error(self.rel, self.line(key), f"'{key}' has an empty entry",
                                f"remove the empty text (\"\" or \" \") from the list, e.g. {key}: [\"First form\"]")
        return [x for x in items if x]

    def forms(self, key: str) -> list[str]:
        """A list of forms the linker matches (aliases, demonyms), each with a capital letter.

        Matching is case-sensitive, so a form in lower case only ("the")
        would be found in ordinary prose and link every such word. Forms in a
        script without capitals (习近平) are fine.
        """
        return [form for form in self.text_list(key) if self.capitalised(key, form)]

    def capitalised(self, key: str, form: str) -> bool:
        """True for a form with a capital letter (or in a script without capitals); else an error.

        A name without capitals is only warned about and kept: some people
        write theirs that way (bell hooks), and the file is about them; an
        alias is an extra form someone chose, and is refused."""
        if form == form.lower() and form != form.upper():
            what = SINGULAR.get(key, key)
            if key == "name":
                self.problems.warning(self.rel, self.line(key),
                                      f"name '{form}' has no capital letter, so it links those words "
                                      "wherever ordinary text uses them",
                                      "write the name with its capitals if it has them, e.g. name: Jane Doe")
                return True
            self.problems.error(self.rel, self.line(key),
                                f"{what} '{form}' has no capital letter, so it would link the word "
                                f"'{form}' wherever ordinary text uses it",
                                f"write the {what} as a name is written, with its capitals "
                                f"(e.g. 'Senator Kerry'), or remove it")
            return False
        common = _common_word(form)
        if common:
            what = SINGULAR.get(key, key)
            self.problems.warning(self.rel, self.line(key),
                                  f"{what} '{form}' is {common}, so it links '{form}' wherever a sentence "
                                  "or heading starts with it",
                                  "write the full name, e.g. name: Jane Doe" if key == "name" else
                                  f"remove the {what}, or write a longer form (e.g. 'Senator Kerry')")
        return True

    def life_date(self, key: str) -> str | None:
        """``born``/``died`` as written, if it is a real date: YYYY-MM-DD, YYYY-MM or YYYY.

        The value goes as it is into the page and its JSON-LD (birthDate),
        where anything else would be invalid structured data.
        """
        value = self.text(key)
        if not value:
            return None
        example = f"write YYYY-MM-DD, YYYY-MM or YYYY, e.g. {key}: 1943-12-11"
        if not LIFE_DATE_RE.match(value):
            self.problems.error(self.rel, self.line(key), f"'{key}' must be a date, not '{value}'", example)
            return None
        reason = _date_problem(value)
        if reason:
            self.problems.error(self.rel, self.line(key), f"'{key}' is not a real date: '{value}' ({reason})", example)
            return None
        return value

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


def _common_word(form: str) -> str:
    """'a single letter' or 'a common English word' for a form ordinary text starts sentences
    with ('A', 'The', 'May'), else ''.

    Matching is case-sensitive, which keeps a lower-case form from matching
    mid-sentence, but not a capitalised one from matching the first word of
    every sentence. Like a name without capitals it is warned about, not
    refused: the person may really be called that. An all-capitals form ('US',
    'IT') is not the word and is left alone."""
    from .linker import FUNCTION_WORDS  # local import: linker imports this module

    if len(form) == 1 and form.isalpha():
        return "a single letter"
    if form != form.upper() and form.lower() in FUNCTION_WORDS:
        return "a common English word"
    return ""


def _date_problem(value: str) -> str:
    """Why a YYYY[-MM[-DD]] text is not a real date ('' when it is one)."""
    match = LIFE_DATE_RE.match(value)
    assert match is not None  # the caller checked the shape
    year, month, day = match.groups()  # the year is always there, the month and day may not be
    if month is not None and not 1 <= int(month) <= 12:
        return "month must be in 1..12"
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        return str(exc)
    return ""


def _date_parts(value: str | None) -> tuple[int, ...]:
    """(year, month, day) as far as written; () for no date."""
    match = LIFE_DATE_RE.match(value or "")
    return tuple(int(part) for part in match.groups() if part) if match else ()


def _check_life(f: _Fields, born: str | None, died: str | None) -> None:
    """A death before the birth is a typo in one of them.

    Dates of different precision are compared as far as both go: 1943 and
    1943-12-11 may be the same day.
    """
    b, d = _date_parts(born), _date_parts(died)
    n = min(len(b), len(d))
    if n and d[:n] < b[:n]:
        f.problems.error(f.rel, f.line("died"), f"'died' ({died}) is before 'born' ({born})",
                         "check both dates; one of them is probably mistyped")


def _check_id(rel: str, ident: str, problems: Problems, section: str) -> bool:
    if not ID_RE.match(ident):
        problems.error(rel, None, f"file name '{ident}.md' is not a usable id",
                       "ids are URL slugs: lowercase letters, digits and single hyphens, e.g. john-kerry.md")
        return False
    if ident in WINDOWS_RESERVED:
        problems.error(rel, None, f"file name '{ident}.md' is a name Windows reserves ({ident.upper()}): "
                                  f"the folder /{section}/{ident}/ could not be made there",
                       "rename the file, e.g. with the full name")
        return False
    if ident in RESERVED_IDS:
        example = "jane-doe.md" if section == "people" else "atlantis.md"
        problems.error(rel, None, f"file name '{ident}.md' is taken: /{section}/{ident}/ is the {section} "
                                  f"{RESERVED_IDS[ident]}",
                       f"rename the file, e.g. {example}")
        return False
    return True


def _load_person(root: Path, path: Path, problems: Problems, registry: Registry) -> Entity | None:
    rel = _rel(root, path)
    ident = path.stem
    if not _check_id(rel, ident, problems, "people"):
        return None
    doc = _read(root, path, problems)
    if doc is None:
        return None
    f = _Fields(rel, doc, problems)
    before = len(problems.errors)
    name = f.text("name")
    if not name:
        if len(problems.errors) == before:  # else the name's own error (a control character …) says it all
            problems.error(rel, f.line("name") or 1, "person has no name" if "name" not in doc.meta else "'name' is empty",
                           "add a line 'name: Full Name' to the front matter")
        return None
    f.capitalised("name", name)
    image = doc.meta.get("image")
    if isinstance(image, str):
        image = {"src": image}
    if image is not None and not isinstance(image, dict):
        problems.error(rel, f.line("image"), f"'image' must be a path or a mapping, not {kind_of(image)}",
                       "e.g. image: {src: /media/kerry.jpg, alt: \"John Kerry\"}")
        image = None
    found = image_src_problem(str(image.get("src", "")), "/media/kerry.jpg") if image is not None else None
    if found:
        problems.error(rel, f.line("image"), *found)
        image = None
    if image is not None:
        codes = [control_character(v) for v in image.values() if isinstance(v, str)]
        code = next((c for c in codes if c), None)
        if code:
            problems.error(rel, f.line("image"), f"control character {code} in 'image' is not allowed", ESCAPED_CONTROL_HINT)
            image = None
    registry.lines[f"people/{ident}"] = doc.key_lines
    born, died = f.life_date("born"), f.life_date("died")
    _check_life(f, born, died)
    return Entity(
        id=ident, kind="person", name=name, aliases=f.forms("aliases"),
        description=f.text("description") or "", wikidata=f.wikidata(), image=image,
        born=born, died=died, body=doc.body.strip("\n"), source=rel,
        extra=f.unknown(PERSON_FIELDS),
    )


def _load_country(root: Path, path: Path, problems: Problems, registry: Registry) -> None:
    rel = _rel(root, path)
    ident = path.stem
    if not _check_id(rel, ident, problems, "countries"):
        return
    doc = _read(root, path, problems)
    if doc is None:
        return
    f = _Fields(rel, doc, problems)
    key = f"countries/{ident}"
    registry.lines[key] = doc.key_lines
    existing = registry.entities.get(key)
    aliases, demonyms = f.forms("aliases"), f.forms("demonyms")
    successors = list(dict.fromkeys(f.text_list("successors")))  # a repeated id counts once
    extra = f.unknown(COUNTRY_FIELDS)
    if existing is not None:
        # Extend a built-in country: add forms, replace the texts given.
        existing.aliases += [a for a in aliases if a not in existing.aliases]
        existing.demonyms += [d for d in demonyms if d not in existing.demonyms]
        for attr in ("name", "description", "official_name", "iso2", "iso3"):
            value = f.text(attr)
            if value:
                if attr == "name" and value != existing.name:  # renamed: the old name stays one of its forms
                    existing.aliases = [a for a in existing.aliases if a != value]
                    if existing.name not in existing.aliases:
                        existing.aliases.append(existing.name)
                setattr(existing, attr, value)
        wd = f.wikidata()
        if wd:
            existing.wikidata = wd
        if successors:
            existing.successors = successors
        if doc.body.strip():
            existing.body = doc.body.strip("\n")
        existing.source = rel
        existing.extra.update(extra)
        return
    before = len(problems.errors)
    name = f.text("name")
    if not name:
        if len(problems.errors) == before:  # else the name's own error says it all
            problems.error(rel, f.line("name") or 1,
                           f"'{ident}' is not a built-in country, so it needs a name",
                           "add 'name: ...', or rename the file to a built-in country id (e.g. russia.md)")
        return
    f.capitalised("name", name)
    former = doc.meta.get("former", False)
    if not isinstance(former, bool):
        problems.error(rel, f.line("former"), "'former' must be true or false", "write former: true")
        former = False
    registry.entities[key] = Entity(
        id=ident, kind="country", name=name, aliases=aliases, description=f.text("description") or "",
        wikidata=f.wikidata(), iso2=f.text("iso2"), iso3=f.text("iso3"), official_name=f.text("official_name"),
        demonyms=demonyms, successors=successors, former=former,
        body=doc.body.strip("\n"), source=rel, extra=extra,
    )


# --- forms and codes two entities share -------------------------------------------

NAME_FIELDS = ("name", "official name")
FIELD_KEYS = {"name": "name", "official name": "official_name", "alias": "aliases", "demonym": "demonyms"}
CODE_FIELDS = {"iso2": "ISO code", "iso3": "ISO code", "wikidata": "Wikidata id"}


@dataclass(frozen=True)
class _Form:
    """One form of an entity, and whether a file wrote it or the built-in list did."""

    entity: Entity
    text: str
    folded: str  # the comparison key: accents and apostrophes folded
    field: str  # "name", "official name", "alias", "demonym", or "form": an ambiguous form no country claims
    builtin: bool


def _entity_forms(e: Entity) -> list[tuple[str, str]]:
    """(form, field) of every name the linker matches for ``e``."""
    forms = [(e.name, "name")]
    if e.official_name:
        forms.append((e.official_name, "official name"))
    return forms + [(a, "alias") for a in e.aliases] + [(d, "demonym") for d in e.demonyms]


def _builtin_forms(registry: Registry) -> dict[str, set[str]]:
    """Folded forms of each built-in entity, taken before country files extend them.

    A form in here is the curated data's, which countries.py has already
    checked; only what files add can conflict.
    """
    from .linker import fold  # local import: linker imports this module

    return {key: {fold(t) for t, _ in _entity_forms(e)} for key, e in registry.entities.items()}


def _all_forms(registry: Registry, builtin: dict[str, set[str]]) -> list[_Form]:
    """Every entity's forms, plus the ambiguous forms no country claims ("Congo", "Korea")."""
    from .linker import fold  # local import: linker imports this module

    out = []
    for e in registry.entities.values():
        for text, what in _entity_forms(e):
            folded = fold(text)
            out.append(_Form(e, text, folded, what, folded in builtin.get(e.key, ())))
    claimed = set().union(*builtin.values()) if builtin else set()
    for text, (keys, _) in registry.ambiguous.items():
        if fold(text) not in claimed:
            out += [_Form(registry.entities[k], text, fold(text), "form", True) for k in keys if k in registry.entities]
    return out


def _check_forms(registry: Registry, problems: Problems, builtin: dict[str, set[str]]) -> None:
    """A name, alias or demonym a file writes must name one entity only.

    Otherwise the linker sees two meanings and silently links neither. A
    form the curated data marks ambiguous between two countries ("Congo",
    "Dominican") may be added by either of them. Two people sharing a name
    are only warned about: homonyms are real, and an article that lists one
    of them in 'people' still links the name.
    """
    forms = _all_forms(registry, builtin)
    owners: dict[str, list[_Form]] = {}
    for form in forms:
        owners.setdefault(form.folded, []).append(form)
    ambiguous = {fold_form(t): set(keys) for t, (keys, _) in registry.ambiguous.items()}
    reported: set[tuple[str, str, str]] = set()
    for mine in forms:
        if mine.builtin or (mine.entity.key, mine.field, mine.folded) in reported:
            continue
        for other in owners[mine.folded]:
            if _reported_at(mine, other, ambiguous.get(mine.folded, set())):
                reported.add((mine.entity.key, mine.field, mine.folded))
                _report_shared(registry, problems, mine, other)
                break


def _reported_at(mine: _Form, other: _Form, candidates: set[str]) -> bool:
    """Whether a form two entities share is reported at ``mine``: once per pair.

    At the side a file wrote; then at the alias rather than the name; then
    at the country rather than the person (a person's name is the archive's
    own data, a country file only extends a fixed list); else at the later id.
    """
    e, o = mine.entity, other.entity
    if o.key == e.key or mine.builtin:
        return False
    if e.kind == o.kind == "country" and {e.key, o.key} <= candidates:
        return False  # an ambiguous form of both ("Congo"): the linker asks the article
    if other.builtin:
        return True
    if (mine.field in NAME_FIELDS) != (other.field in NAME_FIELDS):
        return mine.field not in NAME_FIELDS
    if e.kind != o.kind:
        return e.kind == "country"
    return e.key > o.key


def _report_shared(registry: Registry, problems: Problems, mine: _Form, other: _Form) -> None:
    """One problem at ``mine``'s file and key, naming the other entity and where it comes from."""
    e, o = mine.entity, other.entity
    assert e.source is not None  # mine is a form a file wrote (never built in), so e comes from that file
    where = "the built-in country list" if other.builtin else o.source
    article = {"alias": "an", "demonym": "a", "form": "a"}.get(other.field, "the")
    owner = f"{article} {other.field} of the {_what(o.kind)} '{o.name}' ({where})"
    line = registry.lines.get(e.key, {}).get(FIELD_KEYS[mine.field])
    if mine.field not in NAME_FIELDS:
        problems.error(e.source, line, f"{mine.field} '{mine.text}' of '{e.name}' is also {owner}",
                       f"{'an' if mine.field == 'alias' else 'a'} {mine.field} must name one entity; "
                       f"remove it from {'this file' if other.builtin else 'one of the files'}")
        return
    message = f"{_what(e.kind)} {mine.field} '{mine.text}' is also {owner}"
    if e.kind == "person" and o.kind == "person" and other.field == "name":
        problems.warning(e.source, line, message,
                         f"an article links '{mine.text}' when it lists one of them in 'people', or when "
                         "its names match one's description and biography clearly better (give each "
                         "a description that tells them apart); if both files are one person, merge them")
    elif e.kind == "person":
        problems.error(e.source, line, message, "a name must name one entity; write the person's full name, "
                                                "or add a middle name or initial (e.g. name: Jane Q. Doe)")
    elif other.builtin and o.kind == "country" and other.field in ("name", "official name", "alias"):
        problems.error(e.source, line, message, f"to add to the built-in country, name the file {o.id}.md; "
                                                "otherwise give this country a name no other entity uses")
    else:
        problems.error(e.source, line, message, "a name must name one entity; give this country a name "
                                                "no other entity uses")


def _codes(e: Entity) -> dict[str, set[str]]:
    """A country's ISO codes (upper case) and Wikidata ids, by field."""
    also = e.extra.get("wikidata_also")
    also = [q for q in also if isinstance(q, str)] if isinstance(also, list) else []
    return {"iso2": {e.iso2.upper()} if e.iso2 else set(), "iso3": {e.iso3.upper()} if e.iso3 else set(),
            "wikidata": {q for q in [e.wikidata, *also] if q}}


def _check_codes(registry: Registry, problems: Problems, builtin: dict[str, dict[str, set[str]]]) -> None:
    """An ISO code or Wikidata id a country file writes must not be another country's.

    It would put the other country's identity in this one's structured
    data. Former countries may share an ISO code: ISO 3166-3 reused some
    (CS was Czechoslovakia, then Serbia and Montenegro).
    """
    owners: dict[tuple[str, str], list[Entity]] = {}
    for c in registry.countries:
        for fld, codes in _codes(c).items():
            for code in codes:
                owners.setdefault((fld, code), []).append(c)
    for e in registry.countries:
        if e.source is None:
            continue
        for fld in CODE_FIELDS:
            written = getattr(e, fld)
            code = written.upper() if written and fld != "wikidata" else written
            if not code or code in builtin.get(e.key, {}).get(fld, set()):
                continue
            for o in owners.get((fld, code), []):
                if o.key == e.key or (fld != "wikidata" and e.former and o.former):
                    continue
                in_builtin = code in builtin.get(o.key, {}).get(fld, set())
                if o.source is not None and not in_builtin and o.key > e.key:
                    continue  # two files with one code: reported once, at the later file
                where = "the built-in country list" if in_builtin or o.source is None else o.source
                hint = ("each country has its own Wikidata id; check it on wikidata.org" if fld == "wikidata" else
                        "each country has its own ISO 3166 code; a file need not repeat a built-in country's code")
                problems.error(e.source, registry.lines.get(e.key, {}).get(fld),
                               f"{fld} '{written}' of '{e.name}' is the {CODE_FIELDS[fld]} of the country "
                               f"'{o.name}' ({where})", hint)
                break
