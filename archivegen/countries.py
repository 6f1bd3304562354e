"""The built-in countries: every ISO 3166-1 country, plus former countries.

Codes and ISO names come from pycountry; ``archivegen/data/countries.yaml``
adds only what pycountry lacks: the name a news reader knows (``Russia``, not
``Russian Federation``), the Wikidata id, aliases and abbreviations (``US``,
``U.S.``, ``Britain``), demonyms (``Russian``, ``Russians``), former countries
(Soviet Union, Yugoslavia, East Germany, Zaire …) with their successors, and
the forms that are ambiguous.

Public API
----------
``builtin_countries() -> list[Entity]``
    All built-in countries, current first (ISO order), then former ones.
    Each call returns fresh Entity objects (callers may change them); the
    parse behind them is cached, so calls after the first are cheap.
``use_cache(cache)``, ``save_cache()``
    Read the built countries from the build cache (``cache.Cache``), and
    write them there once a build succeeded, so a build need not load
    pycountry's database.
``surface_forms(entity) -> list[str]``
    Name, official name, aliases and demonyms: every form that refers to it.
``AMBIGUOUS: dict[str, str]``
    Surface form -> why it is ambiguous (``"Georgia"``: also the US state).
``AMBIGUITIES: dict[str, Ambiguity]``
    The same forms with the country ids they may mean and the kinds of
    other meanings (``us-state``, ``person``, ``river`` …). A form claimed
    by one country (``Georgia``) is that country's alias or demonym but
    wants context; a form with several candidates and no claimant
    (``Congo``, ``Korea``, ``Korean``) belongs to no country.
``NOT_COUNTRIES: dict[str, str]``
    Longer forms that contain a country's name but are not the country
    (``Northern Ireland``, ``New Mexico``, ``Niger Delta``); a linker that
    matches longest first can consume them and link nothing.

Entity fields set: ``id`` (slug of ``name``), ``kind="country"``, ``name``,
``official_name``, ``iso2``/``iso3`` (for former countries their ISO 3166-3
alpha-2/alpha-3, where they had one), ``wikidata``, ``aliases``,
``demonyms``, ``description`` (former countries only), ``former``,
``successors`` (ids), ``source=None`` and ``extra``:

- ``wikidata_also``: further Q-ids of the same country (Ireland the island
  Q22890, SFR Yugoslavia Q83286, Kingdom of the Netherlands Q29999 …)
- ``iso_numeric``: ISO 3166-1 numeric code (current countries)
- ``iso3166_3``: the ISO 3166-3 code of a former country (``SUHH``)
- ``years``: ``"1922–1991"`` (former countries)
- ``ambiguous_forms``: ``{form: note}`` for every ambiguous form that may
  mean this country (including forms no country claims, such as ``Congo``)
- ``iso_user_assigned``: true for Kosovo (XK, outside ISO 3166-1)
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .entities import Entity
from .slugs import SLUG_RE, slugify

__all__ = [
    "AMBIGUITIES",
    "AMBIGUOUS",
    "NOT_COUNTRIES",
    "Ambiguity",
    "CountryDataError",
    "builtin_countries",
    "surface_forms",
]

_DATA_FILE = "countries.yaml"
_QID = re.compile(r"^Q[1-9][0-9]*$")
_WORD = re.compile(r"[\w'.-]+")


class CountryDataError(ValueError):
    """The built-in country data contradicts itself (a packaging bug)."""


@dataclass(frozen=True)
class Ambiguity:
    """A surface form that does not name one country by itself."""

    form: str
    countries: tuple[str, ...]  # ids it may mean; the first is the usual reading
    other: tuple[str, ...]  # kinds of non-country meanings: us-state, person, river …
    note: str


def builtin_countries() -> list[Entity]:
    """Every built-in country as a new Entity (current ones, then former ones)."""
    return [_entity(spec) for spec in _specs()]


def surface_forms(entity: Entity) -> list[str]:
    """Name, official name, aliases and demonyms, without repeats."""
    forms = [entity.name]
    if entity.official_name:
        forms.append(entity.official_name)
    forms += entity.aliases
    forms += entity.demonyms
    return list(dict.fromkeys(forms))


def __getattr__(name: str) -> Any:
    # Lazy module constants: importing this module reads no file.
    if name == "AMBIGUITIES":
        return _ambiguities()
    if name == "AMBIGUOUS":
        return {form: a.note for form, a in _ambiguities().items()}
    if name == "NOT_COUNTRIES":
        return dict(_data()["not_countries"])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- loading -----------------------------------------------------------------


def _fold(text: str) -> str:
    """Comparison key of a form: accents, apostrophe styles and case folded."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'").replace("\u2018", "'"))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


