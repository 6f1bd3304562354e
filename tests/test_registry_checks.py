"""People and country files that would break pages or linking without a word:
reserved ids, forms and codes another entity already uses, impossible
birth and death dates, empty and lower-case aliases.

Each case is an error (or, for homonyms, a warning) at the file and line,
with a hint. The registry tests use the real built-in countries, since the
conflicts are with them; two cases also run a build to show the message a
user sees and that the published site stays as it was.
"""

from __future__ import annotations

import textwrap

import pytest

from archivegen.config import Config
from archivegen.errors import Problems
from archivegen.registry import load_registry
from archivegen.render import BodyRenderer

from test_bad_input import bad_case, published  # noqa: F401 - published: a built sample and its snapshot

KERRY = "---\nname: John Kerry\naliases: [Secretary Kerry]\n---\n"


def write(root, rel, text):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def load(root):
    """The registry of ``root`` with the built-in countries, and its problems."""
    (root / "content").mkdir(parents=True, exist_ok=True)
    problems = Problems()
    return load_registry(root, problems), problems


def errors(problems):
    return [(p.path, p.line, p.message) for p in problems.errors]


def only_error(problems):
    assert len(problems.errors) == 1, [p.format() for p in problems.items]
    return problems.errors[0]


# -- 1. ids the site already uses ------------------------------------------------------


@pytest.mark.parametrize("section, example", [("people", "jane-doe.md"), ("countries", "atlantis.md")])
def test_id_of_a_fixed_page_is_an_error(tmp_path, section, example):
    write(tmp_path, f"content/{section}/by-mentions.md", "---\nname: By Mentions\n---\n")
    reg, problems = load(tmp_path)
    e = only_error(problems)
    assert (e.path, e.line) == (f"content/{section}/by-mentions.md", None)
    assert f"/{section}/by-mentions/" in e.message
    assert e.hint.startswith("rename the file") and example in e.hint
    assert reg.get(f"{section}/by-mentions") is None


def test_reserved_id_fails_the_build_and_keeps_the_site(capsys, published):
    bad_case(capsys, published, "---\nname: Jane Doe\n---\n",
             "content/people/by-mentions.md: error: file name 'by-mentions.md' is taken: "
             "/people/by-mentions/ is the people index sorted by mentions\n"
             "    hint: rename the file, e.g. jane-doe.md", path="content/people/by-mentions.md")


# -- 2. names, aliases and codes another entity uses ---------------------------------------


def test_country_alias_of_another_country_is_an_error(tmp_path):
    write(tmp_path, "content/countries/russia.md", "---\ndescription: Big.\naliases: [Rossiya, America]\n---\n")
    _, problems = load(tmp_path)
    e = only_error(problems)
    assert (e.path, e.line) == ("content/countries/russia.md", 3)
    assert "alias 'America' of 'Russia'" in e.message and "country 'United States'" in e.message
    assert e.hint.startswith("an alias must name one entity")


def test_country_alias_equal_to_a_person_is_an_error_at_the_country(tmp_path):
    write(tmp_path, "content/people/john-kerry.md", KERRY)
    write(tmp_path, "content/countries/russia.md", "---\naliases: [John Kerry]\n---\n")
    _, problems = load(tmp_path)
    e = only_error(problems)
    assert (e.path, e.line) == ("content/countries/russia.md", 2)
    assert "person 'John Kerry' (content/people/john-kerry.md)" in e.message


@pytest.mark.parametrize("field, value, owner", [
    ("iso2", "US", "United States"), ("iso3", "usa", "United States"), ("wikidata", "Q30", "United States"),
    ("wikidata", "Q29999", "Netherlands"),  # a further Wikidata id of the Netherlands
])
def test_country_code_of_another_country_is_an_error(tmp_path, field, value, owner):
    write(tmp_path, "content/countries/russia.md", f"---\ndescription: Big.\n{field}: {value}\n---\n")
    _, problems = load(tmp_path)
    e = only_error(problems)
    assert (e.path, e.line) == ("content/countries/russia.md", 3)
    assert f"{field} '{value}' of 'Russia'" in e.message and f"'{owner}'" in e.message


@pytest.mark.parametrize("name, other", [("France", "country 'France'"), ("John Kerry", "person 'John Kerry'"),
                                         ("Americans", "country 'United States'")])
def test_new_country_named_like_another_entity_is_an_error(tmp_path, name, other):
    write(tmp_path, "content/people/john-kerry.md", KERRY)
    write(tmp_path, "content/countries/atlantis.md", f"---\nformer: true\nname: {name}\n---\n")
    _, problems = load(tmp_path)
    e = only_error(problems)
    assert (e.path, e.line) == ("content/countries/atlantis.md", 3)
    assert f"country name '{name}'" in e.message and other in e.message


