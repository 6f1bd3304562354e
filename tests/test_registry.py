"""The registry: people files, built-in countries merged with country files, validation."""

from __future__ import annotations

import pickle
import textwrap
from types import SimpleNamespace

from archivegen.entities import Entity
from archivegen.errors import Problems
from archivegen.registry import load_registry

BUILTIN = [
    Entity(id="russia", kind="country", name="Russia", demonyms=["Russian"], iso2="RU", wikidata="Q159"),
    Entity(id="united-states", kind="country", name="United States", aliases=["US"], iso2="US"),
]


def write(root, rel, text):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def load(root):
    problems = Problems()
    return load_registry(root, problems, builtin=BUILTIN), problems


def test_people_and_countries_load(tmp_path):
    write(tmp_path, "content/people/john-kerry.md", """
        ---
        name: John Kerry
        aliases: [Senator Kerry]
        description: US Secretary of State 2013–2017
        wikidata: Q22316
        image: /media/kerry.jpg
        born: 1943-12-11
        ---
        John Kerry is a *US* politician.
        """)
    reg, problems = load(tmp_path)
    assert problems.items == []
    kerry = reg.get("people/john-kerry")
    assert (kerry.name, kerry.aliases, kerry.wikidata, kerry.born) == ("John Kerry", ["Senator Kerry"], "Q22316", "1943-12-11")
    assert kerry.image == {"src": "/media/kerry.jpg"}
    assert kerry.body == "John Kerry is a *US* politician."
    assert kerry.source == "content/people/john-kerry.md"
    assert [e.key for e in reg.people] == ["people/john-kerry"]
    assert {e.key for e in reg.countries} == {"countries/russia", "countries/united-states"}


def test_person_without_name_is_an_error_with_line(tmp_path):
    write(tmp_path, "content/people/nobody.md", "---\ndescription: x\n---\n")
    write(tmp_path, "content/people/empty.md", "---\ndescription: x\nname: ''\n---\n")
    reg, problems = load(tmp_path)
    errs = sorted((p.path, p.line, p.message) for p in problems.errors)
    assert errs == [("content/people/empty.md", 3, "'name' is empty"), ("content/people/nobody.md", 1, "person has no name")]
    assert reg.people == []


def test_wrong_types_are_errors_at_their_line(tmp_path):
    write(tmp_path, "content/people/a.md", "---\nname: A Person\naliases: 5\ndescription: [x]\n---\n")
    _, problems = load(tmp_path)
    assert [(p.line, p.message) for p in problems.errors] == [
        (4, "'description' must be text, not a list"), (3, "'aliases' must be a list of text, not a number")] or \
        sorted((p.line, p.message) for p in problems.errors) == [
        (3, "'aliases' must be a list of text, not a number"), (4, "'description' must be text, not a list")]


def test_bad_wikidata_is_a_warning(tmp_path):
    write(tmp_path, "content/people/a.md", "---\nname: A Person\nwikidata: 22316\n---\n")
    reg, problems = load(tmp_path)
    assert problems.errors == []
    assert [(w.line, "Wikidata" in w.message) for w in problems.warnings] == [(3, True)]
    assert reg.get("people/a").wikidata is None


def test_alias_claimed_by_two_people_names_both_files(tmp_path):
    write(tmp_path, "content/people/a.md", "---\nname: Anna One\naliases: [The Boss]\n---\n")
    write(tmp_path, "content/people/b.md", "---\nname: Bert Two\naliases: [The Boss]\n---\n")
    _, problems = load(tmp_path)
    assert len(problems.errors) == 1
    e = problems.errors[0]
    assert e.path == "content/people/b.md" and e.line == 3
    assert "content/people/a.md" in e.message and "The Boss" in e.message


def test_alias_equal_to_a_country_form_is_an_error(tmp_path):
    write(tmp_path, "content/people/a.md", "---\nname: Anna One\naliases: [Russian]\n---\n")
    _, problems = load(tmp_path)
    assert len(problems.errors) == 1 and "country 'Russia'" in problems.errors[0].message


def test_homonyms_are_allowed(tmp_path):
    write(tmp_path, "content/people/roberto-carlos.md", "---\nname: Roberto Carlos\n---\n")
    write(tmp_path, "content/people/roberto-carlos-2.md", "---\nname: Roberto Carlos\n---\n")
    reg, problems = load(tmp_path)
    assert problems.errors == [] and len(reg.people) == 2


