"""The linker: one test per rule of DESIGN "Entity linking", plus properties.

Registries here are small and made up; they never read ../shared.
"""

from __future__ import annotations

import html
import pickle
from html.parser import HTMLParser

import pytest
import markdown
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archivegen.config import Config
from archivegen.entities import Entity
from archivegen.linker import fold, name_variants, person_partials
from archivegen.registry import Registry
from archivegen.render import BodyRenderer


def person(ident, name, **kw):
    return Entity(id=ident, kind="person", name=name, **kw)


def country(ident, name, **kw):
    return Entity(id=ident, kind="country", name=name, **kw)


ENTITIES = [
    person("john-kerry", "John Kerry", wikidata="Q22316"),
    person("sergei-lavrov", "Sergei Lavrov"),
    person("barack-obama", "Barack Obama"),
    person("carlos-belo", "Carlos Filipe Ximenes Belo"),
    person("vaclav-havel", "Václav Havel"),
    person("michael-jordan", "Michael Jordan"),
    person("ed-miliband", "Ed Miliband"),
    person("david-miliband", "David Miliband"),
    person("bashar-al-assad", "Bashar al-Assad", aliases=["Bashar Assad"]),
    country("russia", "Russia", demonyms=["Russian", "Russians"], iso2="RU"),
    country("france", "France", demonyms=["French"], iso2="FR"),
    country("china", "China", demonyms=["Chinese"], iso2="CN"),
    country("japan", "Japan", demonyms=["Japanese"], iso2="JP"),
    country("mexico", "Mexico", demonyms=["Mexican"], iso2="MX"),
    country("united-kingdom", "United Kingdom", aliases=["Britain", "UK"], demonyms=["British", "Briton"], iso2="GB"),
    country("united-states", "United States", aliases=["US", "U.S.", "USA", "America"],
            demonyms=["American", "Americans"], iso2="US"),
    country("guinea", "Guinea", demonyms=["Guinean"], iso2="GN"),
    country("guinea-bissau", "Guinea-Bissau", iso2="GW"),
    country("south-africa", "South Africa", iso2="ZA"),
    country("democratic-republic-of-the-congo", "Democratic Republic of the Congo", aliases=["Congo"], iso2="CD"),
    country("republic-of-the-congo", "Republic of the Congo", aliases=["Congo"], iso2="CG"),
    country("jordan", "Jordan", demonyms=["Jordanian"], iso2="JO", extra={"ambiguous": ["Jordan"]}),
    country("georgia", "Georgia", demonyms=["Georgian"], iso2="GE", extra={"ambiguous": ["Georgia", "Georgian"]}),
    country("chad", "Chad", iso2="TD", extra={"ambiguous": ["Chad"]}),
    country("czech-republic", "Czech Republic", iso2="CZ"),
    country("poland", "Poland", demonyms=["Polish", "Pole", "Poles"], iso2="PL"),
    country("finland", "Finland", demonyms=["Finnish", "Finn", "Finns"], iso2="FI"),
    country("denmark", "Denmark", demonyms=["Danish", "Dane", "Danes"], iso2="DK"),
    country("sweden", "Sweden", demonyms=["Swedish", "Swede", "Swedes"], iso2="SE"),
]


@pytest.fixture(scope="module")
def registry():
    return Registry({e.key: e for e in ENTITIES})


@pytest.fixture(scope="module")
def renderer(registry):
    return BodyRenderer(registry, Config())


def found(rb, kind=None):
    return [(m.text, m.key) for m in rb.mentions if kind is None or m.kind == kind]


def keys(rb):
    return [m.key for m in rb.mentions]


def linked(rb):
    return [(m.text, m.key) for m in rb.mentions if m.linked]


# ---------------------------------------------------------------- where


def test_never_links_inside_code_pre_script_style(renderer):
    rb = renderer.render(body="`Russia` code\n\n    Russia in pre\n\n<script>var Russia;</script>\n\nfrance")
    assert keys(rb) == []
    assert 'href="/countries/russia/"' not in rb.html


def test_text_of_an_existing_link_is_counted_not_linked(renderer):
    rb = renderer.render(body="See [Russia](https://example.org/ru) and Russia again.")
    assert [(m.text, m.linked) for m in rb.mentions] == [("Russia", False), ("Russia", True)]
    assert rb.html.count('class="entity') == 1


def test_headings_are_counted_but_not_linked(renderer):
    rb = renderer.render(body="# Russia talks\n\nRussia said.")
    assert [(m.text, m.linked) for m in rb.mentions] == [("Russia", False), ("Russia", True)]
    assert "<h1>Russia talks</h1>" in rb.html


def test_link_headings_option(registry):
    r = BodyRenderer(registry, Config(link_headings=True))
    rb = r.render(body="## Russia talks\n\nRussia said.")
    assert [m.linked for m in rb.mentions] == [True, False]


# ---------------------------------------------------------------- how names match


def test_case_sensitive(renderer):
    assert keys(renderer.render(body="the russia question and a french fry")) == []


def test_word_boundaries(renderer):
    rb = renderer.render(body="Prussia and Russiagate and Frenchman; but Russia, (France) and China.")
    assert keys(rb) == ["countries/russia", "countries/france", "countries/china"]


def test_longest_match_first(renderer):
    rb = renderer.render(body="Fighting in the Democratic Republic of the Congo. Sergei Lavrov spoke.")
    assert found(rb) == [("Democratic Republic of the Congo", "countries/democratic-republic-of-the-congo"),
                         ("Sergei Lavrov", "people/sergei-lavrov")]


def test_all_caps_headlines_and_datelines_match(renderer):
    rb = renderer.render(body="RUSSIA SAYS FRENCH PLAN FAILED\n\nMOSCOW, MEXICO CITY - nothing else")
    assert keys(rb)[:2] == ["countries/russia", "countries/france"]


def test_all_caps_word_in_prose_does_not_match(renderer):
    rb = renderer.render(body="The MEXICO team code and the word RUSSIA in a sentence.")
    assert keys(rb) == []


def test_us_in_a_caps_headline_is_the_pronoun(renderer):
    rb = renderer.render(body="# LET US GO\n\nThe US and U.S. forces.")
    assert found(rb) == [("US", "countries/united-states"), ("U.S.", "countries/united-states")]


def test_accents_are_folded(renderer):
    rb = renderer.render(body="Vaclav Havel met Václav Havel.")
    assert found(rb) == [("Vaclav Havel", "people/vaclav-havel"), ("Václav Havel", "people/vaclav-havel")]