def test_two_new_countries_with_one_name_are_reported_once(tmp_path):
    write(tmp_path, "content/countries/atlantis.md", "---\nname: Atlantis\niso2: XA\n---\n")
    write(tmp_path, "content/countries/atlantis-2.md", "---\nname: Atlantis\niso2: XA\n---\n")
    _, problems = load(tmp_path)
    assert sorted((p, line) for p, line, _ in errors(problems)) == [
        ("content/countries/atlantis-2.md", 2), ("content/countries/atlantis-2.md", 3)]  # the later id
    assert all("content/countries/atlantis.md" in m for _, _, m in errors(problems))


def test_person_named_like_a_country_is_an_error(tmp_path):
    write(tmp_path, "content/people/russia.md", "---\ndescription: x\nname: Russia\n---\n")
    _, problems = load(tmp_path)
    e = only_error(problems)
    assert (e.path, e.line) == ("content/people/russia.md", 3)
    assert "person name 'Russia'" in e.message and "country 'Russia'" in e.message
    assert "middle name or initial" in e.hint


def test_people_sharing_a_name_are_warned_about(tmp_path):
    # Homonyms are real (tests/test_registry.py keeps them loadable): the
    # linker then links the name only where an article lists one in 'people'.
    write(tmp_path, "content/people/roberto-carlos.md", "---\nname: Roberto Carlos\n---\n")
    write(tmp_path, "content/people/roberto-carlos-2.md", "---\nname: Roberto Carlos\n---\n")
    reg, problems = load(tmp_path)
    assert problems.errors == [] and len(reg.people) == 2
    [w] = problems.warnings
    assert (w.path, w.line) == ("content/people/roberto-carlos-2.md", 2)  # the later id
    assert "content/people/roberto-carlos.md" in w.message and "'people'" in w.hint


def test_legitimate_country_files_and_builtin_ambiguity_stay_valid(tmp_path):
    # A regression guard (passes before and after the fix): a file may extend
    # its own country with its own forms, add a form the curated data marks
    # ambiguous between its candidates, and people may carry names that
    # contain a country name or an ambiguous given name.
    write(tmp_path, "content/countries/russia.md",
          "---\nname: Russia\naliases: [Rossiya, Russian Federation]\niso2: RU\nwikidata: Q159\n---\n")
    write(tmp_path, "content/countries/democratic-republic-of-the-congo.md", "---\naliases: [Congo]\n---\n")
    write(tmp_path, "content/countries/dominica.md", "---\ndemonyms: [Dominican]\n---\n")
    write(tmp_path, "content/countries/atlantis.md", "---\nname: Atlantis\nformer: true\niso2: CS\n---\n")
    write(tmp_path, "content/people/michael-jordan.md", "---\nname: Michael Jordan\n---\n")
    write(tmp_path, "content/people/chad-smith.md", "---\nname: Chad Smith\n---\n")
    _, problems = load(tmp_path)
    assert problems.items == []


# -- 3. born and died --------------------------------------------------------------------


@pytest.mark.parametrize("line, message", [
    ("born: 1943-13-45", "'born' is not a real date: '1943-13-45' (month must be in 1..12)"),
    ("born: 2001-02-29", "'born' is not a real date: '2001-02-29' (day is out of range for month)"),
    # day 00 was read as the 1st (``int(day) or 1``) and let through
    ("born: 1943-12-00", "'born' is not a real date: '1943-12-00' (day is out of range for month)"),
    ("died: yesterday", "'died' must be a date, not 'yesterday'"),
    ("died: 12/11/1943", "'died' must be a date, not '12/11/1943'"),
    ("born: 1943-1-5", "'born' must be a date, not '1943-1-5'"),
])
def test_bad_life_dates_are_errors_at_their_line(tmp_path, line, message):
    write(tmp_path, "content/people/a.md", f"---\nname: Anna One\n{line}\n---\n")
    reg, problems = load(tmp_path)
    e = only_error(problems)
    assert (e.path, e.line, e.message) == ("content/people/a.md", 3, message)
    assert "YYYY-MM-DD" in e.hint and "e.g." in e.hint
    assert getattr(reg.get("people/a"), line.split(":")[0]) is None


def test_death_before_birth_is_an_error(tmp_path):
    write(tmp_path, "content/people/a.md", "---\nname: Anna One\nborn: 1943-12-11\ndied: 1943-12\n---\n")
    write(tmp_path, "content/people/b.md", "---\nname: Bert Two\nborn: 1943-12-11\ndied: 1901\n---\n")
    _, problems = load(tmp_path)
    e = only_error(problems)
    assert (e.path, e.line) == ("content/people/b.md", 4)
    assert e.message == "'died' (1901) is before 'born' (1943-12-11)"


def test_partial_and_yaml_dates_are_accepted(tmp_path):
    # A regression guard: the forms the fix must keep accepting.
    write(tmp_path, "content/people/a.md", "---\nname: Anna One\nborn: 1943\ndied: 2001-05\n---\n")
    write(tmp_path, "content/people/b.md", "---\nname: Bert Two\nborn: '1943-12-11'\ndied: 2020-02-29\n---\n")
    reg, problems = load(tmp_path)
    assert problems.items == []
    assert (reg.get("people/a").born, reg.get("people/b").died) == ("1943", "2020-02-29")


