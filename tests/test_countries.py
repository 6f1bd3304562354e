"""The built-in country registry: archivegen/countries.py + archivegen/data/countries.yaml."""

from __future__ import annotations

import re
import time
import unicodedata
from importlib import resources

import pycountry
import pytest
import yaml

from archivegen import countries
from archivegen.cache import Cache
from archivegen.countries import CountryDataError, builtin_countries, surface_forms
from archivegen.slugs import SLUG_RE, slugify


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


@pytest.fixture(scope="module")
def all_countries():
    return builtin_countries()


@pytest.fixture(scope="module")
def by_id(all_countries):
    return {e.id: e for e in all_countries}


@pytest.fixture(scope="module")
def current(all_countries):
    return [e for e in all_countries if not e.former]


@pytest.fixture(scope="module")
def former(all_countries):
    return [e for e in all_countries if e.former]


# --- coverage and identity ---------------------------------------------------------


def test_every_iso_3166_1_country_is_built_in(current):
    iso = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    ours = {e.iso2: e.iso3 for e in current}
    assert set(iso) <= set(ours)
    assert {code: ours[code] for code in iso} == iso
    # the one extra: Kosovo, under the user-assigned code the EU and IMF use
    assert set(ours) - set(iso) == {"XK"}
    assert len(current) == len(pycountry.countries) + 1


def test_ids_are_unique_slugs_of_the_name(all_countries):
    ids = [e.id for e in all_countries]
    assert len(ids) == len(set(ids))
    for e in all_countries:
        assert SLUG_RE.match(e.id), e.id
        assert e.id == slugify(e.name), (e.id, e.name)
        assert e.kind == "country"
        assert e.key == f"countries/{e.id}"
        assert e.source is None


def test_iso_codes_of_current_countries_are_unique(current):
    for attr in ("iso2", "iso3"):
        codes = [getattr(e, attr) for e in current]
        assert len(codes) == len(set(codes)), attr


def test_every_country_has_a_unique_wikidata_id(all_countries):
    seen = {}
    for e in all_countries:
        assert e.wikidata and re.fullmatch(r"Q[1-9][0-9]*", e.wikidata), e.id
        for q in [e.wikidata, *e.extra.get("wikidata_also", [])]:
            assert q not in seen, (q, seen.get(q), e.id)
            seen[q] = e.id


@pytest.mark.parametrize("ident, qid", [
    ("united-states", "Q30"), ("russia", "Q159"), ("germany", "Q183"), ("france", "Q142"),
    ("united-kingdom", "Q145"), ("soviet-union", "Q15180"), ("china", "Q148"), ("czech-republic", "Q213"),
    ("democratic-republic-of-the-congo", "Q974"), ("ivory-coast", "Q1008"), ("timor-leste", "Q574"),
    ("palestine", "Q219060"), ("yugoslavia", "Q36704"), ("czechoslovakia", "Q33946"),
    ("east-germany", "Q16957"), ("west-germany", "Q713750"), ("turkey", "Q43"), ("georgia", "Q230"),
])
def test_known_wikidata_ids(by_id, ident, qid):
    assert by_id[ident].wikidata == qid


@pytest.mark.parametrize("ident, qid", [
    ("ireland", "Q22890"),  # the island; the state is Q27
    ("yugoslavia", "Q83286"),  # Socialist Federal Republic of Yugoslavia
    ("netherlands", "Q29999"),  # Kingdom of the Netherlands
])
def test_further_wikidata_ids_of_the_same_country(by_id, ident, qid):
    assert qid in by_id[ident].extra["wikidata_also"]


# --- names -----------------------------------------------------------------------------


@pytest.mark.parametrize("iso_name, ident, name", [
    ("Russian Federation", "russia", "Russia"),
    ("Iran, Islamic Republic of", "iran", "Iran"),
    ("Korea, Republic of", "south-korea", "South Korea"),
    ("Korea, Democratic People's Republic of", "north-korea", "North Korea"),
    ("Syrian Arab Republic", "syria", "Syria"),
    ("Viet Nam", "vietnam", "Vietnam"),
    ("Bolivia, Plurinational State of", "bolivia", "Bolivia"),
    ("Venezuela, Bolivarian Republic of", "venezuela", "Venezuela"),
    ("Tanzania, United Republic of", "tanzania", "Tanzania"),
    ("Moldova, Republic of", "moldova", "Moldova"),
    ("Lao People's Democratic Republic", "laos", "Laos"),
    ("Congo, The Democratic Republic of the", "democratic-republic-of-the-congo", "Democratic Republic of the Congo"),
    ("Congo", "republic-of-the-congo", "Republic of the Congo"),
    ("Holy See (Vatican City State)", "vatican-city", "Vatican City"),
    ("Palestine, State of", "palestine", "Palestine"),
    ("Taiwan, Province of China", "taiwan", "Taiwan"),
    ("Brunei Darussalam", "brunei", "Brunei"),
    ("Micronesia, Federated States of", "micronesia", "Micronesia"),
    ("Türkiye", "turkey", "Turkey"),
    ("United States", "united-states", "United States"),
    ("United Kingdom", "united-kingdom", "United Kingdom"),
])
def test_news_names_override_iso_names(by_id, iso_name, ident, name):
    assert pycountry.countries.get(name=iso_name) is not None, iso_name
    assert by_id[ident].name == name