def test_apostrophe_styles_and_possessives(renderer):
    rb = renderer.render(body="Russia's army, Russia’s navy and Kerry. John Kerry’s plan; Kerry's aides.")
    assert found(rb) == [("Russia", "countries/russia"), ("Russia", "countries/russia"),
                         ("John Kerry", "people/john-kerry"), ("Kerry", "people/john-kerry")]
    assert "Russia</a>'s" in rb.html


def test_demonyms_link_to_the_country(renderer):
    rb = renderer.render(body="Russian officials met Russians and the British.")
    assert keys(rb) == ["countries/russia", "countries/russia", "countries/united-kingdom"]


def test_cities_are_not_countries(renderer):
    assert keys(renderer.render(body="Moscow and Washington talked.")) == []


# ---------------------------------------------------------------- later references


def test_surname_needs_the_full_name_first(renderer):
    rb = renderer.render(body="Kerry arrived. Then John Kerry spoke, and Kerry left.")
    assert found(rb) == [("John Kerry", "people/john-kerry"), ("Kerry", "people/john-kerry")]


def test_title_and_surname(renderer):
    rb = renderer.render(body="Barack Obama and Sergei Lavrov met. President Obama and Foreign Minister Lavrov "
                              "agreed; Mr Lavrov smiled.")
    assert [m.text for m in rb.mentions] == ["Barack Obama", "Sergei Lavrov", "Obama", "Lavrov", "Lavrov"]


def test_first_and_last_name_of_a_longer_name(renderer):
    rb = renderer.render(body="Carlos Belo first. Carlos Filipe Ximenes Belo won; Carlos Belo and Belo thanked them.")
    assert [m.text for m in rb.mentions] == ["Carlos Filipe Ximenes Belo", "Carlos Belo", "Belo"]


GIVEN_ENTITIES = [
    person("jansher-khan", "Jansher Khan"), person("monica-seles", "Monica Seles"),
    person("monica-lewinsky", "Monica Lewinsky"), person("will-carling", "Will Carling"),
    person("jordan-henderson", "Jordan Henderson"), person("howard-flight", "Howard Flight"),
    person("john-prescott", "John Prescott"), person("elton-john", "Elton John"),
    country("jordan", "Jordan", demonyms=["Jordanian"], iso2="JO"),
]


@pytest.fixture(scope="module")
def given_renderer():
    return BodyRenderer(Registry({e.key: e for e in GIVEN_ENTITIES}), Config())


def test_given_name_alone_after_the_full_name(given_renderer):
    rb = given_renderer.render(body="Jansher was back. Jansher Khan won in Cairo, and Jansher then rested.")
    assert found(rb) == [("Jansher Khan", "people/jansher-khan"), ("Jansher", "people/jansher-khan")]


def test_given_name_shared_or_a_word_or_a_country_is_not_the_person(given_renderer):
    rb = given_renderer.render(body="Monica Seles met Monica Lewinsky. Monica smiled.")
    assert [m.text for m in rb.mentions] == ["Monica Seles", "Monica Lewinsky"]
    assert [d.text for d in rb.declined] == ["Monica"]
    rb = given_renderer.render(body="Will Carling spoke. Will he play? Will Carling may.")
    assert [m.text for m in rb.mentions] == ["Will Carling", "Will Carling"]
    rb = given_renderer.render(body="Jordan Henderson flew to Jordan.")
    assert found(rb) == [("Jordan Henderson", "people/jordan-henderson"), ("Jordan", "countries/jordan")]


def test_given_name_alone_not_after_a_surname_title_nor_before_a_surname(given_renderer):
    rb = given_renderer.render(body="Howard Flight quit. Mr Howard and ex-King Howard of Nowhere said so; "
                                    "Howard stayed.")
    assert [m.text for m in rb.mentions] == ["Howard Flight", "Howard"]
    assert rb.mentions[1].start == rb.text.index("Howard stayed")
    rb = given_renderer.render(body="John Prescott spoke. John Major listened, and John nodded.")
    assert [m.text for m in rb.mentions] == ["John Prescott", "John"]
    assert rb.mentions[1].start == rb.text.index("John nodded")
    rb = given_renderer.render(body="Elton John sang. Sir Elton then left.")
    assert [m.text for m in rb.mentions] == ["Elton John", "Elton"]
    # a role written in lowercase is no title: "pop star Elton" is still the person
    rb = given_renderer.render(body="Elton John sang. The pop star Elton then left.")
    assert [m.text for m in rb.mentions] == ["Elton John", "Elton"]
    # a title that ends a sentence is not before the name ("Mr." is an abbreviation, not an end)
    rb = given_renderer.render(body="Howard Flight quit as a minister. Howard returned; Mr. Howard did not.")
    assert [m.text for m in rb.mentions] == ["Howard Flight", "Howard"]
    assert rb.mentions[1].start == rb.text.index("Howard returned")
    # a peer is Lord and his title, most often his surname: "Lord Howard" is Michael Howard
    rb = given_renderer.render(body="Howard Flight quit. Lord Howard spoke.")
    assert [m.text for m in rb.mentions] == ["Howard Flight"]


NAMESAKES = [
    person("michael-collins", "Michael Collins", description="American astronaut",
           body="He flew Gemini 10 and piloted Columbia on Apollo 11 while Neil Armstrong walked on the Moon."),
    person("michael-collins-2", "Michael Collins", description="Irish revolutionary",
           body="He negotiated the Anglo-Irish Treaty and led the Irish Free State army until his death in Cork."),
    person("anna-berg", "Anna Berg", body="A Labour minister in Oslo, Norway, and in the Storting."),
    person("anna-berg-2", "Anna Berg", body="A singer in Oslo, Norway, and Bergen."),
]


@pytest.fixture(scope="module")
def namesake_renderer():
    return BodyRenderer(Registry({e.key: e for e in NAMESAKES}), Config())


def test_namesakes_told_apart_by_the_names_their_biographies_share_with_the_article(namesake_renderer):
    rb = namesake_renderer.render(body="NASA honoured Michael Collins, who circled the Moon in Columbia. "
                                       "Collins thanked Armstrong.")
    assert keys(rb) == ["people/michael-collins", "people/michael-collins"]
    rb = namesake_renderer.render(body="In Cork, Michael Collins is remembered for the Treaty. Collins died young.")
    assert keys(rb) == ["people/michael-collins-2", "people/michael-collins-2"]
    # one shared name is not enough, and names both biographies hold say nothing: "Oslo"
    # would make the singer's two (Oslo, Bergen) twice the minister's one
    rb = namesake_renderer.render(body="Michael Collins visited the Moon exhibition. Anna Berg sang in Oslo "
                                       "and Bergen.")
    assert keys(rb) == []
    assert [d.text for d in rb.declined] == ["Michael Collins", "Anna Berg"]
    rb = namesake_renderer.render(body="Anna Berg of Labour spoke in the Storting in Oslo, Norway.")
    assert keys(rb) == ["people/anna-berg"]