def test_bad_life_date_fails_the_build_with_file_line_and_hint(capsys, published):
    bad_case(capsys, published, "---\nname: Jane Doe\nborn: 1943-13-45\n---\n",
             "content/people/jane-doe.md:3: error: 'born' is not a real date: '1943-13-45' (month must be in 1..12)\n"
             "    hint: write YYYY-MM-DD, YYYY-MM or YYYY, e.g. born: 1943-12-11", path="content/people/jane-doe.md")


# -- 4. empty and lower-case aliases ---------------------------------------------------------


def test_empty_aliases_are_an_error_at_the_aliases_line(tmp_path):
    write(tmp_path, "content/people/a.md", '---\nname: Anna One\naliases: ["", " ", Annie]\n---\n')
    reg, problems = load(tmp_path)
    e = only_error(problems)
    assert (e.path, e.line, e.message) == ("content/people/a.md", 3, "'aliases' has an empty entry")
    assert reg.get("people/a").aliases == ["Annie"]


def test_lower_case_alias_would_link_ordinary_words(tmp_path):
    # Shown first: a lower-case alias links the word wherever prose uses it.
    write(tmp_path, "content/people/a.md", "---\nname: Anna One\n---\n")
    reg, _ = load(tmp_path)
    reg.get("people/a").aliases = ["the"]
    rb = BodyRenderer(reg, Config()).render(body="the cat sat on the mat.")
    assert [m.key for m in rb.mentions] == ["people/a", "people/a"]

    write(tmp_path, "content/people/a.md", "---\nname: Anna One\naliases: [the, Annie]\n---\n")
    write(tmp_path, "content/countries/russia.md", "---\ndemonyms: [russki]\n---\n")
    write(tmp_path, "content/people/xi-jinping.md", "---\nname: Xi Jinping\naliases: [习近平]\n---\n")
    reg, problems = load(tmp_path)
    assert sorted((p, line) for p, line, _ in errors(problems)) == [
        ("content/countries/russia.md", 2), ("content/people/a.md", 3)]
    e = [p for p in problems.errors if p.path == "content/people/a.md"][0]
    assert e.message.startswith("alias 'the' has no capital letter")
    assert reg.get("people/a").aliases == ["Annie"] and reg.get("people/xi-jinping").aliases == ["习近平"]


def test_an_id_windows_reserves_is_an_error(tmp_path):
    """/people/con/ cannot be a folder on Windows (article slugs were refused already)."""
    write(tmp_path, "content/people/con.md", "---\nname: Con Man\n---\n")
    registry, problems = load(tmp_path)
    e = only_error(problems)
    assert e.path == "content/people/con.md" and "a name Windows reserves (CON)" in e.message
    assert "people/con" not in registry.entities


def test_an_empty_person_file_gets_a_person_hint(tmp_path):
    """It got the article hint ('title: ..., date: ...'), which a person file must not have."""
    write(tmp_path, "content/people/jane-doe.md", "")
    write(tmp_path, "content/people/john-roe.md", "Just a biography.\n")
    _, problems = load(tmp_path)
    hints = {p.path: p.hint for p in problems.errors}
    assert hints["content/people/jane-doe.md"].startswith("a person file starts with '---'")
    assert hints["content/people/john-roe.md"] == "add front matter: ---, name: Full Name, ---"


def test_a_name_without_capitals_is_warned_about(tmp_path):
    """Names match case-sensitively: a person named 'the' links every 'the'. Some people write
    their name without capitals (bell hooks), so it is a warning, not an error as for an alias."""
    write(tmp_path, "content/people/the.md", "---\nname: the\n---\n")
    write(tmp_path, "content/people/xi-jinping.md", "---\nname: 习近平\n---\n")  # no capitals in the script
    write(tmp_path, "content/countries/nowhere.md", "---\nname: nowhere land\n---\n")
    registry, problems = load(tmp_path)
    assert problems.errors == []
    messages = {p.path: p.message for p in problems.warnings}
    assert messages == {
        "content/people/the.md": "name 'the' has no capital letter, so it links those words wherever ordinary text uses them",
        "content/countries/nowhere.md": "name 'nowhere land' has no capital letter, so it links those words "
                                        "wherever ordinary text uses them"}
    assert "people/the" in registry.entities and "people/xi-jinping" in registry.entities


def test_two_people_files_with_one_wikidata_id(tmp_path):
    write(tmp_path, "content/people/john-kerry.md", "---\nname: John Kerry\nwikidata: Q22316\n---\n")
    write(tmp_path, "content/people/john-f-kerry.md", "---\nname: John F. Kerry\nwikidata: Q22316\n---\n")
    write(tmp_path, "content/people/jane-doe.md", "---\nname: Jane Doe\n---\n")
    _, problems = load(tmp_path)
    e = only_error(problems)
    assert (e.path, e.line) == ("content/people/john-kerry.md", 3)
    assert e.message == "wikidata Q22316 is also the id of content/people/john-f-kerry.md: two files for one person"