def test_official_names(by_id):
    assert by_id["russia"].official_name == "Russian Federation"
    assert by_id["united-states"].official_name == "United States of America"
    assert by_id["germany"].official_name == "Federal Republic of Germany"
    assert by_id["soviet-union"].official_name == "Union of Soviet Socialist Republics"
    # pycountry writes "the State of Eritrea"
    assert by_id["eritrea"].official_name == "State of Eritrea"


@pytest.mark.parametrize("ident, forms", [
    ("united-states", ["US", "U.S.", "USA", "U.S.A.", "America", "United States of America"]),
    ("united-kingdom", ["UK", "U.K.", "Britain", "Great Britain", "United Kingdom of Great Britain and Northern Ireland"]),
    ("united-arab-emirates", ["UAE"]),
    ("democratic-republic-of-the-congo", ["DRC", "DR Congo", "Democratic Republic of Congo", "Congo-Kinshasa"]),
    ("republic-of-the-congo", ["Congo-Brazzaville", "Republic of Congo"]),
    ("netherlands", ["the Netherlands", "Holland"]),
    ("ivory-coast", ["Côte d'Ivoire"]),
    ("myanmar", ["Burma"]),
    ("eswatini", ["Swaziland"]),
    ("czech-republic", ["Czechia"]),
    ("north-macedonia", ["Macedonia"]),
    ("timor-leste", ["East Timor"]),
    ("cabo-verde", ["Cape Verde"]),
    ("turkey", ["Türkiye"]),
    ("sri-lanka", ["Ceylon"]),
    ("south-korea", ["Republic of Korea", "S. Korea"]),
    ("north-korea", ["DPRK", "N. Korea"]),
    ("russia", ["Russian Federation"]),
    ("iran", ["Persia", "Iran, Islamic Republic of"]),
    ("taiwan", ["Republic of China", "Chinese Taipei"]),
    ("vatican-city", ["Holy See", "Vatican"]),
])
def test_aliases(by_id, ident, forms):
    for form in forms:
        assert form in by_id[ident].aliases, (ident, form)


@pytest.mark.parametrize("ident, demonyms", [
    ("russia", ["Russian", "Russians"]),
    ("united-states", ["American", "Americans"]),
    ("united-kingdom", ["British", "Briton", "Britons"]),
    ("china", ["Chinese"]),
    ("netherlands", ["Dutch"]),
    ("switzerland", ["Swiss"]),
    ("afghanistan", ["Afghan", "Afghans"]),
    ("iran", ["Iranian", "Iranians"]),
    ("palestine", ["Palestinian", "Palestinians"]),
    ("soviet-union", ["Soviet", "Soviets"]),
])
def test_demonyms(by_id, ident, demonyms):
    for d in demonyms:
        assert d in by_id[ident].demonyms, (ident, d)


def test_most_sovereign_states_have_demonyms(current):
    # Every UN member has one; territories may not (Bouvet Island has no people).
    with_demonyms = [e for e in current if e.demonyms]
    assert len(with_demonyms) >= 200


def test_surface_forms(by_id):
    forms = surface_forms(by_id["united-states"])
    assert forms[0] == "United States"
    assert {"United States of America", "U.S.", "Americans"} <= set(forms)
    assert len(forms) == len(set(forms))


def test_no_surface_form_names_two_countries(all_countries):
    owner = {}
    for e in all_countries:
        for form in surface_forms(e):
            other = owner.setdefault(fold(form), e.id)
            assert other == e.id, f"{form!r}: {other} and {e.id}"


@pytest.mark.parametrize("city", ["Moscow", "Washington", "Beijing", "London", "Paris", "Kinshasa", "Kiev", "Kyiv"])
def test_cities_are_not_country_forms(all_countries, city):
    for e in all_countries:
        assert city not in surface_forms(e), (city, e.id)