def test_namesakes_told_apart_by_names_in_the_possessive(namesake_renderer):
    """"Armstrong's" names Armstrong: the possessive is not part of the word compared."""
    for apostrophe in ("'", "\u2019"):
        rb = namesake_renderer.render(body=f"Michael Collins spoke. Armstrong{apostrophe}s boots and "
                                           f"Columbia{apostrophe}s hatch were shown.")
        assert keys(rb) == ["people/michael-collins"], apostrophe


def test_countries_sharing_a_form_are_not_told_apart_by_their_descriptions():
    """Namesakes are people: an ambiguous country form ("Congo") still needs the front
    matter or an earlier mention, however many names of one country's description the
    article holds (docs/linking.md)."""
    registry = Registry({e.key: e for e in [
        country("democratic-republic-of-the-congo", "Democratic Republic of the Congo", aliases=["Congo"],
                description="Central African state; capital Kinshasa, mines in Katanga and Lubumbashi"),
        country("republic-of-the-congo", "Republic of the Congo", aliases=["Congo"],
                description="Central African state; capital Brazzaville")]})
    rb = BodyRenderer(registry, Config()).render(body="Congo said Kinshasa, Katanga and Lubumbashi were calm.")
    assert keys(rb) == [] and [d.text for d in rb.declined] == ["Congo"]


def test_particle_surnames():
    assert ("Assad", "surname") in person_partials("Bashar al-Assad")
    assert ("van Bommel", "surname") in person_partials("Mark van Bommel")
    assert ("King", "surname") in person_partials("Martin Luther King Jr.")
    assert person_partials("Ronaldo") == []


def test_shared_surname_is_declined(renderer):
    rb = renderer.render(body="Ed Miliband and David Miliband spoke. Miliband said no.")
    assert [m.text for m in rb.mentions] == ["Ed Miliband", "David Miliband"]
    assert [(d.text, sorted(d.candidates)) for d in rb.declined] == [
        ("Miliband", ["people/david-miliband", "people/ed-miliband"])]


def test_surname_that_opens_a_firm_name_in_the_article_is_declined(renderer):
    # "Kerry Broadcasting Co" is called "Kerry" too: the surname alone is either
    body = ("John Kerry offered to buy Kerry Broadcasting Co. Kerry has 9 mln shares, "
            "and Mr Kerry owns 12 pct of them.")
    rb = renderer.render(body=body)
    assert [m.text for m in rb.mentions] == ["John Kerry", "Kerry"]  # "Mr Kerry" is the person
    assert [(d.text, d.candidates, d.reason) for d in rb.declined] == [
        ("Kerry", ["people/john-kerry"], "the article also names the firm Kerry Broadcasting Co")]
    # the firm must open with the surname: in "Kerry and Lazard Freres Inc" the firm is Lazard's
    rb = renderer.render(body="John Kerry spoke. Kerry and Lazard Freres Inc agreed, and The Lavrov Group said so.")
    assert [m.text for m in rb.mentions] == ["John Kerry", "Kerry"] and rb.declined == []


def test_surname_after_another_first_name_is_someone_else(renderer):
    rb = renderer.render(body="John Kerry spoke. Later Ring Kerry and Kerry Packer came.")
    assert [m.text for m in rb.mentions] == ["John Kerry"]


def test_headline_repeating_the_title_refers_forward(renderer):
    body = "Kerry meets Lavrov on Russia talks . Secretary of State John Kerry met Sergei Lavrov."
    rb = renderer.render(body=body, title="Kerry meets Lavrov on Russia talks")
    assert [m.text for m in rb.mentions if m.kind == "person"] == ["Kerry", "Lavrov", "John Kerry", "Sergei Lavrov"]
    assert [m.key for m in rb.mentions][:2] == ["people/john-kerry", "people/sergei-lavrov"]
    # the same words are no headline when the title differs: the surname rule holds
    rb = renderer.render(body=body, title="Talks in Geneva")
    assert [m.text for m in rb.mentions if m.kind == "person"] == ["John Kerry", "Sergei Lavrov"]


def test_headline_above_a_dateline_refers_forward(renderer):
    rb = renderer.render(body="Kerry meets Lavrov . GENEVA 2013-09-12 John Kerry met Sergei Lavrov .")
    assert [m.text for m in rb.mentions] == ["Kerry", "Lavrov", "John Kerry", "Sergei Lavrov"]
    rb = renderer.render(body="Kerry meets Lavrov\n\nGENEVA, Sept 12 - John Kerry met Sergei Lavrov.")
    assert [m.text for m in rb.mentions] == ["Kerry", "Lavrov", "John Kerry", "Sergei Lavrov"]
    # an ordinary first sentence is no headline
    rb = renderer.render(body="Kerry met Lavrov. NATO said John Kerry and Sergei Lavrov agreed.")
    assert [m.text for m in rb.mentions] == ["John Kerry", "Sergei Lavrov"]


def test_headline_runs_a_surname_into_the_next_name(renderer):
    rb = renderer.render(body="Obama backs Lavrov Geneva plan . GENEVA 2013-09-12 Sergei Lavrov drafted a plan "
                              "in Geneva that Barack Obama backs .")
    assert [m.text for m in rb.mentions] == ["Obama", "Lavrov", "Sergei Lavrov", "Barack Obama"]
    # but not when the article itself writes the two words as one name
    rb = renderer.render(body="Obama backs Lavrov Geneva plan . GENEVA 2013-09-12 Barack Obama backs the "
                              "Lavrov Geneva plan of Sergei Lavrov .")
    assert [m.text for m in rb.mentions] == ["Obama", "Barack Obama", "Sergei Lavrov"]


# ---------------------------------------------------------------- longer proper names


def test_names_inside_longer_proper_names(renderer):
    rb = renderer.render(body="Air France, the China Daily, New Mexico, Guinea-Bissau, the Bank of Japan "
                              "and British Airways; Guinea, South Africa.")
    assert found(rb) == [("Guinea-Bissau", "countries/guinea-bissau"), ("Guinea", "countries/guinea"),
                         ("South Africa", "countries/south-africa")]


def test_demonyms_that_are_also_words_need_a_word_before_or_a_name_after(renderer):
    rb = renderer.render(body="Pole vaulter Ann Smith won. Pole vault: A Smith. The creature: Finn the fish. "
                              "The Pole won. A Finn lost to the 31-year-old Dane; Swede Jonas Berg won.")
    assert [m.text for m in rb.mentions if m.kind == "country"] == ["Pole", "Finn", "Dane", "Swede"]
    assert [m.start for m in rb.mentions if m.text == "Pole"] == [rb.text.index("The Pole") + 4]