_PREPARED: dict[str, Any] = {}  # 'data' and 'specs' as read by use_cache; 'pending': the entry to save
CACHE_ENTRY = "countries.json"


def use_cache(cache: Any) -> None:
    """Take the parsed data file and the built countries from the ``cache.Cache`` entry ``countries.json``.

    Building them loads pycountry's database and parses the data file: a
    tenth of a second in every build, more than the rest of an unchanged
    registry. The entry is kept for one archivegen version, one copy of
    pycountry's country databases (by their stats) and one data file (by
    its bytes), sealed like every cache entry.
    When it is missing or differs, ``save_cache`` writes it, which a build
    calls only once it has succeeded (a refused build writes nothing). Call
    it before anything else here; once built in this process, the data is
    not replaced.
    """
    from importlib.util import find_spec

    from . import code_id
    from .cache import digest

    raw = resources.files("archivegen.data").joinpath(_DATA_FILE).read_bytes()
    # pycountry's own databases by their stats: asking for its version (importlib.metadata, or
    # importing it) would cost a third of what the cache saves
    spec = find_spec("pycountry")
    if spec is None or not spec.origin:
        return
    databases = Path(spec.origin).parent / "databases"
    try:
        stats = [(st.st_size, st.st_mtime_ns) for st in (
            (databases / name).stat() for name in ("iso3166-1.json", "iso3166-3.json"))]
    except OSError:
        return
    key = digest(code_id(), spec.origin, repr(stats), hashlib.sha256(raw).hexdigest())
    stored = cache.read(CACHE_ENTRY, key)
    if isinstance(stored, dict) and isinstance(stored.get("data"), dict) and isinstance(stored.get("specs"), list):
        _PREPARED.update(data=stored["data"], specs=tuple(stored["specs"]))
    else:
        _PREPARED["pending"] = (cache, key)


def save_cache() -> None:
    """Write what ``use_cache`` did not find, if this process built it meanwhile."""
    pending = _PREPARED.pop("pending", None)
    if pending is None or _specs.cache_info().currsize == 0:
        return
    cache, key = pending
    cache.write(CACHE_ENTRY, key, {"data": _data(), "specs": list(_specs())})


@functools.cache
def _data() -> dict[str, Any]:
    if "data" in _PREPARED:
        return _PREPARED["data"]
    text = resources.files("archivegen.data").joinpath(_DATA_FILE).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    for section in ("countries", "former", "historic_aliases", "historic_skipped", "ambiguous", "not_countries"):
        if not isinstance(data.get(section), dict):
            raise CountryDataError(f"{_DATA_FILE}: section '{section}' is missing or not a mapping")
    return data


@functools.cache
def _ambiguities() -> dict[str, Ambiguity]:
    out = {}
    for form, spec in _data()["ambiguous"].items():
        out[form] = Ambiguity(
            form=form,
            countries=tuple(spec.get("countries") or ()),
            other=tuple(spec.get("other") or ()),
            note=spec.get("note") or "",
        )
    return out


def _strip_the(name: str | None) -> str | None:
    # pycountry writes some official names with a leading article ("the State of Eritrea").
    if name and name.startswith("the "):
        return name[4:]
    return name


def _forms(*groups: Any, drop: set[str], name: str) -> list[str]:
    """Distinct forms (by folded key) from the groups, minus dropped ones and the name."""
    seen = {_fold(name)} | {_fold(d) for d in drop}
    out = []
    for group in groups:
        for form in group or ():
            if not form:
                continue
            key = _fold(form)
            if key not in seen:
                seen.add(key)
                out.append(form)
    return out