# --- former countries --------------------------------------------------------------


@pytest.mark.parametrize("ident, forms, successors", [
    ("soviet-union", ["USSR", "U.S.S.R."], ["russia", "ukraine", "belarus", "kazakhstan", "georgia"]),
    ("yugoslavia", ["Socialist Federal Republic of Yugoslavia", "SFRY", "Federal Republic of Yugoslavia"],
     ["slovenia", "croatia", "bosnia-and-herzegovina", "north-macedonia", "serbia-and-montenegro"]),
    ("czechoslovakia", [], ["czech-republic", "slovakia"]),
    ("east-germany", ["German Democratic Republic", "GDR"], ["germany"]),
    ("west-germany", ["FRG"], ["germany"]),
    ("zaire", [], ["democratic-republic-of-the-congo"]),
    ("serbia-and-montenegro", [], ["serbia", "montenegro"]),
])
def test_former_countries(by_id, ident, forms, successors):
    e = by_id[ident]
    assert e.former is True
    assert set(successors) <= set(e.successors)
    for form in forms:
        assert form in surface_forms(e), form
    assert e.description


def test_former_countries_take_codes_from_iso_3166_3(by_id):
    assert (by_id["soviet-union"].iso2, by_id["soviet-union"].iso3) == ("SU", "SUN")
    assert by_id["soviet-union"].extra["iso3166_3"] == "SUHH"
    assert (by_id["east-germany"].iso2, by_id["east-germany"].iso3) == ("DD", "DDR")
    assert (by_id["zaire"].iso2, by_id["zaire"].iso3) == ("ZR", "ZAR")
    assert by_id["west-germany"].iso2 is None  # never had a code of its own


def test_successors_are_built_in_and_only_on_former_countries(all_countries, by_id):
    for e in all_countries:
        if not e.former:
            assert e.successors == []
        for s in e.successors:
            assert s in by_id and s != e.id


@pytest.mark.parametrize("old, ident", [
    ("Burma", "myanmar"), ("Swaziland", "eswatini"), ("Ceylon", "sri-lanka"), ("Upper Volta", "burkina-faso"),
    ("Dahomey", "benin"), ("Byelorussia", "belarus"), ("New Hebrides", "vanuatu"),
])
def test_former_names_of_current_countries_are_aliases_not_entities(all_countries, by_id, old, ident):
    assert old in by_id[ident].aliases
    assert all(e.name != old for e in all_countries)


def test_every_iso_3166_3_code_is_accounted_for(former):
    data = yaml.safe_load(resources.files("archivegen.data").joinpath("countries.yaml").read_text("utf-8"))
    accounted = [e.extra["iso3166_3"] for e in former if "iso3166_3" in e.extra]
    accounted += list(data["historic_aliases"]) + list(data["historic_skipped"])
    assert sorted(accounted) == sorted(h.alpha_4 for h in pycountry.historic_countries)


# --- ambiguity -------------------------------------------------------------------------


def test_ambiguous_forms(by_id):
    amb = countries.AMBIGUOUS
    assert isinstance(amb, dict) and all(isinstance(v, str) and v for v in amb.values())
    for form in ("Georgia", "Jordan", "Chad", "Guinea", "Niger", "China", "Dominica", "Mali", "Togo", "Congo", "Korea"):
        assert form in amb, form
    assert countries.AMBIGUITIES["Georgia"].countries == ("georgia",)
    assert "us-state" in countries.AMBIGUITIES["Georgia"].other
    assert "Georgia" in by_id["georgia"].extra["ambiguous_forms"]


@pytest.mark.parametrize("form, ids", [
    ("Congo", {"republic-of-the-congo", "democratic-republic-of-the-congo"}),
    ("Korea", {"south-korea", "north-korea"}),
    ("Korean", {"south-korea", "north-korea"}),
    ("Congolese", {"republic-of-the-congo", "democratic-republic-of-the-congo"}),
])
def test_forms_shared_by_two_countries_belong_to_neither(all_countries, by_id, form, ids):
    assert set(countries.AMBIGUITIES[form].countries) == ids
    assert all(fold(form) not in {fold(f) for f in surface_forms(e)} for e in all_countries)
    for ident in ids:
        assert form in by_id[ident].extra["ambiguous_forms"]