def test_a_homograph_demonym_before_one_capitalised_word_is_a_given_name(renderer):
    """"Dane Bowers" and "Finn Russell" are people's names, not a Dane and a Finn:
    only a full name after the word ("Swede Jonas Berg") makes it the demonym."""
    rb = renderer.render(body="Dane Bowers sang. Finn Russell scored. Dane Kenneth Carlsen won. "
                              "Swede Jonas Berg lost.")
    assert found(rb, "country") == [("Dane", "countries/denmark"), ("Swede", "countries/sweden")]
    assert [m.start for m in rb.mentions] == [rb.text.index("Dane Kenneth"), rb.text.index("Swede")]


def test_a_homograph_demonym_in_capitals_needs_a_word_before_it(renderer):
    """In ALL-CAPS text every word is capitalised, so only the word before tells:
    "POLE VAULT" is the sport, "THE POLE" and "31-YEAR-OLD DANE" the demonym."""
    rb = renderer.render(body="# POLE VAULT STAR BREAKS RECORD\n\nFINN THE FISH RETURNS\n\n"
                              "THE POLE WINS AS 31-YEAR-OLD DANE FALLS")
    assert found(rb, "country") == [("POLE", "countries/poland"), ("DANE", "countries/denmark")]
    assert rb.mentions[0].start == rb.text.index("THE POLE") + 4


def test_a_full_name_inside_a_longer_name_is_not_the_person(renderer):
    rb = renderer.render(body="The John Kerry Foundation and the Barack Obama-Smith fund; "
                              "Barack Obama Jr, JOHN KERRY MOSCOW and Barack Obama Tuesday.")
    assert [m.text for m in rb.mentions if m.kind == "person"] == ["JOHN KERRY", "Barack Obama"]
    rb = renderer.render(body="# John Kerry Meets Sergei Lavrov\n\nJohn Kerry met Sergei Lavrov.")
    assert [m.text for m in rb.mentions] == ["John Kerry", "Sergei Lavrov", "John Kerry", "Sergei Lavrov"]


def test_a_suffix_after_a_full_name_names_another_person_unless_registered_with_one():
    reg = Registry({e.key: e for e in [person("barack-obama", "Barack Obama"),
                                       person("al-unser-jr", "Al Unser Jr.")]})
    rb = BodyRenderer(reg, Config()).render(body="Barack Obama Sr. studied in Hawaii; Barack Obama Jnr won. "
                                                 "Al Unser Jr finished seventh.")
    assert [(m.text, m.key) for m in rb.mentions] == [("Al Unser", "people/al-unser-jr")]


def test_capitalised_function_words_do_not_glue(renderer):
    rb = renderer.render(body="In France it rained. Both China and Japan said. On Tuesday Mexico agreed.")
    assert keys(rb) == ["countries/france", "countries/china", "countries/japan", "countries/mexico"]


def test_adjectival_forms_before_titles_and_people(renderer):
    rb = renderer.render(body="Russian Foreign Minister Sergei Lavrov and U.S. President Barack Obama; "
                              "the U.S. Open and British Airways.")
    assert found(rb) == [("Russian", "countries/russia"), ("Sergei Lavrov", "people/sergei-lavrov"),
                         ("U.S.", "countries/united-states"), ("Barack Obama", "people/barack-obama")]


# ---------------------------------------------------------------- ambiguity


def test_ambiguous_form_is_declined_without_evidence(renderer):
    rb = renderer.render(body="Talks in Jordan and Georgia; the Congo river.")
    assert keys(rb) == []
    assert [d.text for d in rb.declined] == ["Jordan", "Georgia", "Congo"]
    assert sorted(rb.declined[2].candidates) == ["countries/democratic-republic-of-the-congo",
                                                 "countries/republic-of-the-congo"]


def test_ambiguous_form_decided_by_earlier_mention(renderer):
    rb = renderer.render(body="Jordanian troops moved. Jordan said. The Democratic Republic of the Congo "
                              "and Congo.")
    assert keys(rb) == ["countries/jordan", "countries/jordan", "countries/democratic-republic-of-the-congo",
                        "countries/democratic-republic-of-the-congo"]


def test_ambiguous_form_decided_by_front_matter(renderer):
    rb = renderer.render(body="Talks in Georgia.", countries=["georgia"])
    assert keys(rb) == ["countries/georgia"]
    assert rb.entity_keys == ["countries/georgia"]


def test_following_surname_makes_a_person_not_a_country(renderer):
    rb = renderer.render(body="Michael Jordan scored. Jordan won; Chad Smith played.", countries=["chad"])
    assert found(rb) == [("Michael Jordan", "people/michael-jordan"), ("Jordan", "people/michael-jordan")]


# ---------------------------------------------------------------- front matter and policy


def test_front_matter_people_are_attached_and_allow_surnames(renderer):
    rb = renderer.render(body="Lavrov spoke.", people=["sergei-lavrov", "john-kerry"])
    assert found(rb) == [("Lavrov", "people/sergei-lavrov")]
    assert rb.entity_keys == ["people/sergei-lavrov", "people/john-kerry"]
    assert rb.attached == ["people/sergei-lavrov", "people/john-kerry"]


def test_no_link_is_counted_but_never_linked(renderer):
    rb = renderer.render(body="Russia and France. Russia.", no_link=["countries/russia"])
    assert [(m.text, m.linked) for m in rb.mentions] == [("Russia", False), ("France", True), ("Russia", False)]
    assert 'href="/countries/russia/"' not in rb.html
    rb = renderer.render(body="Russia.", no_link=["russia"])
    assert [m.linked for m in rb.mentions] == [False]


@pytest.mark.parametrize("policy,expected", [
    ("first", [True, False, True]), ("all", [True, True, True]), ("none", [False, False, False])])
def test_link_policy(registry, policy, expected):
    rb = BodyRenderer(registry, Config(link=policy)).render(body="Russia, Russia and France.")
    assert [m.linked for m in rb.mentions] == expected
    assert rb.html.count("<a ") == sum(expected)


def test_policy_per_article_overrides_config(renderer):
    rb = renderer.render(body="Russia, Russia.", policy="all")
    assert [m.linked for m in rb.mentions] == [True, True]


def test_link_markup_from_a_callable(registry):
    calls = []

    def make_link(entity, text):
        calls.append((entity.key, text))
        return f'<a href="/x/{entity.id}/" data-kind="{entity.kind}">{html.escape(text)}</a>'

    rb = BodyRenderer(registry, Config(), make_link=make_link).render(body="Russia & John Kerry.")
    assert calls == [("countries/russia", "Russia"), ("people/john-kerry", "John Kerry")]
    assert '<a href="/x/russia/" data-kind="country">Russia</a> &amp; <a href="/x/john-kerry/"' in rb.html