@functools.cache
def _specs() -> tuple[dict[str, Any], ...]:
    """The parsed, validated countries as plain dicts (copied into Entities)."""
    if "specs" in _PREPARED:
        return _PREPARED["specs"]
    import pycountry  # imported here: it loads its database on first use

    data = _data()
    curated: dict[str, dict[str, Any]] = data["countries"]
    specs: list[dict[str, Any]] = []

    iso_codes = set()
    for c in pycountry.countries:
        iso_codes.add(c.alpha_2)
        cur = curated.get(c.alpha_2) or {}
        common = getattr(c, "common_name", None)
        py_official = _strip_the(getattr(c, "official_name", None))
        name = cur.get("name") or common or c.name
        official = cur.get("official_name") or py_official
        drop = set(cur.get("drop") or ())
        extra: dict[str, Any] = {"iso_numeric": c.numeric}
        specs.append(_spec(
            cur, name=name, official=official, iso2=c.alpha_2, iso3=c.alpha_3, former=False, extra=extra,
            aliases=_forms(cur.get("aliases"), [official, c.name, common, py_official], drop=drop, name=name),
        ))
    for code, cur in curated.items():
        if code in iso_codes or not cur.get("iso3"):
            continue  # a code pycountry no longer has, without the data to stand alone
        name = cur.get("name") or code
        official = cur.get("official_name")
        specs.append(_spec(
            cur, name=name, official=official, iso2=code, iso3=cur["iso3"], former=False,
            extra={"iso_user_assigned": True},
            aliases=_forms(cur.get("aliases"), [official], drop=set(cur.get("drop") or ()), name=name),
        ))
    for ident, cur in data["former"].items():
        extra = {"years": cur["years"]} if cur.get("years") else {}
        iso2 = iso3 = None
        if cur.get("iso3166_3"):
            h = pycountry.historic_countries.get(alpha_4=cur["iso3166_3"])
            if h is None:
                raise CountryDataError(f"former country '{ident}': pycountry has no ISO 3166-3 code {cur['iso3166_3']}")
            iso2, iso3 = h.alpha_2, h.alpha_3
            extra["iso3166_3"] = h.alpha_4
        name = cur["name"]
        official = cur.get("official_name")
        specs.append(_spec(
            cur, name=name, official=official, iso2=iso2, iso3=iso3, former=True, extra=extra, ident=ident,
            aliases=_forms(cur.get("aliases"), [official], drop=set(cur.get("drop") or ()), name=name),
        ))

    ambiguities = _ambiguities()
    by_id = {s["id"]: s for s in specs}
    for form, amb in ambiguities.items():
        for ident in amb.countries:
            if ident in by_id:
                by_id[ident]["extra"].setdefault("ambiguous_forms", {})[form] = amb.note
    _validate(specs, ambiguities, data, pycountry)
    return tuple(specs)


def _spec(cur: dict[str, Any], *, name: str, official: str | None, iso2: str | None, iso3: str | None,
          former: bool, extra: dict[str, Any], aliases: list[str], ident: str | None = None) -> dict[str, Any]:
    also = list(cur.get("wikidata_also") or ())
    if also:
        extra["wikidata_also"] = also
    return {
        "id": ident or cur.get("id") or slugify(name),
        "name": name,
        "official_name": official,
        "iso2": iso2,
        "iso3": iso3,
        "wikidata": cur.get("wikidata"),
        "aliases": aliases,
        "demonyms": _forms(cur.get("demonyms"), drop=set(), name=""),
        "description": cur.get("description") or "",
        "former": former,
        "successors": list(cur.get("successors") or ()),
        "extra": extra,
    }


def _entity(spec: dict[str, Any]) -> Entity:
    extra = {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v)
             for k, v in spec["extra"].items()}
    return Entity(
        id=spec["id"], kind="country", name=spec["name"], aliases=list(spec["aliases"]),
        description=spec["description"], wikidata=spec["wikidata"], iso2=spec["iso2"], iso3=spec["iso3"],
        official_name=spec["official_name"], demonyms=list(spec["demonyms"]),
        successors=list(spec["successors"]), former=spec["former"], source=None, extra=extra,
    )


# --- validation ----------------------------------------------------------------