def test_country_file_extends_a_builtin_or_adds_one(tmp_path):
    write(tmp_path, "content/countries/russia.md", "---\naliases: [Rossiya]\ndescription: Big.\n---\nA body.\n")
    write(tmp_path, "content/countries/atlantis.md", "---\nname: Atlantis\ndemonyms: [Atlantean]\nformer: true\n---\n")
    write(tmp_path, "content/countries/nowhere.md", "---\ndescription: no name\n---\n")
    reg, problems = load(tmp_path)
    ru = reg.get("countries/russia")
    assert ru.aliases == ["Rossiya"] and ru.description == "Big." and ru.body == "A body." and ru.iso2 == "RU"
    at = reg.get("countries/atlantis")
    assert at.demonyms == ["Atlantean"] and at.former
    assert [(p.path, "needs a name" in p.message) for p in problems.errors] == [("content/countries/nowhere.md", True)]


def test_a_renamed_builtin_country_keeps_its_old_name(tmp_path):
    """A file that renames a built-in country to one of its aliases (Russia's official name)
    kept neither: every "Russia" went unlinked and the country page vanished."""
    builtin = [Entity(id="russia", kind="country", name="Russia", aliases=["Russian Federation", "Rossiya"])]
    write(tmp_path, "content/countries/russia.md", "---\nname: Russian Federation\n---\n")
    problems = Problems()
    ru = load_registry(tmp_path, problems, builtin=builtin).get("countries/russia")
    assert ru.name == "Russian Federation" and ru.aliases == ["Rossiya", "Russia"] and not problems.items
    assert builtin[0].aliases == ["Russian Federation", "Rossiya"]


def test_country_file_successors_must_be_country_ids(tmp_path):
    write(tmp_path, "content/countries/atlantis.md",
          "---\nname: Atlantis\nformer: true\nsuccessors: [russia, lemuria, atlantis]\n---\n")
    write(tmp_path, "content/countries/russia.md", "---\nsuccessors: [atlantis, atlantis]\n---\n")
    reg, problems = load(tmp_path)
    assert [(p.path, p.line, p.message) for p in problems.errors] == [
        ("content/countries/atlantis.md", 4, "successor 'lemuria' is not another country's id"),
        ("content/countries/atlantis.md", 4, "successor 'atlantis' is not another country's id")]
    # a built-in country's file may set them too; a repeated id counts once
    assert reg.get("countries/russia").successors == ["atlantis"]


def test_builtin_list_is_not_changed(tmp_path):
    write(tmp_path, "content/countries/russia.md", "---\naliases: [Rossiya]\n---\n")
    load(tmp_path)
    assert BUILTIN[0].aliases == []


def test_resolve_id_and_check_ids(tmp_path):
    write(tmp_path, "content/people/john-kerry.md", "---\nname: John Kerry\n---\n")
    reg, _ = load(tmp_path)
    assert [e.key for e in reg.resolve_id("person", "john-kerry")] == ["people/john-kerry"]
    assert [e.key for e in reg.resolve_id(None, "countries/russia")] == ["countries/russia"]
    assert reg.resolve_id("person", "russia") == []
    article = SimpleNamespace(path="content/articles/a.md", people=["john-kery"], countries=["russia"],
                              no_link=["people/john-kerry", "atlantis"], key_lines={"people": 4, "no_link": 6})
    problems = Problems()
    keys = reg.check_ids(article, problems)
    assert keys == {"people": [], "countries": ["countries/russia"], "no_link": ["people/john-kerry"]}
    assert [(p.path, p.line) for p in problems.errors] == [("content/articles/a.md", 4), ("content/articles/a.md", 6)]
    assert "did you mean 'john-kerry'" in problems.errors[0].hint


def test_fingerprint_is_stable_and_follows_changes(tmp_path):
    write(tmp_path, "content/people/a.md", "---\nname: Anna One\n---\n")
    a, _ = load(tmp_path)
    b, _ = load(tmp_path)
    assert a.fingerprint() == b.fingerprint()
    write(tmp_path, "content/people/a.md", "---\nname: Anna One\naliases: [Annie]\n---\n")
    c, _ = load(tmp_path)
    assert c.fingerprint() != a.fingerprint()


def test_registry_pickles_without_its_automaton(tmp_path):
    write(tmp_path, "content/people/a.md", "---\nname: Anna One\n---\n")
    reg, _ = load(tmp_path)
    reg.matcher()
    again = pickle.loads(pickle.dumps(reg))
    assert again._matcher is None and again.matcher().candidates("Anna One")


def test_builtin_countries_load_by_default(tmp_path):
    (tmp_path / "content").mkdir()
    problems = Problems()
    reg = load_registry(tmp_path, problems)
    assert problems.errors == []
    assert reg.get("countries/russia") is not None and reg.ambiguous and reg.not_entities