def test_theme_link_markup_is_remembered_per_entity_object(tmp_path):
    """Theme.make_link renders partials/entity_link.html once per entity and text, and again for
    another Entity object with the same key (a registry loaded later)."""
    from dataclasses import replace

    from archivegen.theme import Theme

    (tmp_path / "templates/partials").mkdir(parents=True)
    (tmp_path / "templates/partials/entity_link.html").write_text(
        '<a href="{{ href }}" title="{{ entity.name }}">{{ text }}</a>\n')
    theme = Theme(tmp_path, Config())
    kerry = next(e for e in ENTITIES if e.key == "people/john-kerry")
    first = theme.make_link(kerry, "John Kerry")
    assert first == '<a href="/people/john-kerry/" title="John Kerry">John Kerry</a>'
    assert theme.make_link(kerry, "John Kerry") is first
    assert theme.make_link(kerry, "Kerry") == '<a href="/people/john-kerry/" title="John Kerry">Kerry</a>'
    renamed = replace(kerry, name="John Forbes Kerry")
    assert theme.make_link(renamed, "John Kerry") == \
        '<a href="/people/john-kerry/" title="John Forbes Kerry">John Kerry</a>'


def test_default_link_honours_the_prefix(registry):
    rb = BodyRenderer(registry, Config(base_url="https://example.org/archive/")).render(body="Russia.")
    assert '<a class="entity entity-country" href="/archive/countries/russia/">Russia</a>' in rb.html
    rb = BodyRenderer(registry, Config(), link_prefix="../../").render(body="Russia.")
    assert 'href="../../countries/russia/"' in rb.html


# ---------------------------------------------------------------- the rendered body


def test_offsets_text_sentence_summary(renderer):
    rb = renderer.render(body="First *para* about AT&amp;T and Russia.\n\nSecond: Mr. Smith met John Kerry. Then more.")
    for m in rb.mentions:
        assert rb.text[m.start:m.end] == m.text
    assert "AT&T" in rb.text
    assert rb.summary == "First para about AT&T and Russia."
    kerry = [m for m in rb.mentions if m.key == "people/john-kerry"][0]
    assert kerry.sentence == "Second: Mr. Smith met John Kerry."
    assert rb.word_count == len(rb.text.split())


def test_long_sentence_is_trimmed_around_the_mention(renderer):
    body = "word " * 200 + "Russia " + "word " * 200 + "."
    m = renderer.render(body=body).mentions[0]
    assert len(m.sentence) <= 300 and "Russia" in m.sentence


def test_one_markdown_instance_is_reset_between_articles(renderer):
    a = renderer.render(body="John Kerry spoke.[^1]\n\n[^1]: A note.")
    b = renderer.render(body="Kerry spoke.")
    assert keys(a) == ["people/john-kerry"] and keys(b) == []
    assert "fn:1" not in b.html


def test_fold_keeps_length():
    s = "Václav Havel’s Ångström — Łódź"
    assert len(fold(s)) == len(s)
    assert fold("Václav Havel’s") == "Vaclav Havel's"


def test_matcher_survives_pickling(registry):
    again = pickle.loads(pickle.dumps(registry))
    rb = BodyRenderer(again, Config()).render(body="John Kerry in Russia.")
    assert keys(rb) == ["people/john-kerry", "countries/russia"]
    matcher = pickle.loads(pickle.dumps(registry.matcher()))
    assert matcher.candidates("in Russia")


def test_mentions_survive_pickling_whole():
    """Mention pickles as its constructor's arguments (speed): every field must come back."""
    import dataclasses

    from archivegen.linker import Mention

    m = Mention(3, 8, "Kerry", "people/john-kerry", "person", False, "Kerry spoke.")
    again = pickle.loads(pickle.dumps([m, m], protocol=pickle.HIGHEST_PROTOCOL))
    assert again == [m, m] and type(again[0]) is Mention
    assert [f.name for f in dataclasses.fields(Mention)] == ["start", "end", "text", "key", "kind", "linked", "sentence"]


# ---------------------------------------------------------------- properties


class _Visible(HTMLParser):
    VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.stack, self.ok = [], [], True

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.ok = False

    def handle_data(self, data):
        self.text.append(data)


def visible(markup):
    p = _Visible()
    p.feed(markup)
    p.close()
    return "".join(p.text), p.ok and not p.stack


WORDS = ["Russia", "Russia's", "John", "Kerry", "John Kerry", "Mr", "Lavrov", "Sergei", "Air", "France",
         "Guinea-Bissau", "Guinea", "U.S.", "US", "RUSSIA", "Jordan", "Congo", "Václav", "Havel", "the", "and",
         "said", "&", "<", ">", "&amp;", "*", "_", "`", "[", "]", "(", ")", "#", "-", ".", ",", "’", "'", "\n", "\n\n",
         "é", "Ünïcode", "&#39;", "<b>", "</b>", "x", "Pole", "Dane", "Barack Obama", "Jr", "Foundation", "Mr"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), max_size=40), st.sampled_from(["first", "all", "none"]))
def test_linking_never_changes_visible_text_and_html_stays_well_formed(registry, tokens, policy):
    body = " ".join(tokens)
    linked_r = BodyRenderer(registry, Config(link=policy))
    plain_r = BodyRenderer(None, Config())
    a = linked_r.render(body=body)
    b = plain_r.render(body=body)
    text_a, ok_a = visible(a.html)
    text_b, ok_b = visible(b.html)
    assert text_a == text_b
    if ok_b:
        assert ok_a
    for m in a.mentions:
        assert a.text[m.start:m.end] == m.text


# ---------------------------------------------------------------- added rules: spellings, name order, regnal names


def _renderer(*entities):
    return BodyRenderer(Registry({e.key: e for e in entities}), Config())


def test_full_name_spelt_otherwise_is_the_person():
    r = _renderer(person("masoud-barzani", "Masoud Barzani"), person("saleem-malik", "Saleem Malik"),
                  person("eduard-gritsun", "Eduard Gritsun"), person("saddam-hussein", "Saddam Hussein"))
    rb = r.render(body="Massoud Barzani met Salim Malik. Barzani spoke; Edouard Gritsoun and Malik's team left.")
    assert found(rb) == [("Massoud Barzani", "people/masoud-barzani"), ("Salim Malik", "people/saleem-malik"),
                         ("Barzani", "people/masoud-barzani"), ("Edouard Gritsoun", "people/eduard-gritsun"),
                         ("Malik", "people/saleem-malik")]
    # other vowels or other letters make another name
    assert found(r.render(body="Saddam Hassan and Mark Barzani and Masud Barzanis came.")) == []