def _validate(specs: list[dict[str, Any]], ambiguities: dict[str, Ambiguity], data: dict[str, Any],
              pycountry: Any) -> None:
    """Raise CountryDataError listing every inconsistency of the built-in data."""
    errors: list[str] = []
    ids: set[str] = set()
    for s in specs:
        if s["id"] in ids:
            errors.append(f"id '{s['id']}' is used twice")
        ids.add(s["id"])
        if not SLUG_RE.match(s["id"]):
            errors.append(f"id '{s['id']}' is not a slug")

    for field in ("iso2", "iso3"):
        seen: dict[str, str] = {}
        for s in specs:
            code = s[field]
            if s["former"] or not code:
                continue
            if code in seen:
                errors.append(f"{field} {code} belongs to both '{seen[code]}' and '{s['id']}'")
            seen[code] = s["id"]

    qids: dict[str, str] = {}
    for s in specs:
        for q in [s["wikidata"], *s["extra"].get("wikidata_also", ())]:
            if q is None:
                continue
            if not isinstance(q, str) or not _QID.match(q):
                errors.append(f"'{s['id']}': wikidata id {q!r} is not a Q-id")
            elif q in qids:
                errors.append(f"wikidata {q} belongs to both '{qids[q]}' and '{s['id']}'")
            else:
                qids[q] = s["id"]
        for succ in s["successors"]:
            if succ not in ids or succ == s["id"]:
                errors.append(f"'{s['id']}': successor '{succ}' is not another built-in country")
        if s["successors"] and not s["former"]:
            errors.append(f"'{s['id']}' has successors but is not a former country")

    # Every ISO 3166-3 entry is a former country, a former name of a current one, or skipped on purpose.
    accounted: dict[str, str] = {}
    for s in specs:
        code = s["extra"].get("iso3166_3")
        if code:
            accounted[code] = f"former country '{s['id']}'"
    iso2_current = {s["iso2"] for s in specs if not s["former"]}
    for code, target in data["historic_aliases"].items():
        if target not in iso2_current:
            errors.append(f"historic_aliases: {code} points to {target}, not a current country")
        if code in accounted:
            errors.append(f"ISO 3166-3 {code} is both {accounted[code]} and in historic_aliases")
        accounted[code] = "historic_aliases"
    for code in data["historic_skipped"]:
        if code in accounted:
            errors.append(f"ISO 3166-3 {code} is both {accounted[code]} and in historic_skipped")
        accounted[code] = "historic_skipped"
    for h in pycountry.historic_countries:
        if h.alpha_4 not in accounted:
            errors.append(f"ISO 3166-3 {h.alpha_4} ({h.name}) is neither a former country, "
                          "nor in historic_aliases or historic_skipped")

    # No surface form may name two countries.
    owner: dict[str, str] = {}
    for s in specs:
        forms = [s["name"], s["official_name"], *s["aliases"], *s["demonyms"]]
        for form in dict.fromkeys(f for f in forms if f):
            key = _fold(form)
            other = owner.get(key)
            if other is not None and other != s["id"]:
                errors.append(f"'{form}' is a form of both '{other}' and '{s['id']}'")
            owner.setdefault(key, s["id"])

    for form, amb in ambiguities.items():
        for ident in amb.countries:
            if ident not in ids:
                errors.append(f"ambiguous '{form}': '{ident}' is not a built-in country")
        claimant = owner.get(_fold(form))
        if claimant is not None and claimant not in amb.countries:
            errors.append(f"ambiguous '{form}' is a form of '{claimant}', which its countries do not list")
        if claimant is None and len(amb.countries) == 1:
            errors.append(f"ambiguous '{form}' names one country, '{amb.countries[0]}', but is not its form")
        if not amb.countries:
            errors.append(f"ambiguous '{form}' lists no country")

    for form in data["not_countries"]:
        if _fold(form) in owner:
            errors.append(f"not_countries '{form}' is a form of '{owner[_fold(form)]}'")
        words = _WORD.findall(form)
        parts = {_fold(" ".join(words[i:j])) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
        if not any(p in owner or p in {_fold(a) for a in ambiguities} for p in parts):
            errors.append(f"not_countries '{form}' contains no country form, so it is not needed")

    if errors:
        raise CountryDataError(f"{_DATA_FILE} is inconsistent:\n  " + "\n  ".join(errors))