def test_every_ambiguity_is_consistent(all_countries, by_id):
    owner = {fold(f): e.id for e in all_countries for f in surface_forms(e)}
    for form, a in countries.AMBIGUITIES.items():
        assert a.form == form and a.note
        assert a.countries and all(i in by_id for i in a.countries), form
        claimant = owner.get(fold(form))
        assert claimant is None or claimant in a.countries, form
        if len(a.countries) == 1:
            assert claimant == a.countries[0], form


def test_not_countries_contain_a_country_form_but_are_not_one(all_countries):
    owner = {fold(f) for e in all_countries for f in surface_forms(e)}
    assert "Northern Ireland" in countries.NOT_COUNTRIES and "New Mexico" in countries.NOT_COUNTRIES
    for form in countries.NOT_COUNTRIES:
        assert fold(form) not in owner, form


# --- behaviour -------------------------------------------------------------------------


def test_each_call_returns_fresh_entities():
    first = builtin_countries()
    first[0].aliases.append("Somewhere")
    first[0].extra["changed"] = True
    first.pop()
    second = builtin_countries()
    assert "Somewhere" not in second[0].aliases
    assert "changed" not in second[0].extra
    assert len(second) == len(first) + 1


def test_cached_calls_are_fast():
    builtin_countries()
    start = time.perf_counter()
    builtin_countries()
    assert time.perf_counter() - start < 0.05


def test_data_file_is_package_data():
    assert resources.files("archivegen.data").joinpath("countries.yaml").is_file()


@pytest.fixture
def patched_data(monkeypatch):
    """Run the loader on a changed copy of the data file."""
    original = countries._data()
    caches = (countries._data, countries._specs, countries._ambiguities)
    # a build earlier in this process may have left the data it read from the cache here,
    # which _data() would return instead of the patched copy
    prepared = dict(countries._PREPARED)
    countries._PREPARED.clear()

    def use(change):
        data = yaml.safe_load(yaml.safe_dump(original, allow_unicode=True))
        change(data)
        for c in caches:
            c.cache_clear()
        monkeypatch.setattr(countries, "_data", lambda: data)

    yield use
    monkeypatch.undo()
    for c in caches:
        c.cache_clear()
    countries._PREPARED.update(prepared)


def test_validation_rejects_a_form_claimed_by_two_countries(patched_data):
    patched_data(lambda d: d["countries"]["FR"].setdefault("aliases", []).append("Deutschland")
                 or d["countries"]["DE"].setdefault("aliases", []).append("Deutschland"))
    with pytest.raises(CountryDataError, match="Deutschland"):
        builtin_countries()


def test_validation_rejects_an_unknown_successor(patched_data):
    patched_data(lambda d: d["former"]["zaire"]["successors"].append("atlantis"))
    with pytest.raises(CountryDataError, match="atlantis"):
        builtin_countries()


def test_validation_rejects_a_city_claimed_as_not_a_country_but_without_country_form(patched_data):
    patched_data(lambda d: d["not_countries"].__setitem__("Moscow", "city"))
    with pytest.raises(CountryDataError, match="Moscow"):
        builtin_countries()


def _fresh_countries_module() -> None:
    """Forget what this process built, so the next call reads or builds again."""
    countries._PREPARED.clear()
    countries._data.cache_clear()
    countries._specs.cache_clear()
    countries._ambiguities.cache_clear()


def test_builtin_countries_are_kept_in_the_cache(tmp_path):
    """use_cache writes the built countries once and later builds read them back unchanged;
    a damaged entry is rebuilt, never trusted."""
    _fresh_countries_module()
    try:
        expected = [e.__dict__ for e in builtin_countries()]
        ambiguous = dict(countries.AMBIGUOUS)
        _fresh_countries_module()
        cache = Cache(tmp_path)
        countries.use_cache(cache)  # nothing there yet: built, then written once the build succeeded
        entry = tmp_path / ".cache" / "countries.json"
        assert [e.__dict__ for e in builtin_countries()] == expected
        assert not entry.exists()
        countries.save_cache()
        assert entry.is_file()
        _fresh_countries_module()
        countries.use_cache(cache)  # read back
        assert "specs" in countries._PREPARED
        assert [e.__dict__ for e in builtin_countries()] == expected
        assert dict(countries.AMBIGUOUS) == ambiguous
        _fresh_countries_module()
        entry.write_bytes(entry.read_bytes().replace(b'"Russia"', b'"Rossiya"', 1))  # seal no longer matches
        countries.use_cache(cache)
        assert "specs" not in countries._PREPARED
        assert [e.__dict__ for e in builtin_countries()] == expected
        countries.save_cache()
        assert b'"Rossiya"' not in entry.read_bytes()
    finally:
        _fresh_countries_module()