def test_spelling_variants_found_again_at_every_place_of_a_remembered_run():
    """Matcher._spelled keeps each run of capitals' findings by its text: the same run later in
    the article, in another article or after other text, is found at its own offsets."""
    r = _renderer(person("masoud-barzani", "Masoud Barzani"), person("saleem-malik", "Saleem Malik"))
    body = "Massoud Barzani spoke. Later, Kurdish leader Massoud Barzani left.\n\nSalim Malik's bat and Massoud Barzani."
    first = r.render(body=body)
    again = r.render(body=body)
    moved = r.render(body="Some words first. " + body)
    for rb in (first, again, moved):
        for m in rb.mentions:
            assert rb.text[m.start:m.end] == m.text
    assert [(m.start, m.text, m.key) for m in first.mentions] == [(m.start, m.text, m.key) for m in again.mentions]
    assert [(m.start - 18, m.text) for m in moved.mentions] == [(m.start, m.text) for m in first.mentions]
    assert [m.text for m in first.mentions if m.key == "people/masoud-barzani"] == ["Massoud Barzani"] * 3
    assert ("Salim Malik", "people/saleem-malik") in found(first)


def test_spelling_shared_by_two_people_means_neither():
    r = _renderer(person("jon-smyth", "Jon Smyth"), person("john-smith", "John Smith"))
    assert found(r.render(body="Jon Smith spoke.")) == []
    assert found(r.render(body="John Smith spoke.")) == [("John Smith", "people/john-smith")]


def test_family_name_first_in_chinese_and_korean_names():
    assert person_partials("Xiao Qiang") == [("Xiao", "surname")]
    assert person_partials("Kim Young-sam") == [("Kim", "surname")]
    assert person_partials("He Zhenliang") == []  # "He said" is no one
    assert person_partials("Lee Westwood") == [("Westwood", "surname")]  # a Western given name
    r = _renderer(person("xiao-qiang", "Xiao Qiang"), person("deng-xiaoping", "Deng Xiaoping"))
    rb = r.render(body="Xiao Qiang spoke of Deng Xiaoping. Xiao said Deng was ill; Qiang and Xiaoping are not names here.")
    assert [m.text for m in rb.mentions] == ["Xiao Qiang", "Deng Xiaoping", "Xiao", "Deng"]


def test_regnal_names():
    r = _renderer(person("henry-viii", "Henry VIII of England"), person("charles-vi", "Charles VI, Holy Roman Emperor"),
                  person("eugene", "Eugene of Savoy"))
    rb = r.render(body="Henry VIII of England and Charles VI met. Henry VIII wrote; England and Emperor Savoy did not.")
    assert found(rb) == [("Henry VIII of England", "people/henry-viii"), ("Charles VI", "people/charles-vi"),
                         ("Henry VIII", "people/henry-viii")]
    assert person_partials("Eugene of Savoy") == []


def test_short_given_name_written_out_in_full():
    r = _renderer(person("andy-goram", "Andy Goram"), person("bill-clinton", "Bill Clinton"))
    rb = r.render(body="Andrew Goram saved; William Clinton watched. Goram waved.")
    assert found(rb) == [("Andrew Goram", "people/andy-goram"), ("William Clinton", "people/bill-clinton"),
                         ("Goram", "people/andy-goram")]


def test_russian_womans_surname_in_its_masculine_form():
    """English copy often writes a Russian woman's surname as the man's: "Naina Yeltsin"."""
    r = _renderer(person("naina-yeltsina", "Naina Yeltsina"), person("boris-yeltsin", "Boris Yeltsin"))
    rb = r.render(body="Boris Yeltsin visited Naina Yeltsin in hospital. Yeltsin said Naina Yeltsina was well.")
    assert found(rb) == [("Boris Yeltsin", "people/boris-yeltsin"), ("Naina Yeltsin", "people/naina-yeltsina"),
                         ("Yeltsin", "people/boris-yeltsin"), ("Naina Yeltsina", "people/naina-yeltsina")]
    assert "Anna Kournikov" in name_variants("Anna Kournikova")
    assert name_variants("Paulina Rubio") == [] and name_variants("Ana Ivanovic") == []


def test_ukrainian_and_russian_forms_of_a_given_name_and_more_short_forms():
    r = _renderer(person("serhii-rebrov", "Serhii Rebrov"), person("inha-babakova", "Inha Babakova"),
                  person("ally-mccoist", "Ally McCoist"), person("toni-polster", "Toni Polster"),
                  person("sergei-ivanov", "Sergei Ivanov"), person("serhiy-ivanov", "Serhiy Ivanov"))
    rb = r.render(body="Sergei Rebrov scored; Inga Babakova jumped; Alistair McCoist and Anton Polster watched. "
                       "Serhiy Ivanov met Sergey Ivanov.")
    assert found(rb) == [("Sergei Rebrov", "people/serhii-rebrov"), ("Inga Babakova", "people/inha-babakova"),
                         ("Alistair McCoist", "people/ally-mccoist"), ("Anton Polster", "people/toni-polster"),
                         ("Serhiy Ivanov", "people/serhiy-ivanov"), ("Sergey Ivanov", "people/serhiy-ivanov")]
    rb = r.render(body="Sergey Ivanov spoke.")  # either of two registered people, and neither named yet
    assert found(rb) == [] and [d.text for d in rb.declined] == ["Sergey Ivanov"]


def test_the_arabic_article_spelt_another_way_names_the_person():
    r = _renderer(person("zine-el-abidine-ben-ali", "Zine El Abidine Ben Ali"),
                  person("abdel-fattah-el-sisi", "Abdel Fattah el-Sisi"), person("al-gore", "Al Gore"))
    rb = r.render(body="Zine al-Abidine Ben Ali met Abdel Fattah Al Sisi. Later Abdel Fattah al-Sisi spoke; "
                       "El Gore and al-Gore are no one.")
    assert found(rb) == [("Zine al-Abidine Ben Ali", "people/zine-el-abidine-ben-ali"),
                         ("Abdel Fattah Al Sisi", "people/abdel-fattah-el-sisi"),
                         ("Abdel Fattah al-Sisi", "people/abdel-fattah-el-sisi")]
    assert len(name_variants("Zine El Abidine Ben Ali")) <= 6 and name_variants("Al Gore") == ["Albert Gore", "Alan Gore"]


_TEXT = st.lists(st.sampled_from(list("aAé .!?\n\t\u00a0\"”’)“‘(0'-") + ["Mr", "Dr"]), max_size=30).map("".join)


@given(_TEXT, _TEXT)
@example(text="He met Mr. Kerry. “Then” A.\n\nB! (C", title="He  met")
@settings(max_examples=300, deadline=None)
def test_headline_and_sentence_scans_agree_with_their_plain_patterns(text, title):
    """The hand-written scans keep the meaning of the patterns they replaced (speed, not rules)."""
    import re

    from archivegen.linker import _leading_words
    from archivegen.render import _ABBREV, sentence_bounds

    words = [fold(w) for w in title.split()]
    if words:
        m = re.match(r"\s*" + r"\s+".join(re.escape(w) for w in words), fold(text))
        assert _leading_words(fold(text), words) == (m.end() if m else 0)
    starts = [0] + [m.end() for m in re.finditer(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]*[A-Z0-9])|\n+", text)
                    if m.group(0).startswith("\n") or not _ABBREV.search(text[max(0, m.start() - 6):m.start()])]
    assert sentence_bounds(text) == starts


_MARKDOWN = st.lists(st.sampled_from(["John Kerry", "Russia", " ", "\n", "\n\n", "  \n", "*", "_", "`", "\\", "[", "]",
                                      "(", ")", "<b>", "</b>", "&amp;", "&", "!", "[^1]", "[^1]: note", "<http://x.y>",
                                      "# ", "- ", "> ", "said.", "Mr", "Kerry"]), max_size=40).map("".join)


@given(_MARKDOWN)
@example("John Kerry said  \nRussia")  # a hard line break with no other inline syntax
@example("said *Kerry*  \nRussia")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_plain_text_skipping_renders_what_stock_markdown_renders(registry, body):
    """Leaving pattern-free text alone (render._PlainTextInline) changes no output, only its speed."""
    from archivegen import render

    fast = BodyRenderer(registry, Config())
    assert type(fast.md.treeprocessors["inline"]) is render._PlainTextInline
    stock = BodyRenderer(registry, Config())
    stock.md.treeprocessors.register(markdown.treeprocessors.InlineProcessor(stock.md), "inline", 20)
    a, b = fast.render(body=body), stock.render(body=body)
    assert (a.html, a.text, a.mentions) == (b.html, b.text, b.mentions)


# pieces of mostly plain prose, with every character and line start _PlainParagraphs must refuse
_PROSE = st.lists(st.sampled_from(["John Kerry", "Russia", "said", " ", ".", ",", "'", '"', "’", "(", ")", "%", "$", "!",
                                   "?", ";", "1996", "1.", "1. ", "2)", "\n", "\n\n", "\n\n\n", "\n\n\n\n", " \n",
                                   "  \n", "\t", "\r\n", "\r", "\u00a0", "    ", "#", "# ", "=", "===", "-", "- ", "---",
                                   "+ ", ": ", ":", "> ", "*", "_", "&", "AT&T", "[", "]", "{", "}", "|", "~", "`", "\\",
                                   "<", "\x02", "Ünal", "Mr Kerry", "\n: x", "\n1. x", "\n- x", "\n+ x", "\n# x",
                                   "\n===", "\n---", "\n    x", "\n> x", "\n\ty", "[x](/y/)", "\n[id]: /u", "\n*[AT]: x",
                                   "\n[^1]: n", "[^1]", "{: .c}", "\n```\n", "\n~~~\n", "<b>", "</b>", "\n<div>\n",
                                   "a | b\n--- | ---", "\n| a |\n|---|", "&amp;", "&#169;", " *em* ", "__b__"]),
                  max_size=40).map("".join)


def _stock_blocks(registry):
    stock = BodyRenderer(registry, Config())
    stock.md.parser.blockprocessors.deregister("archivegen_plain")
    return stock


@given(st.one_of(_PROSE, _MARKDOWN))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example("Kerry met Lavrov.\n\nJohn Kerry said so.\n")
@example("One\n\n\n\nTwo\nthree \nfour")
@example("Russia\n1. one")
@example("Russia\n===")
@example("Russia\n: Moscow")
@example("Russia\n\n+ Moscow")
@example("Russia\n\n- Moscow")
@example("Russia\n\n# Moscow")
@example("Russia\n\n    Moscow")
@example("Russia\n\n> Moscow")
@example("Russia\n\n| Moscow |\n|---|")
@example("Russia\n\n___\n\nMoscow")
@example("Russia\n\n<div>\nMoscow\n</div>\n")
def test_plain_paragraphs_render_what_the_stock_block_stage_renders(registry, body):
    """Paragraphs made in one step (render._PlainParagraphs) are the ones the stock block
    processors make: same HTML, text and mentions, for plain prose and for anything else."""
    fast = BodyRenderer(registry, Config())
    assert "archivegen_plain" in fast.md.parser.blockprocessors
    a, b = fast.render(body=body), _stock_blocks(registry).render(body=body)
    assert (a.html, a.text, a.mentions, a.summary) == (b.html, b.text, b.mentions, b.summary)


# what the preprocessors look at: line ends, tabs, blank-looking lines, stash markers, fences, HTML
_RAW = st.lists(st.sampled_from(["John Kerry", "Russia", "said.", " ", "  ", "\n", "\n\n", "\r", "\r\n", "\t", "x\ty",
                                 " \n", "   \n", "\n   \n", "\n \n \n", "\x02", "\x03", "\x02wzxhzdk:0\x03", "```", "~~~",
                                 "```\ncode\n```\n", "~~~ {.py}\nx\n~~~\n", "``", "`x`", "<", ">", "<b>", "</b>",
                                 "<div>\nx\n</div>\n", "<p markdown=\"1\">*x*</p>", "&", "&amp;", "AT&T", "&#169;",
                                 "&copy", "- a", "1. b", "    indented"]), max_size=30).map("".join)


def _stock_preprocessors(registry):
    stock = BodyRenderer(registry, Config())
    pre = stock.md.preprocessors
    pre.register(markdown.preprocessors.NormalizeWhitespace(stock.md), "normalize_whitespace", 30)
    for name in ("fenced_code_block", "html_block"):
        del pre[name].run  # the instance's wrapper: the class's own run again
    return stock


@given(st.one_of(_RAW, _PROSE))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example("a\r\n\tb\n   \n\n \n \nc\x02d\x03")
@example("```\ncode\n```\n\nKerry <b>x</b> &amp; AT&T")
def test_preprocessor_shortcuts_give_what_the_stock_preprocessors_give(registry, body):
    """render._Whitespace and the skipping of fenced_code and md_in_html (speed, not rules)
    change no lines: the same HTML, text and mentions as the stock preprocessors."""
    from archivegen import render

    fast = BodyRenderer(registry, Config())
    assert type(fast.md.preprocessors["normalize_whitespace"]) is render._Whitespace
    stock = _stock_preprocessors(registry)
    assert type(stock.md.preprocessors["normalize_whitespace"]) is markdown.preprocessors.NormalizeWhitespace
    lines = body.split("\n")
    assert fast.md.preprocessors["normalize_whitespace"].run(list(lines)) == \
        stock.md.preprocessors["normalize_whitespace"].run(list(lines))
    a, b = fast.render(body=body), stock.render(body=body)
    assert (a.html, a.text, a.mentions, a.summary) == (b.html, b.text, b.mentions, b.summary)


def test_plain_paragraphs_take_plain_prose_and_leave_the_rest(registry):
    fast = BodyRenderer(registry, Config())
    plain = fast.md.parser.blockprocessors["archivegen_plain"]
    for body in ("John Kerry met Sergei Lavrov.\n\nThe talks, in 1996, went on (late).\nKerry left.\n",
                 "AT&T rose 5% on *Monday*, [Reuters](https://example.com/) said.  \nA `code` \\*star\\*.",
                 "One paragraph only", "\n\n\nAfter blank lines\n\n\n\nand more\n"):
        html = fast.render(body=body).html
        assert plain._declined is not fast.md.parser.root, body  # made in one step
        assert html == _stock_blocks(registry).render(body=body).html
        assert html.startswith("<p>") and html.count("<p>") == len([b for b in body.split("\n\n") if b.strip()])
    for body in ("Kerry said:\n\n- one\n- two", "# Heading\n\ntext", "a | b\n--- | ---", "<div>x</div>",
                 "    code", "```\ncode\n```", "1. first", "> quote", "[id]: /url"):
        fast.render(body=body)
        assert plain._declined is fast.md.parser.root, body  # left to the stock processors


@given(st.text(max_size=200), st.integers(min_value=0, max_value=3))
@example("Václav Havel’s `quote` – naïve", 2)
def test_fold_shortcuts_give_what_the_table_gives(text, repeat):
    """fold() returns ASCII text as it is and, for long texts, looks up only the
    characters outside ASCII: the result must equal translating every character."""
    from archivegen.linker import FOLD

    for t in (text, (text + " ") * (repeat * 40), text.encode("ascii", "ignore").decode() * 3):
        assert fold(t) == t.translate(FOLD)
        assert len(fold(t)) == len(t)


def test_key_initials_cover_every_word_with_the_key():
    """relink reads only the capitalised words that can have a changed person's spelling
    keys (``key_initials``): every word beginning with any three characters (letters,
    apostrophe, hyphen) must begin with a capital listed for its own key's first character."""
    import itertools

    from archivegen.linker import _word_key, key_initials

    chars = "abcdefghijklmnopqrstuvwxyz'-"
    for n in (1, 2, 3):
        for rest in itertools.product(chars, repeat=n - 1):
            for first in "abcdefghijklmnopqrstuvwxyz":
                for tail in ("", "ab", "hoe"):
                    word = (first + "".join(rest) + tail).capitalize()
                    key = _word_key(word)
                    assert word[0] in key_initials([[key]]), (word, key)


def test_spelled_word_keys_with_initials_keep_every_wanted_key():
    from archivegen.linker import _word_key, key_initials, spelled_word_keys

    text = "Kurdish leader Massoud Barzanni met McDonald, Schroeder, Tchaikovsky and O'Neill's aide in Yangon."
    wanted = [[_word_key(w)] for w in ("Masoud", "Barzani", "McDonnald", "Shroder", "Chaikovsky", "O'Neill", "Iangon")]
    have = spelled_word_keys(text, key_initials(wanted))
    assert all(k[0] in have for k in wanted)


def test_the_renderer_gets_markdowns_own_extensions_without_the_entry_point_scan(monkeypatch, registry):
    """render._extensions: the same extensions, in the same order, as Python-Markdown makes from
    their names, without reading every installed package's metadata to find them."""
    import markdown.util

    from archivegen.render import EXTENSIONS

    stock = markdown.Markdown(extensions=list(EXTENSIONS))

    def scan():
        raise AssertionError("looked the extensions up among the entry points")

    monkeypatch.setattr(markdown.util, "get_installed_extensions", scan)
    ours = BodyRenderer(registry, Config())
    made = [type(e) for e in ours.md.registeredExtensions if type(e) is not type(ours.ext)]
    assert made == [type(e) for e in stock.registeredExtensions]
    assert ours.render(body="| a |\n|---|\n| Russia |\n\nTerm\n: x[^1]\n\n[^1]: n").html.count("<table>") == 1


def _markdowns_own(o) -> bool:
    """Part of Python-Markdown's own cycle: its raw-HTML postprocessor's nested function
    (defined in the markdown package), the function's cells and the tuple holding them."""
    import os
    import types

    if isinstance(o, types.FunctionType):
        return o.__code__.co_filename.startswith(os.path.dirname(markdown.__file__) + os.sep)
    return type(o).__name__ in ("cell", "tuple")


def test_rendering_leaves_no_reference_cycles_of_ours(renderer):
    """An article's linker pass is freed by reference counting as the render returns.

    A nested function that called itself (the tree walk) made each pass a
    cycle holding the article's elements, text segments and state, which
    only the cyclic collector could free: 0.6 CPU-s of a 10,000-article
    build's body workers. Python-Markdown's raw-HTML postprocessor leaves a
    small cycle of its own (a function, its cells and a tuple), not counted.
    """
    import gc

    body = ("# Kerry in Moscow\n\nJohn Kerry met Sergei Lavrov in *Russia*. Mr Kerry said "
            "[France](https://example.org/) and `China` agreed.\n\n- Lavrov\n- the US\n\n<div>raw</div>\n")
    renderer.render(body=body)  # warm: caches filled, nothing lazily made later
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        for _ in range(3):
            rb = renderer.render(body=body)
        gc.collect()
        ours = [o for o in gc.garbage if not _markdowns_own(o)]
        kinds = sorted({type(o).__name__ for o in ours})
        assert not ours, f"cyclic garbage after rendering: {kinds}"
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert rb.mentions and "entity" in rb.html


def test_country_before_a_full_name_links_but_not_before_another_name(renderer):
    """A country glued to a following capitalised word is part of a longer name ("France
    Radio"), unless that word starts a registered person's full name (``linker._full_name_at``)."""
    rb = renderer.render(body="Talks were held with France Sergei Lavrov said. He spoke on France Radio.")
    assert found(rb) == [("France", "countries/france"), ("Sergei Lavrov", "people/sergei-lavrov")]
