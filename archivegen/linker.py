"""Find people and countries in article text and link them.

Two parts:

- ``Matcher``: every name form of every entity in one Aho-Corasick automaton
  (pyahocorasick), so the cost per article does not grow with the registry.
  Built once per registry (``Registry.matcher()``) and shared by all
  articles; it is rebuilt, not pickled, in worker processes.
- ``LinkerExtension``: a Python-Markdown extension whose Treeprocessor runs
  last, on the element tree, and looks at text nodes only (``.text`` and
  ``.tail``). Each article gets a fresh ``ArticleState`` that carries what the
  article has said so far: later references ("Kerry", "Mr Kerry", "Carlos
  Belo") resolve only to people whose full name came earlier.

The rules (DESIGN, "Entity linking") and the choices made where it leaves
room:

- Text inside ``code``, ``pre``, ``script``, ``style`` is neither linked nor
  counted. Text inside ``a`` (the author's own link) and headings (unless
  ``link_headings``) is counted, not linked.
- Matching is case-sensitive on word boundaries, longest match first. An
  ALL-CAPS form matches only where the text around it is all caps too
  (headlines, datelines), so "CHAD" inside normal prose is not Chad.
- Accents and apostrophe styles are folded on both sides ("Vaclav" finds
  "Václav", ’ equals '); a possessive "'s" is not part of the name.
- A name inside a longer proper name is not the entity: a country preceded
  by a capitalised word that is not a function word or a title ("Air
  France", "New Mexico", "Northern Ireland"), followed by a capitalised
  word ("China Daily"), or the object of "<Name> of" ("Bank of Japan").
  Adjectival forms (demonyms, "U.S.", "UK") may be followed by a title or
  a person ("Russian Foreign Minister", "Australian Tom Moody") but not by
  another capitalised word ("British Airways", "U.S. Open").
- People: full name or alias anywhere. Surname, title + surname and first +
  last name only after the full name (or the person is listed in the
  front matter ``people``), and only when exactly one such person is known
  in the article; otherwise the form is declined.
- A headline refers forward: in a heading, ALL-CAPS text, or a headline at
  the start of the body (it repeats the title, or stands above an ALL-CAPS
  dateline), a surname may name a person the article names in full later.
- A full name spelt otherwise (transliteration: "Massoud Barzani" for
  Masoud Barzani) is found by a spelling key of capitalised word runs; a key
  two people share means neither.
- Name shapes: family name first in Chinese and Korean names ("Xiao Qiang"
  -> Xiao); regnal names ("Henry VIII of England" -> Henry VIII) and
  "<Name> of <Place>" have no surname.
- Ambiguous forms (several entities, or a country form flagged ambiguous,
  such as "Georgia" or "Jordan") resolve to the candidate that the front
  matter lists or the article mentioned earlier; else they are declined
  (left unlinked, recorded for ``archivegen check``).
- ``no_link`` entities are never linked but their mentions are still
  recorded: the article does mention them, ``no_link`` only drops the link.
- Policy ``first`` links the first linkable mention of each entity, ``all``
  every mention, ``none`` nothing; every mention is recorded either way.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
import unicodedata
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Callable, Iterable

import ahocorasick
import markdown
from markdown.util import HTML_PLACEHOLDER

from .entities import Entity

# ---------------------------------------------------------------- folding

_APOSTROPHES = "\u2019\u2018\u02bc\u02bb\u0060\u00b4\u2032"
_HYPHENS = "\u2010\u2011"


def _fold_table() -> dict[int, str]:
    """One character to one character: offsets in folded text stay valid."""
    table: dict[int, str] = {}
    for cp in range(0x80, 0x2100):
        c = chr(cp)
        d = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))
        if len(d) == 1 and d != c:
            table[cp] = d
    for c in _APOSTROPHES:
        table[ord(c)] = "'"
    for c in _HYPHENS:
        table[ord(c)] = "-"
    for a, b in zip("øØłŁđĐħĦıŀĿ", "oOlLdDhHilL"):
        table[ord(a)] = b
    table[0xA0] = " "
    table[0x2007] = " "
    table[0x202F] = " "
    return table


FOLD = _fold_table()
_FOLD_CHARS = {chr(k): v for k, v in FOLD.items()}
_UNFOLDED = re.compile(r"[^\x00-\x5f\x61-\x7f]")  # not ASCII, or the backtick


def _fold_char(m: re.Match) -> str:
    c = m.group()
    return _FOLD_CHARS.get(c, c)


def fold(text: str) -> str:
    """Accents dropped, apostrophes and hyphens unified; same length as ``text``.

    ASCII text is returned as it is (the backtick is the one ASCII character
    folded): checking costs far less than ``translate`` with a table."""
    if text.isascii() and "`" not in text:
        return text
    if len(text) < 64:
        return text.translate(FOLD)
    return _UNFOLDED.sub(_fold_char, text)  # long texts have few such characters: only they are looked up


# ---------------------------------------------------------------- word lists

# Capitalised words that do not make a following name part of a longer proper
# name: English function words, sentence adverbs, days and months.
FUNCTION_WORDS = frozenset("""
a an the and or but nor so yet for of in on at to from by with without into onto upon over under about above
below across after before since until till during between among against through throughout toward towards
via per than as if when while where whereas whether though although because unless once even only also
both either neither each every all any some many most much more less few several no not
this that these those it its he him his she her hers they them their we us our i my me you your who whom whose
which what why how there here then now thus hence meanwhile however moreover still yesterday today tonight
tomorrow earlier later last next first second third new-found like unlike despite including says said
is was are were be been has have had will would shall should can could may might must do does did
one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand
million billion dozen half
monday tuesday wednesday thursday friday saturday sunday
january february march april june july august september october november december
mon tue tues wed thu thur thurs fri sat sun jan feb mar apr jun jul aug sep sept oct nov dec
""".split())

# Titles and roles: a capitalised word that may stand before a person's name
# or surname ("President Obama", "Foreign Minister Lavrov") and after a
# demonym ("Russian President", "U.S. Treasury Secretary").
TITLES = frozenset("""
mr mrs ms miss mx dr prof professor sir dame lord lady sen senator rep representative congressman
congresswoman gov governor mayor president vice-president premier chancellor minister secretary
ambassador envoy consul spokesman spokeswoman spokesperson king queen prince princess emperor empress
sultan emir sheikh shaikh ayatollah imam pope cardinal archbishop bishop rev reverend father pastor rabbi
general gen lieutenant lt colonel col major maj captain capt commander cmdr admiral adm sergeant sgt marshal
field chief judge justice attorney prosecutor chairman chairwoman chair director leader head officer
commissioner inspector superintendent detective constable officer coach manager striker midfielder
defender goalkeeper keeper skipper captain batsman bowler champion player star rider driver
speaker deputy acting former foreign defence defense interior finance economy trade health justice
prime state opposition party parliamentary presidential
""".split())

# Head nouns of organisations, events and places: "U.S. Open", "British
# Airways", "Bank of Japan", "Gulf of Mexico" are not the country.
ORG_HEADS = frozenset("""
airways airlines airline air airport open cup masters championship championships classic trophy tour games
grand prix rally marathon derby series league party congress department ministry treasury treasuries army navy
force forces guard police bank banks exchange fund federation union association council committee commission
agency authority board institute institution university college school academy church cathedral mosque
museum hospital court parliament assembly senate corporation corp company co inc ltd plc group holdings
industries motors telecom telecommunications radio television tv broadcasting news times post daily journal
herald tribune press gazette review railways railway post office service services front movement alliance
organisation organization society foundation centre center gulf sea bay coast river lake islands island
peninsula basin mountains valley delta strait channel ocean province state region city
""".split())

# Demonyms for one person that are also English words or given names
# ("Pole vault", "Finn the fish", "Dane Bowers"). A singular count noun
# needs a word before it ("the Pole", "a Finn", "left-handed Dane") unless a
# full name follows it ("Swede Jonas Bjorkman"; one capitalised word after it
# makes it a given name, as in "Dane Bowers"), so without either it is the
# other word.
HOMOGRAPH_DEMONYMS = frozenset("Pole Finn Dane Swede".split())

_PARTICLES = frozenset("van von de da di del della der den du le la bin ibn ter ten dos das do y al el st".split())
_SUFFIXES = frozenset("jr jr. sr sr. jnr jnr. snr snr. ii iii iv".split())

_WORD = re.compile(r"[\w.'-]*\w[.]?|\w", re.UNICODE)


def _is_word_char(c: str) -> bool:
    return c.isalnum()


def _is_cap(word: str) -> bool:
    return bool(word) and word[0].isupper()


def _is_caps_word(word: str) -> bool:
    return word.isupper() and sum(c.isalpha() for c in word) >= 2


def _bare(word: str) -> str:
    return word.strip(".'").lower()


# ---------------------------------------------------------------- spelling keys

# Transliteration and spelling differences that do not make another name:
# doubled letters, silent h, sh/ch/tch, ph/f, ck/k, oe/ou/oo/u, ee/i, y/i, o/u, w/v, c/k.
_DIGRAPHS = (("tch", "\u00a7"), ("sch", "\u00a7"), ("sh", "\u00a7"), ("ch", "\u00a7"), ("kh", "k"), ("ph", "f"),
             ("ck", "k"), ("th", "t"), ("dh", "d"), ("gh", "g"))
_VOWELS = (("oe", "u"), ("ou", "u"), ("oo", "u"), ("ee", "i"), ("y", "i"), ("o", "u"), ("w", "v"), ("c", "k"))
_DOUBLE = re.compile(r"(.)\1+")
_CAP_WORD = re.compile(r"[A-Z](?:[\w-]|'(?!s\b))*")
_CAP_RUN = re.compile(r"[A-Z][\w'-]*(?: [A-Z][\w'-]*)+")
_CAP_WORDS = re.compile(r"[A-Z][\w'-]*")  # a word of a _CAP_RUN
_KEY_CACHE: dict[str, str] = {}


def _word_key(word: str) -> str:
    """Spelling key of one (folded) word: "Massoud" and "Masoud" -> "masud"."""
    k = _KEY_CACHE.get(word)
    if k is None:
        w = word.lower().replace("-", "")
        for a, b in _DIGRAPHS:
            w = w.replace(a, b)
        w = w[:1] + w[1:].replace("h", "")
        for a, b in _VOWELS:
            w = w.replace(a, b)
        k = _DOUBLE.sub(r"\1", w)
        if len(_KEY_CACHE) > 200_000:
            _KEY_CACHE.clear()
        _KEY_CACHE[word] = k
    return k


def spelling_key(name: str) -> str:
    """Key of a two- or three-word name of capitalised words, or "" when the
    name is too short or shaped otherwise to be matched by spelling."""
    words = name.split()
    if not 2 <= len(words) <= 3 or len(name) < 8 or not all(_CAP_WORD.fullmatch(w) for w in words):
        return ""
    keys = [_word_key(w) for w in words]
    if any(len(k) < 2 for k in keys):
        return ""
    return " ".join(keys)


# ---------------------------------------------------------------- the matcher

# Roles of a form for an entity.
NAME, ADJ, SURNAME, FIRSTLAST, BLOCK = "name", "adj", "surname", "firstlast", "block"
VARIANT, INITIAL = "variant", "initial"  # a full name spelt otherwise; "S. Waugh"
GIVEN = "given"  # the given name alone ("Jansher" after "Jansher Khan"): the weakest reading
FULL = frozenset({NAME, VARIANT})
LATER = frozenset({SURNAME, FIRSTLAST, INITIAL, GIVEN})  # later references: only after the full name


@dataclass(frozen=True)
class Entry:
    """One meaning of one form: entity ``key`` in ``role``."""

    key: str
    kind: str  # "person" | "country"
    role: str
    ambiguous: bool = False  # the form may also mean something outside the registry


_ROMAN = re.compile(r"(?=[IVXL])X{0,3}(?:IX|IV|V?I{0,3})")
# Family names that come first in Chinese and Korean names ("Xiao Qiang", "Kim Young-sam").
EAST_ASIAN_SURNAMES = frozenset("""
Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo Zheng Liang Xie Song Tang
Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng Wei Su Lu Ding Ren Shen Yao Jin
Qian Fu Zhong Tan Qiu Hou Shi Xiong Meng Qin Bai Jia Xue Yan Lei Long Duan Hao Kong Shao Mao Wan Gu Lai Wen Fang
Qi Kang Zou Liao Hong Xia Lou Bao Chang Chiang Chou Chu Hsu Huang Kuo Tsai Tung Lee Chan Cheung Lau Wong Leung
Lam Tsang Ng Chow Yeung Kim Park Choi Jung Chung Cho Yoon Jang Lim Shin Oh Seo Kwon Hwang Ahn Yoo Jeon Ko Moon
Son Bae Baek Roh Noh Xi Hua Ji Yi Mo Qu Zhan Pei
""".split())
# Of those, the ones that are English words too ("He said"): no surname-alone form.
_EAST_ASIAN_WORDS = frozenset("He Long Song Oh Son Moon Park Ma Ko Yu Wan".split())
_PINYIN = re.compile(
    r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui|ue|er|a|o|e|i|u)){1,3}")


def name_shape(name: str) -> str:
    """How a person's name is built when it is not given names + surname.

    "regnal": a monarch's or pope's name, a Roman numeral second ("Henry VIII
    of England", "Charles VI, Holy Roman Emperor"); "styled": "<Name> of
    <Place>" ("Eugene of Savoy"); "east-asian": family name first, a Chinese
    or Korean given name after it ("Xiao Qiang", "Kim Young-sam"); "" else.
    """
    tokens = name.replace(",", " ").split()
    if len(tokens) >= 2 and _ROMAN.fullmatch(tokens[1]):
        return "regnal"
    if "of" in tokens[1:-1]:
        return "styled"
    if len(tokens) == 2 and tokens[0] in EAST_ASIAN_SURNAMES:
        given = tokens[1]
        if _PINYIN.fullmatch(given.lower()) or re.fullmatch(r"[A-Z][a-z]+-[a-z]+", given):
            return "east-asian"
    return ""


def person_partials(name: str) -> list[tuple[str, str]]:
    """Later-reference forms of a person's name: [(form, role)].

    "John Kerry" -> Kerry; "Carlos Filipe Ximenes Belo" -> Belo, Carlos Belo;
    "Mark van Bommel" -> van Bommel, Van Bommel; "Bashar al-Assad" ->
    al-Assad, Assad; "Martin Luther King Jr." -> King, Martin King.
    """
    shape = name_shape(name)
    if shape == "regnal" or shape == "styled":
        return []  # "Henry VIII of England" is not "England"; "Eugene of Savoy" not "Savoy"
    if shape == "east-asian":
        family = name.split()[0]  # "Xiao Qiang" -> Xiao, "Kim Young-sam" -> Kim; not "He" of He Zhenliang
        return [] if family in _EAST_ASIAN_WORDS else [(family, SURNAME)]
    tokens = name.split()
    while tokens and tokens[-1].lower().rstrip(",") in _SUFFIXES:
        tokens.pop()
    if tokens and tokens[-1].endswith(","):
        tokens[-1] = tokens[-1][:-1]
    if len(tokens) < 2:
        return []
    i = len(tokens) - 1
    while i > 1 and tokens[i - 1].lower() in _PARTICLES:
        i -= 1
    surname_tokens = tokens[i:]
    surname = " ".join(surname_tokens)
    out: list[tuple[str, str]] = []
    if len(surname.replace(".", "")) >= 2:
        out.append((surname, SURNAME))
        if surname_tokens[0].lower() in _PARTICLES and surname_tokens[0][0].islower():
            out.append((surname[0].upper() + surname[1:], SURNAME))
        m = re.match(r"^(?:al|el|Al|El|ad|as|an|ash|at|ar)-(\w.*)$", surname)
        if m and len(m.group(1)) >= 3:
            out.append((m.group(1), SURNAME))
    first = tokens[0]
    if i >= 2 and len(first.rstrip(".")) >= 2:
        out.append((f"{first} {surname}", FIRSTLAST))
    if _given_alone(first) and first not in EAST_ASIAN_SURNAMES:  # "Lee" may be a family name
        out.append((first, GIVEN))
    if i >= 2 and len(surname_tokens) == 1 and tokens[i - 1][0].isupper() and not tokens[i - 1].endswith("."):
        out.append((f"{tokens[i - 1]} {surname}", SURNAME))  # "Suu Kyi", "Ximenes Belo"
    return out


def _given_alone(word: str) -> bool:
    """Whether a given name can stand alone for its bearer once the article named them in full.

    Sports reports and profiles do it ("Jansher", "Monica"); a name that is
    also an English word, a title or an initial cannot ("Will", "Major", "J.").
    """
    return (len(word) >= 3 and word[0].isupper() and word[1:].islower() and word.replace("-", "").isalpha()
            and word.lower() not in FUNCTION_WORDS and word.lower() not in TITLES
            and word.lower() not in _PARTICLES and word.lower() not in _GIVEN_WORDS)


# Given names that are also common English words: never a name on their own.
_GIVEN_WORDS = frozenset("""
will bill mark grant rose may june april august dawn faith hope joy grace glen dale rich frank
sterling guy ray art earl jack pat sue don ben gene carol ruby amber destiny victory chase hunter
""".split())


# Short forms of English given names: "Andy Caddick" is Andrew Caddick.
HYPOCORISMS = {
    "Andrew": ["Andy"], "Michael": ["Mike"], "William": ["Bill", "Will", "Billy"], "Robert": ["Bob", "Rob", "Bobby"],
    "James": ["Jim", "Jimmy"], "Richard": ["Rick", "Dick"], "Thomas": ["Tom", "Tommy"], "Anthony": ["Tony"],
    "Antony": ["Tony"], "Stephen": ["Steve"], "Steven": ["Steve"], "Christopher": ["Chris"], "Nicholas": ["Nick"],
    "Daniel": ["Dan", "Danny"], "David": ["Dave"], "Edward": ["Ed", "Ted", "Eddie"], "Joseph": ["Joe"],
    "Kenneth": ["Ken", "Kenny"], "Matthew": ["Matt"], "Patrick": ["Pat"], "Peter": ["Pete"], "Samuel": ["Sam"],
    "Timothy": ["Tim"], "Benjamin": ["Ben"], "Charles": ["Charlie", "Chuck"], "Donald": ["Don"],
    "Frederick": ["Fred"], "Gerald": ["Gerry"], "Gregory": ["Greg"], "Jonathan": ["Jon"], "Lawrence": ["Larry"],
    "Leonard": ["Len"], "Philip": ["Phil"], "Phillip": ["Phil"], "Raymond": ["Ray"], "Ronald": ["Ron", "Ronnie"],
    "Theodore": ["Ted"], "Vincent": ["Vince"], "Alexander": ["Alex"], "Elizabeth": ["Liz"], "Katherine": ["Kate"],
    "Catherine": ["Kate", "Cathy"], "Margaret": ["Maggie"], "Susan": ["Sue"], "Jennifer": ["Jenny"],
    "Nathaniel": ["Nate"], "Nathan": ["Nate"], "Zachary": ["Zach"], "Douglas": ["Doug"], "Jeffrey": ["Jeff"],
    "Geoffrey": ["Geoff"], "Alfred": ["Alf", "Alfie"], "Albert": ["Al"], "Alan": ["Al"], "Harold": ["Harry"],
    "Henry": ["Harry", "Hank"], "John": ["Jack", "Johnny"], "Francis": ["Frank"], "Walter": ["Walt"],
    "Alistair": ["Ally"], "Alasdair": ["Ally"], "Anton": ["Toni"], "Antonio": ["Toni", "Tony"],
}
# The Ukrainian and the Russian form of one given name, and their usual
# romanisations: English copy long wrote Ukrainians' names the Russian way
# ("Sergei Rebrov" for Serhii Rebrov), and still mixes them.
GIVEN_NAME_FORMS = [
    ("Serhii", "Serhiy", "Sergei", "Sergey", "Sergiy"), ("Oleksandr", "Aleksandr", "Alexandr"),
    ("Andriy", "Andrii", "Andrei", "Andrey"), ("Mykola", "Nikolai", "Nikolay"), ("Volodymyr", "Vladimir"),
    ("Dmytro", "Dmitri", "Dmitry"), ("Oleh", "Oleg"), ("Olha", "Olga"), ("Inha", "Inga"),
    ("Yuriy", "Yurii", "Yuri", "Yury"), ("Mykhailo", "Mikhail"), ("Petro", "Pyotr"), ("Ihor", "Igor"),
    ("Vasyl", "Vasily", "Vasili"), ("Hryhoriy", "Grigory", "Grigori"), ("Yevhen", "Yevgeny", "Evgeny", "Yevgeni"),
    ("Anatoliy", "Anatoly", "Anatoli"), ("Tetiana", "Tatiana", "Tatyana"), ("Kateryna", "Yekaterina", "Ekaterina"),
    ("Viktor", "Victor"), ("Oleksiy", "Oleksii", "Alexei", "Alexey", "Aleksei"), ("Pavlo", "Pavel"),
]
_SAME_GIVEN = {name: [other for other in group if other != name] for group in GIVEN_NAME_FORMS for name in group}
# The other way: a registered short form, written out in full ("Andrew Goram" for Andy Goram).
# Also how `entities suggest` joins "Jim Wright" and "James Wright".
FULL_GIVEN: dict[str, list[str]] = {}
for _full, _shorts in HYPOCORISMS.items():
    for _short in _shorts:
        FULL_GIVEN.setdefault(_short, []).append(_full)
_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
_PATRONYMIC = re.compile(r"^\w+(?:ovich|evich|ovna|evna|yevich|ich|ogly|oglu|ovitch)$")
# A Russian or Ukrainian woman's surname and the form English copy often uses
# instead, the man's ("Naina Yeltsin" for Naina Yeltsina, "Raisa Gorbachev").
_FEMININE_SURNAME = re.compile(r"^([A-Z][a-z]{2,}(?:ov|ev|yev|in|yn))a$")


_ARABIC_ARTICLE = re.compile(r"^(?:al|el|Al|El)(?:-(?=\w)|$)")
_ARTICLE_FORMS = ("al-{}", "el-{}", "Al-{}", "El-{}", "Al {}", "El {}")


def _article_spellings(tokens: list[str]) -> list[str]:
    """A name with the Arabic article spelt each common way: "Zine al-Abidine Ben Ali" and
    "Zine El Abidine Ben Ali", "Abdel Fattah el-Sisi" and "Abdel Fattah al-Sisi".

    Only after the first word ("Al Gore" is a given name, not an article),
    and every article in the name spelt alike, so a name gets six spellings
    at most.
    """
    parts: list[str | None] = []  # None marks where an article stands before the next word
    i, found = 0, False
    while i < len(tokens):
        t = tokens[i]
        m = _ARABIC_ARTICLE.match(t) if i > 0 else None
        if m and len(t) > m.end():  # "al-Abidine"
            parts += [None, t[m.end():]]
            found = True
        elif m and i + 1 < len(tokens) and tokens[i + 1][:1].isupper():  # "El Abidine"
            parts += [None, tokens[i + 1]]
            found = True
            i += 1
        else:
            parts.append(t)
        i += 1
    if not found:
        return []
    out = []
    for form in _ARTICLE_FORMS:
        words: list[str] = []
        pending = False
        for p in parts:
            if p is None:
                pending = True
            else:
                words.append(form.format(p) if pending else p)
                pending = False
        out.append(" ".join(words))
    return out


def name_variants(name: str) -> list[str]:
    """Other spellings of a full name that still name the person outright.

    German umlauts written out ("Juergen" for "Jürgen"), middle initials,
    patronymics and Jr./Sr. left out ("Lawrence Lindsey" for "Lawrence B.
    Lindsey", "Alexander Volkov" for "Alexander Vladimirovich Volkov"), the
    first part of a double-barrelled surname ("Mary Onyali" for "Mary
    Onyali-Omagbemi"), the common short form of an English given name ("Andy
    Caddick") or, for a short form, the full one ("Andrew Goram"), -ei/-ey
    transliterations ("Sergey"/"Sergei"), the Russian form of a Ukrainian
    given name and the other way ("Sergei Rebrov", "Inga Babakova"), and a Russian woman's surname in
    its masculine form ("Naina Yeltsin" for Naina Yeltsina). Each keeps the
    given name, so none is a bare surname that could mean a relative.
    """
    out: list[str] = []
    shape = name_shape(name)
    if shape == "regnal":
        tokens = name.replace(",", " ").split()
        return [f"{tokens[0]} {tokens[1]}"] if len(tokens) > 2 else []  # "Henry VIII" of "Henry VIII of England"
    if shape in ("styled", "east-asian"):
        return []
    if any(c in name for c in _UMLAUTS):
        out.append("".join(_UMLAUTS.get(c, c) for c in name))
    tokens = name.replace(",", " ").split()
    core = [t for t in tokens if t.lower() not in _SUFFIXES]
    if len(core) != len(tokens) and len(core) >= 2:
        out.append(" ".join(core))
    if len(core) >= 3:
        middle = core[1:-1]
        if all(re.fullmatch(r"(?:[A-Z]\.)+|[A-Z]", t) or _PATRONYMIC.match(t) for t in middle):
            out.append(f"{core[0]} {core[-1]}")
    if len(core) == 2 and "-" in core[1] and core[1][0].isupper():
        first_part = core[1].split("-")[0]
        if len(first_part) >= 3 and first_part[0].isupper():
            out.append(f"{core[0]} {first_part}")
    if len(core) >= 2:
        for short in HYPOCORISMS.get(core[0], ()):
            out.append(" ".join([short, *core[1:]]))
            if len(core) >= 3 and f"{core[0]} {core[-1]}" in out:
                out.append(f"{short} {core[-1]}")
        for full in FULL_GIVEN.get(core[0], ()):
            out.append(" ".join([full, *core[1:]]))  # "Andrew Goram" for Andy Goram
        for other in _SAME_GIVEN.get(core[0], ()):
            out.append(" ".join([other, *core[1:]]))  # "Sergei Rebrov" for Serhii Rebrov
        first = core[0]
        if first.endswith("ei"):
            out.append(" ".join([first[:-1] + "y", *core[1:]]))
        elif first.endswith("ey"):
            out.append(" ".join([first[:-1] + "i", *core[1:]]))
        m = _FEMININE_SURNAME.match(core[-1])
        if m:
            out.append(" ".join([*core[:-1], m.group(1)]))
        out.extend(_article_spellings(core))
    return [v for v in dict.fromkeys(out) if v != name]


def initial_forms(name: str) -> list[str]:
    """"S. Waugh" for Steve Waugh: scorecards and result lists name people so."""
    if name_shape(name):
        return []
    tokens = [t for t in name.replace(",", " ").split() if t.lower() not in _SUFFIXES]
    if len(tokens) < 2 or not tokens[0][0].isalpha() or not tokens[0][0].isupper() or len(tokens[0]) < 2:
        return []
    i = len(tokens) - 1
    while i > 1 and tokens[i - 1].lower() in _PARTICLES:
        i -= 1
    return [f"{tokens[0][0]}. {' '.join(tokens[i:])}"]


def person_forms(names: list[str]) -> list[tuple[str, str]]:
    """Every form the matcher registers for a person with these names (name
    and aliases), with its role: the names, other spellings, initial forms,
    then later references; a form already taken keeps its first role."""
    out = [(n, NAME) for n in names]
    taken = {fold(x) for x in names}
    for more, role in ((name_variants, VARIANT), (initial_forms, INITIAL)):
        for n in names:
            for form in more(n):
                if fold(form) not in taken:
                    taken.add(fold(form))
                    out.append((form, role))
    for n in names:
        for form, role in person_partials(n):
            if fold(form) not in taken:
                out.append((form, role))
    return out


def country_forms(e: Entity) -> list[tuple[str, str]]:
    """Every form the matcher registers for a country, with its role: names,
    aliases and the official name (abbreviations as adjectives), demonyms."""
    names = [e.name, *e.aliases] + ([e.official_name] if e.official_name else [])
    return [(n, ADJ if _is_abbreviation(n) else NAME) for n in names] + [(d, ADJ) for d in e.demonyms]


def person_spelling_keys(names: list[str]) -> list[str]:
    """Spelling keys of a person's names and their variants ("masud barzani"),
    which ``Matcher._spelled`` matches otherwise-spelt full names against."""
    keys = (spelling_key(fold(n)) for n in dict.fromkeys([*names, *(v for n in names for v in name_variants(n))]))
    return [k for k in dict.fromkeys(keys) if k]


# The first character of a word's spelling key -> the capitals the word can begin with
# (other keys begin with the word's own first letter): "§" from Sh-, Sch-, Ch-, Tch-,
# "k" from K- and C-, "f" from Ph-, "u" from O-, "i" from Ee- and Y-, "v" from W-.
_KEY_STARTS = {"§": "CST", "k": "CK", "f": "FP", "u": "OU", "i": "EIY", "v": "VW"}


def key_initials(keys: Iterable[Iterable[str]]) -> str:
    """The capitals that words whose spelling keys are among ``keys``' words begin with."""
    letters: set[str] = set()
    for key in keys:
        for k in key:
            if k:
                letters.update(_KEY_STARTS.get(k[0], k[0].upper()))
    return "".join(sorted(letters))


@functools.lru_cache(maxsize=32)
def _cap_words_from(initials: str) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(initials)}][\\w'-]*") if initials else _CAP_WORDS


def spelled_word_keys(folded: str, initials: str = "") -> set[str]:
    """The spelling keys of every word ``Matcher._spelled`` can read in a
    folded text (the words of runs of capitalised words): a person's
    otherwise-spelt name can match the text only if each of its keys' words
    is among them. ``initials`` (``key_initials``) limits the words read to
    those that can have the keys looked for: fewer to find and key."""
    cache = _KEY_CACHE
    # every capitalised word, not only those in runs: a superset, found in one pass
    words = set(_cap_words_from(initials).findall(folded))
    return {cache.get(w) or _word_key(w) for w in (w[:-2] if w.endswith("'s") else w for w in words)}


def _is_abbreviation(form: str) -> bool:
    return bool(re.fullmatch(r"(?:[A-Z]\.){1,4}|[A-Z]{2,4}", form))


def _entity_ambiguous_forms(e: Entity) -> set[str]:
    forms = getattr(e, "ambiguous", None) or e.extra.get("ambiguous") or ()
    if forms is True:
        return {e.name, *e.aliases}
    return {f for f in forms}


class Matcher:
    """Every form of every entity in one automaton.

    Keys are folded forms, plus their upper-case variants for ALL-CAPS text;
    each key maps to ``(length, [(form_text, [Entry, ...], is_upper)])``.
    """

    def __init__(self, registry: Any):
        self.entities: dict[str, Entity] = dict(registry.entities)
        forms: dict[str, dict[Entry, None]] = {}
        originals: dict[str, str] = {}

        def add(form: str, entry: Entry) -> None:
            form = form.strip()
            if not form or not any(c.isalpha() for c in form):
                return
            k = fold(form)
            forms.setdefault(k, {})[entry] = None
            originals.setdefault(k, form)

        weak = {fold(f): keys for f, (keys, evidence) in getattr(registry, "ambiguous", {}).items() if evidence}
        claimed: set[str] = set()
        for e in self.entities.values():
            if e.kind == "person":
                for form, role in person_forms([e.name, *e.aliases]):
                    add(form, Entry(e.key, "person", role))
            else:
                amb = {fold(f) for f in _entity_ambiguous_forms(e)} | {f for f, ks in weak.items() if e.key in ks}
                for n, role in country_forms(e):
                    add(n, Entry(e.key, "country", role, fold(n) in amb))
                    claimed.add(fold(n))
        # Ambiguous forms no country claims ("Congo", "Korean") mean any of theirs.
        for form, (keys, evidence) in getattr(registry, "ambiguous", {}).items():
            if fold(form) in claimed:
                continue
            role = ADJ if form.endswith(("an", "ans", "ese", "ish")) else NAME
            for k in keys:
                if k in self.entities:
                    add(form, Entry(k, "country", role, True))
        # Longer forms that are not the entity inside them ("New Mexico"): matched, linked to nothing.
        for form in getattr(registry, "not_entities", ()):
            add(form, Entry("", "none", BLOCK))
        # A person's full name beats another person's later-reference form of
        # the same text only by context; keep all entries, ordered.
        self.forms = {k: tuple(v) for k, v in forms.items()}
        self.demonym_forms = frozenset(
            k for k, v in self.forms.items() if any(x.kind == "country" for x in v))
        # Spelling keys of people's two- and three-word names ("Massoud Barzani"
        # for Masoud Barzani); a key two people share means neither.
        spelled: dict[str, str] = {}
        for e in self.entities.values():
            if e.kind != "person":
                continue
            for k in person_spelling_keys([e.name, *e.aliases]):
                spelled[k] = e.key if spelled.get(k, e.key) == e.key else ""
        self.spelled = {k: v for k, v in spelled.items() if v}
        self.spelled_last = frozenset(k.rsplit(" ", 1)[1] for k in self.spelled)
        self._context: dict[str, frozenset[str]] = {}
        self._build()

    def context_words(self, key: str) -> frozenset[str]:
        """The names an entity's description and biography use (folded), less its own.

        Asked only when several entities share a form ("Michael Collins"
        the astronaut and the Irish leader), so computed on demand."""
        if key not in self._context:
            e = self.entities[key]
            own = {w for n in [e.name, *e.aliases] for w in _CAP_WORD.findall(fold(n))}
            self._context[key] = _context_words(f"{e.description}\n{e.body}") - own
        return self._context[key]

    def _build(self) -> None:
        auto = ahocorasick.Automaton()
        table: dict[str, list[tuple[tuple[Entry, ...], bool]]] = {}
        for k, entries in self.forms.items():
            table.setdefault(k, []).append((entries, False))
            up = k.upper()
            if up != k:
                table.setdefault(up, []).append((entries, True))
        for k, meanings in table.items():
            auto.add_word(k, (len(k), tuple(meanings)))
        auto.make_automaton()
        self.automaton = auto
        self._runs: dict[str, tuple[tuple[int, int, tuple], ...]] = {}  # run of capitals -> its variants

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("automaton", None)
        state.pop("_runs", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._build()

    def candidates(self, text: str) -> list[tuple[int, int, tuple]]:
        """Matches on word boundaries: [(start, end, meanings)], leftmost-longest order."""
        folded = fold(text)
        n = len(folded)
        out = []
        for end_index, (length, meanings) in self.automaton.iter(folded):
            end = end_index + 1
            start = end - length
            if start > 0:
                c = folded[start - 1]
                if c.isalnum() or c == "_":
                    continue
                if c == "'" and start > 1 and folded[start - 2].isalpha():
                    continue  # O'Brien is not Brien
            if end < n:
                c = folded[end]
                if c.isalnum() or c == "_":
                    continue
                if folded[end - 1] != "." and c == "'" and end + 1 < n and folded[end + 1].isalpha() \
                        and folded[end + 1] != "s":
                    continue  # d'Estaing-like joins, but "Russia's" is a possessive
            out.append((start, end, meanings))
        if self.spelled:
            out.extend(self._spelled(folded))
        out.sort(key=lambda m: (m[0], -m[1]))
        return out

    def _spelled(self, folded: str) -> list[tuple[int, int, tuple]]:
        """Full names spelt otherwise: runs of two or three capitalised words
        whose spelling key is a person's ("Salim Malik" for Saleem Malik).

        What a run holds depends on its text alone, and the same runs ("Prime
        Minister", "United States") come back in article after article: each
        run's findings are kept, by its text, relative to its start."""
        out = []
        runs = self._runs
        if len(runs) > 200_000:
            runs.clear()
        for m in _CAP_RUN.finditer(folded):
            start = m.start()
            if start and (folded[start - 1].isalnum() or folded[start - 1] in "'_"):
                continue  # inside a word: "iPhone Xs"
            run = m.group(0)
            found = runs.get(run)
            if found is None:
                found = runs[run] = self._spelled_run(run)
            if found:
                out.extend([(start + a, start + b, meanings) for a, b, meanings in found])
        return out

    def _spelled_run(self, run: str) -> tuple[tuple[int, int, tuple], ...]:
        """The spelling variants of full names in one run of capitalised words, as
        (start, end, meanings) relative to the run."""
        words = run.split(" ")
        if "'s" in run:
            for j, w in enumerate(words):
                if w.endswith("'s"):
                    words[j] = w[:-2]  # a possessive ends the name
                    del words[j + 1:]
                    break
            if len(words) < 2:
                return ()
        # most runs ("Prime Minister", "New York") end no registered name
        keys = [_word_key(w) for w in words]
        hits = [j for j in range(1, len(words)) if keys[j] in self.spelled_last]
        if not hits:
            return ()
        starts = [0]
        for w in words[:-1]:
            starts.append(starts[-1] + len(w) + 1)
        out = []
        for j in hits:
            end = starts[j] + len(words[j])
            for size in (2, 3):
                if j + 1 < size:
                    break
                key = self.spelled.get(" ".join(keys[j + 1 - size:j + 1]))
                if key is None:
                    continue
                start = starts[j + 1 - size]
                if run[start:end] in self.forms:
                    continue  # spelt as registered: the automaton has it
                out.append((start, end, (((Entry(key, "person", VARIANT),), False),)))
        return tuple(out)


# ---------------------------------------------------------------- per article


@dataclass(slots=True)  # no per-object __dict__: a 100,000-article build holds hundreds of thousands of these
class Mention:
    """One mention of an entity in the plain text of a rendered body."""

    start: int
    end: int
    text: str
    key: str
    kind: str
    linked: bool
    sentence: str = ""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as the constructor's arguments. Body workers send some 60,000 of these back
        for 10,000 articles; the state methods dataclass(slots=True) writes took three times as
        long to pickle and unpickle them (0.27 CPU-s against 0.09)."""
        return Mention, (self.start, self.end, self.text, self.key, self.kind, self.linked, self.sentence)


@dataclass
class Declined:
    """A form left unlinked because it could mean several entities."""

    start: int
    end: int
    text: str
    candidates: list[str]
    reason: str


@dataclass
class Decided:
    """A namesake picked by the names the article shares with their biography,
    recorded so ``archivegen check`` can show an editor why."""

    start: int
    end: int
    text: str
    key: str
    candidates: list[str]
    evidence: list[str]  # the shared names, sorted


@dataclass
class ArticleState:
    """What one article has said so far, and what the linker found in it."""

    policy: str = "first"  # first | all | none
    attached: set[str] = field(default_factory=set)  # front matter people + countries
    no_link: set[str] = field(default_factory=set)
    introduced: set[str] = field(default_factory=set)  # people whose full name appeared
    named_anywhere: set[str] = field(default_factory=set)  # people named in full anywhere in the article
    mentioned: set[str] = field(default_factory=set)
    linked: set[str] = field(default_factory=set)
    mentions: list[Mention] = field(default_factory=list)
    declined: list[Declined] = field(default_factory=list)
    decided: list[Decided] = field(default_factory=list)
    text: str = ""  # the article's plain text (for capitalisation evidence)
    title: str = ""  # the article's title (front matter), to find a headline repeated in the body
    headline_end: int = 0  # the body starts with a headline: plain-text offsets [0, headline_end)
    _midcaps: frozenset[str] | None = None
    _caps: frozenset[str] | None = None
    _firms: dict[str, str] | None = None

    def __post_init__(self) -> None:
        self.introduced |= {k for k in self.attached if k.startswith("people/")}

    @property
    def caps(self) -> frozenset[str]:
        """Every capitalised word of the article (folded), for telling namesakes apart."""
        if self._caps is None:
            self._caps = _context_words(self.text)
        return self._caps

    @property
    def firm_openers(self) -> dict[str, str]:
        """First words of the firms the article names, folded: {"taft": "Taft Broadcasting Co"}.

        Business news calls a firm by its first word ("Taft has 9.2 mln
        shares"), and a firm is often named after a family whose member the
        article also names ("Dudley Taft"): there the surname alone is
        either, and is not linked.
        """
        if self._firms is None:
            self._firms = {}
            # most articles name no firm: a plain substring test spares them the pattern
            if not _FIRM_TAIL.search(self.text):
                return self._firms
            for m in _FIRM_NAME.finditer(self.text):
                words = m.group(0).split()
                while words and words[0].lower() in FUNCTION_WORDS:
                    words = words[1:]  # "The Icahn Capital Corp"
                if len(words) >= 2 and words[0] not in FIRM_TAILS:
                    self._firms.setdefault(fold(words[0]).lower(), " ".join(words))
        return self._firms

    @property
    def midcaps(self) -> frozenset[str]:
        """Words the article capitalises inside a sentence: names, not sentence starts."""
        if self._midcaps is None:
            self._midcaps = frozenset(_MIDCAPS.findall(self.text))
        return self._midcaps


_MIDCAPS = re.compile(r"(?<=[a-z,;] )([A-Z][\w'-]*)")
# The last words of a firm's full name, as written: a legal form or a trade.
# The linker reads a firm's name with them; `entities suggest` (lower-cased)
# tells firms written like people by them.
FIRM_TAILS = frozenset("""
Co Cie Inc Corp Corporation Company Ltd Plc PLC LLC AG SA NV GmbH Bhd SpA Group Holdings Securities Capital
Markets Partners Brothers International Industries Bank Bancorp Associates Enterprises Broadcasting
""".split())
# A firm's name: capitalised words that end in such a tail, with "and" or "&"
# allowed only before it ("Taft Broadcasting Co", "Merrill Lynch and Co",
# "Icahn Capital Corp"; in "Icahn and Drexel Burnham Lambert Inc" the firm is Drexel's).
_FIRM_TAIL = re.compile(r" (?:%s)\b" % "|".join(sorted(FIRM_TAILS)))
_FIRM_NAME = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,6}(?: and| &)? (?:%s)\b"
                        % "|".join(sorted(FIRM_TAILS)))
BLOCKED = Declined(0, 0, "", [], "not an entity")  # sentinel: a longer name that is no entity


class Linker:
    """Decides, for one text segment at a time, which matches are mentions."""

    def __init__(self, matcher: Matcher):
        self.matcher = matcher

    def prepare(self, texts: list[str], state: ArticleState) -> list[list]:
        """Candidates of every text piece of an article, and who it names in full.

        Headlines refer forward: "SHEARER NAMED CAPTAIN" above "Alan Shearer
        was named ...". So a surname in a heading or ALL-CAPS text may
        resolve to a person the article names in full anywhere.
        """
        found = [self.matcher.candidates(t) for t in texts]
        for cands in found:
            for start, end, meanings in cands:
                for entries, upper in meanings:
                    if upper:
                        continue
                    people = {en.key for en in entries if en.kind == "person" and en.role in FULL}
                    if len(people) == 1:
                        state.named_anywhere |= people
        state.text = "".join(texts)
        state.headline_end = headline_end(state.text, state.title)
        return found

    def scan(self, text: str, offset: int, state: ArticleState, *, linkable: bool,
             found: list | None = None, heading: bool = False) -> list[tuple[int, int, str, bool]]:
        """Mentions in ``text`` (recorded in ``state``); returns where they are.

        ``offset`` is where ``text`` starts in the article's plain text.
        Returns ``[(start, end, key, link)]`` relative to ``text``.
        """
        if found is None:
            found = self.matcher.candidates(text)
        if not found:
            return []
        out = []
        pos = 0
        headline = offset < state.headline_end
        for start, end, meanings in found:
            if start < pos:
                continue
            in_headline = headline and start + offset < state.headline_end
            result = self._resolve(text, start, end, meanings, state, found, heading or in_headline)
            if result is None:
                continue
            pos = end
            if result is BLOCKED:
                continue
            surface = text[start:end]
            if isinstance(result, Declined):
                state.declined.append(Declined(start + offset, end + offset, surface, result.candidates, result.reason))
                continue
            if isinstance(result, Decided):
                state.decided.append(Decided(start + offset, end + offset, surface, result.key, result.candidates,
                                             result.evidence))
                result = result.key
            key = result
            entity = self.matcher.entities[key]
            state.mentioned.add(key)
            if entity.kind == "person":
                state.introduced.add(key)
            link = (linkable and key not in state.no_link and state.policy != "none"
                    and (state.policy == "all" or key not in state.linked))
            if link:
                state.linked.add(key)
            state.mentions.append(Mention(start + offset, end + offset, surface, key, entity.kind, link))
            out.append((start, end, key, link))
        return out

    # -- deciding one match

    def _resolve(self, text: str, start: int, end: int, meanings: tuple, state: ArticleState,
                 found: list[tuple[int, int, tuple]], heading: bool) -> str | Declined | Decided | None:
        caps = None
        valid: list[Entry] = []
        clash: tuple[str, str] | None = None
        surface = text[start:end]
        caps_surface = _is_caps_word(surface)
        for entries, upper in meanings:
            if upper or caps_surface:
                if caps is None:
                    caps = _caps_context(text, start, end)
                if upper and not caps:
                    continue
            in_caps = bool(caps) and caps_surface
            for en in entries:
                if en.role == BLOCK:
                    return BLOCKED
                if en.role in LATER and en.key not in state.introduced:
                    # cheap test first: most surnames in a text belong to people it never named
                    if not ((heading or in_caps) and en.key in state.named_anywhere):
                        continue
                if in_caps and not upper and en.role == ADJ and _bare(surface) in FUNCTION_WORDS:
                    continue  # "US" in "LET US GO"
                if not in_caps and not self._fits_context(text, start, end, en, found, state, heading):
                    continue
                if en.role == SURNAME and " " not in surface and not _titled(text, start):
                    firm = state.firm_openers.get(fold(_bare(surface)))
                    if firm:
                        clash = (en.key, firm)  # "Taft" beside "Taft Broadcasting Co" and "Dudley Taft"
                        continue
                if in_caps and en.kind == "country" and any(
                        w.lower().strip(".") in ORG_HEADS for w in _cap_run(text, end, 1)):
                    continue  # "U.S. OPEN", "GERMAN CUP"
                if in_caps and en.kind == "country" and surface.capitalize() in HOMOGRAPH_DEMONYMS \
                        and not _word_before(text, start):
                    continue  # "POLE VAULT STAR": in capitals only the word before tells
                valid.append(en)
        if not valid:
            if clash:
                return Declined(start, end, surface, [clash[0]], f"the article also names the firm {clash[1]}")
            return None
        if len(valid) == 1 and not valid[0].ambiguous:
            return valid[0].key  # the usual case, which every rule below leaves as it is
        # A given name alone is the weakest reading: any other meaning of the form wins.
        if any(en.role == GIVEN for en in valid) and any(en.role != GIVEN for en in valid):
            valid = [en for en in valid if en.role != GIVEN]
        # A full name (or its spelling variant) beats a later-reference form of the same text.
        if any(en.kind == "person" and en.role in FULL for en in valid):
            valid = [en for en in valid if en.kind != "person" or en.role in FULL]
        exact = [en for en in valid if en.role != VARIANT]
        if exact and len(exact) < len(valid):
            valid = exact
        keys = list(dict.fromkeys(en.key for en in valid))
        needs_evidence = any(en.ambiguous for en in valid)
        if len(keys) == 1 and not needs_evidence:
            return keys[0]
        known = state.attached | state.mentioned
        preferred = [k for k in keys if k in known]
        if len(preferred) == 1:
            return preferred[0]
        if len(keys) > 1 and not preferred and all(k.startswith("people/") for k in keys):
            chosen = self._by_context(keys, state)  # namesakes; countries that share a form need evidence
            if chosen:
                return Decided(start, end, surface, chosen[0], keys, chosen[1])
        reason = "several entities" if len(keys) > 1 else "the form has other meanings"
        return Declined(start, end, surface, keys, reason)

    def _has_suffix(self, key: str) -> bool:
        """Whether a person's registered name or an alias ends in a suffix ("Jr.", "III")."""
        e = self.matcher.entities[key]
        return any(n.rsplit(None, 1)[-1].lower().rstrip(",") in _SUFFIXES for n in [e.name, *e.aliases] if n.strip())

    def _by_context(self, keys: list[str], state: ArticleState) -> tuple[str, list[str]] | None:
        """The one of several namesakes whose description and biography share
        clearly more names with the article than the others' do: at least
        ``CONTEXT_MIN`` names, and twice as many as the runner-up's ("Apollo",
        "Columbia", "Armstrong" for the astronaut Michael Collins; "Cork",
        "Treaty", "Free State" for the Irish leader). Names every candidate's
        text holds say nothing, and are left out. Returns the key and the
        names that decided."""
        words = [self.matcher.context_words(k) for k in keys]
        shared = frozenset.intersection(*words)
        found = [((w - shared) & state.caps, k) for w, k in zip(words, keys)]
        scores = sorted(((len(names), k, names) for names, k in found), key=lambda x: (-x[0], x[1]))
        best, runner_up = scores[0][0], scores[1][0]
        if best >= CONTEXT_MIN and best >= 2 * runner_up:
            return scores[0][1], sorted(scores[0][2])
        return None

    def _fits_context(self, text: str, start: int, end: int, en: Entry, found: list[tuple[int, int, tuple]],
                      state: ArticleState, heading: bool = False) -> bool:
        """Whether the neighbouring words leave the match a name of its own."""
        surface = text[start:end]
        single = " " not in surface
        if en.kind == "person":
            if en.role in FULL and not single:
                nxt = _next_word(text, end)
                if heading or not nxt or not _is_cap(nxt):
                    return True
                if nxt.lower().rstrip(".") in _SUFFIXES:
                    # "Al Unser Jr" is the registered Al Unser Jr., but "Barack Obama Sr." is his father
                    return self._has_suffix(en.key)
                # "Martin Luther King" is not Martin Luther, "John Lennon Airport" not John Lennon;
                # an ALL-CAPS word after a byline is a dateline ("Mona Eltahawy TRIPOLI")
                return _neutral(nxt) or _is_caps_word(nxt)
            if self._glued_before(text, start, state):
                return False  # "Gene Simmons" is not Phil Simmons
            if en.role == GIVEN and not _given_name_place(text, start, end):
                return False
            nxt = _next_word(text, end)
            if nxt and _is_cap(nxt) and not _neutral(nxt):
                # "Lewis Hamilton" is not Chris Lewis; but headlines run names together
                # ("Yeltsin endorses Lebed Chechnya plan"): there a following word the
                # article uses on its own, never after this name, does not glue.
                return heading and en.role in LATER and nxt in state.midcaps and \
                    state.text.count(f"{surface} {nxt}") <= 1
            return True
        # countries
        if self._glued_before(text, start, state):
            return False  # "Air France", "New Mexico", "Northern Ireland"
        if surface in HOMOGRAPH_DEMONYMS and not _introduced_noun(text, start, end):
            return False  # "Pole vaulter", "Finn the fish"
        prev = _prev_word(text, start)
        at = start
        if prev == "the":
            at -= 4
            prev = _prev_word(text, at)
        if prev == "of":
            before = _prev_word(text, at - 3)
            if before and before.lower() in ORG_HEADS:
                return False  # "Bank of Japan", "Gulf of Mexico"
        nxt = _next_word(text, end)
        if nxt and _is_cap(nxt) and not _neutral(nxt) and not _is_caps_word(nxt):
            run = _cap_run(text, end)
            if any(w.lower().strip(".") in ORG_HEADS for w in run):
                return False  # "British Airways", "U.S. Open", "China Daily"
            if en.role != ADJ and not _full_name_at(found, end + 1) and not any(
                    w.lower() in TITLES for w in run):
                return False  # "Israel Radio": a country name glued to a following name
        return True

    def _glued_before(self, text: str, start: int, state: ArticleState) -> bool:
        """A capitalised word right before the match that makes it part of a longer name."""
        prev = _prev_word(text, start)
        if not prev or not _is_cap(prev) or _neutral(prev) or fold(prev) in self.matcher.demonym_forms:
            return False
        if _sentence_initial(text, start - len(prev) - 1):
            # Capitals at a sentence start say nothing: glue only if the
            # article capitalises the word inside sentences too ("Air").
            return prev in state.midcaps or prev.lower() in ORG_HEADS
        return True


# Titles that go with a given name ("Sir Elton", "Dame Kelly", "Lady Diana"); every
# other title takes a surname ("Mr Howard"), a peer's title ("Lord Howard", most
# often a surname too) or a royal's own name ("King Michael").
_GIVEN_NAME_TITLES = frozenset("sir dame lady".split())
# Titles written short with a full stop ("Mr.", "Gen."); after any other title a
# full stop ends a sentence ("… as a minister. Howard returned").
_TITLE_ABBREVIATIONS = frozenset("mr mrs ms mx dr prof sen rep gov gen lt col maj capt cmdr adm sgt rev".split())


def _titled(text: str, start: int) -> bool:
    """A title stands right before ``start``: "Mr Taft", "Chairman Icahn"."""
    prev = _prev_word(text, start)
    return prev is not None and prev.lower().rstrip(".") in TITLES


def _given_name_place(text: str, start: int, end: int) -> bool:
    """Whether a given name standing alone can be one here: not after a capitalised
    title that takes a surname ("Mr Howard" is not Howard Flight), and not before any
    capitalised word but a function word ("John Major" is not John Prescott,
    though "Major" is also a rank)."""
    prev = _prev_word(text, start)
    if prev:
        last = prev.rsplit("-", 1)[-1]  # "ex-King"
        word = last.lower()
        title = word.rstrip(".")
        # a capitalised title only: after a role written in lowercase ("pop star Robbie") a given name can stand
        if last[:1].isupper() and title in TITLES and title not in _GIVEN_NAME_TITLES and (
                word == title or title in _TITLE_ABBREVIATIONS):
            return False
    nxt = _next_word(text, end)
    return not (nxt and _is_cap(nxt) and nxt.lower() not in FUNCTION_WORDS)


CONTEXT_MIN = 2  # names an article must share with one namesake's biography to pick them


def _context_words(text: str) -> frozenset[str]:
    """The capitalised words of ``text`` (folded) that can tell a subject apart:
    three letters or more, no function words or titles ("The", "President"),
    a possessive's word without its 's ("Armstrong's" is Armstrong)."""
    return frozenset(w for w in _CAP_WORD.findall(fold(text))
                     if len(w) > 2 and w.lower() not in FUNCTION_WORDS and w.lower() not in TITLES)


def _introduced_noun(text: str, start: int, end: int) -> bool:
    """Whether a word introduces the match (``_word_before``) or a full name (two capitalised words) follows it."""
    if _word_before(text, start):
        return True
    run = _cap_run(text, end, 2)
    return len(run) == 2 and not any(_neutral(w) for w in run)  # "Dane Kenneth Carlsen", not "Dane Bowers"


def _word_before(text: str, start: int) -> bool:
    """Whether a lowercase, number-led or function word comes right before ``start``, in its sentence."""
    prev = _prev_word(text, start)
    # "the Pole", "A Finn", "20-year-old Swede", "THE POLE"; not "… back. Finn the fish"
    return prev is not None and not prev.endswith(".") and (not prev[0].isupper() or prev.lower() in FUNCTION_WORDS)


def _full_name_at(found: list[tuple[int, int, tuple]], start: int) -> bool:
    """Whether a person's full name (or its spelling variant) is among the matches at ``start``.

    Asked only of a country name followed by a capitalised word. The
    matches are sorted by start, so they are bisected: looked through from
    the front, "Russia Russia Russia …" took time growing with the square
    of its length (16,000 of them, 10 s)."""
    i = bisect.bisect_left(found, start, key=itemgetter(0))
    while i < len(found) and found[i][0] == start:
        if any(en.kind == "person" and en.role in FULL for entries, _ in found[i][2] for en in entries):
            return True
        i += 1
    return False


def _cap_run(text: str, end: int, limit: int = 4) -> list[str]:
    """The capitalised words right after ``end``."""
    run: list[str] = []
    j = end
    while len(run) < limit:
        w = _next_word(text, j)
        if not w or not _is_cap(w):
            break
        run.append(w)
        j = text.index(w, j) + len(w)
    return run


def _neutral(word: str) -> bool:
    """A capitalised word that does not glue onto a following name.

    Function words and titles, and a word ending a sentence ("France. Russia").
    """
    if word.endswith(".") and len(word) > 2:
        return True
    w = word.lower().strip(".'")
    return w in FUNCTION_WORDS or w in TITLES


def _prev_word(text: str, start: int) -> str | None:
    """The word right before ``start`` when only a space or hyphen separates them."""
    if start < 2 or text[start - 1] not in " -\u00a0" or not (text[start - 2].isalnum() or text[start - 2] == "."):
        return None
    i = start - 2
    while i >= 0 and (text[i].isalnum() or text[i] in ".'-"):
        i -= 1
    word = text[i + 1:start - 1]
    return word or None


def _next_word(text: str, end: int) -> str | None:
    """The word right after ``end`` when only a space or hyphen separates them."""
    if end + 1 >= len(text) or text[end] not in " -\u00a0" or not text[end + 1].isalnum():
        return None
    j = end + 1
    while j < len(text) and (text[j].isalnum() or text[j] in ".'-"):
        j += 1
    return text[end + 1:j].rstrip(".")


def _sentence_initial(text: str, pos: int) -> bool:
    """Whether the word starting at ``pos`` starts a sentence (or the text)."""
    i = pos - 1
    while i >= 0 and text[i] == " ":
        i -= 1
    return i < 0 or text[i] in ".!?:\"“”(\n-"


_LETTER_WORDS = re.compile(r"[^\W\d_]{2,}")
_DATELINE_AFTER = re.compile(r"(?: ?[,(-]| \d)")


def _caps_context(text: str, start: int, end: int) -> bool:
    """Whether a match stands in ALL-CAPS text: a headline, or a dateline.

    Caps words on both sides; or a caps run that starts a sentence or line
    ("GERMANY - Bunds extended", "HONG KONG 1996-08-30").
    """
    before = _LETTER_WORDS.findall(text, max(0, start - 40), start)[-2:]
    after = _LETTER_WORDS.findall(text, end, end + 40)[:2]
    words = before + after
    if not words:
        return not any(c.islower() for c in text)
    if all(w.isupper() for w in words):
        return True
    # dateline or section label: the caps run starts a sentence and is followed by a date, dash or comma
    i = start
    while True:
        p = _prev_word(text, i)
        if not p or not _is_caps_word(p):
            break
        i -= len(p) + 1
    if not _sentence_initial(text, i) and not _dateline_before(text, i):
        return False
    rest = text[end:end + 4]
    return _DATELINE_AFTER.match(rest) is not None


def _dateline_before(text: str, i: int) -> bool:
    """A byline (Capitalised Name) right before a dateline: "Mishi Saran HONG KONG"."""
    p = _prev_word(text, i)
    return bool(p and _is_cap(p) and not _is_caps_word(p) and len(p) > 1 and
                _prev_word(text, i - len(p) - 1) is not None)


def headline_end(text: str, title: str = "") -> int:
    """Where a headline at the start of the body ends (0: none).

    A body that starts by repeating the article's title (imported stories
    often do), or whose first line is followed by an ALL-CAPS dateline
    ("Yeltsin endorses Lebed plan . MOSCOW 1996-08-30 ..."), starts with its
    headline. Like a heading, a headline names people before the story
    does, so a surname there may refer to a person named later.
    """
    head = text[:_HEADLINE_MAX + 80]
    words = title.split()
    if 0 < len(words) <= 40:
        end = _leading_words(fold(head), [fold(w) for w in words])
        if end:
            return end
    m = _DATELINE_HEADLINE.match(head)
    return m.end(1) if m else 0


def _leading_words(text: str, words: list[str]) -> int:
    """End of ``words`` at the start of ``text`` (after optional whitespace, whitespace between
    them), or 0. Done by hand: a pattern per article title cost 0.2 ms of a 1 ms article."""
    i, n = 0, len(text)
    while i < n and text[i].isspace():
        i += 1
    for k, w in enumerate(words):
        if k:
            j = i
            while j < n and text[j].isspace():
                j += 1
            if j == i:
                return 0
            i = j
        if not text.startswith(w, i):
            return 0
        i += len(w)
    return i


_HEADLINE_MAX = 200
# A short first line, then an ALL-CAPS place and a date or dash: "... . MOSCOW 1996-08-30", "LONDON, Aug 30 -".
_DATELINE_HEADLINE = re.compile(
    r"\s*([^\n]{3,%d}?)\s*(?:[.:]\s+|\n\s*)(?=[A-Z][A-Z'.-]+(?:[ ,]+[A-Z][A-Z'.-]+)*"
    r"(?:\s*,\s*[A-Z][\w.]*(?: [A-Z][\w.]*)?)?\s*,?\s+(?:\d|-|\u2013|\u2014|\())" % _HEADLINE_MAX)


# ---------------------------------------------------------------- Markdown extension

_PLACEHOLDER_RE = re.compile(HTML_PLACEHOLDER.replace("%s", r"(\d+)").replace("\x02", "\\x02").replace("\x03", "\\x03"))
_TAG_RE = re.compile(r"<[^>]*>")
_SKIP = frozenset({"code", "pre", "script", "style", "kbd", "samp", "textarea"})
_COUNT_ONLY = frozenset({"a"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

LinkMaker = Callable[[Entity, str], str]


def default_link_maker(prefix: str = "/") -> LinkMaker:
    """``<a class="entity entity-person" href="/people/john-kerry/">John Kerry</a>``."""
    if not prefix.endswith("/"):
        prefix += "/"

    def make_link(entity: Entity, text: str) -> str:
        return (f'<a class="entity entity-{entity.kind}" href="{html.escape(prefix + entity.url_path)}">'
                f"{html.escape(text, quote=False)}</a>")

    return make_link


# a text or tail of the element tree: (its element, "text" or "tail", linking mode,
# its pieces as ``LinkTreeprocessor._pieces`` splits them)
Segment = tuple[etree.Element, str, str, list[tuple[str, str, str]]]
# Python-Markdown's htmlStash: raw HTML strings, or elements an extension stashed.
Stash = list[str | etree.Element]


@dataclass
class Pass:
    """The input and output of one article's pass over the tree."""

    state: ArticleState
    link_headings: bool = False
    text_parts: list[str] = field(default_factory=list)
    length: int = 0
    first_paragraph: tuple[int, int] | None = None


class LinkTreeprocessor(markdown.treeprocessors.Treeprocessor):
    """Walks text nodes in reading order, builds the plain text, links names."""

    def __init__(self, md: markdown.Markdown, ext: "LinkerExtension"):
        super().__init__(md)
        self.ext = ext

    def run(self, root: etree.Element) -> None:
        p = self.ext.current
        if p is None:
            return
        linker = self.ext.linker
        # Pass 1: the text nodes in reading order, split at stash placeholders.
        segments: list[Segment] = []
        stash = self.md.htmlStash.rawHtmlBlocks
        if root.text and root.text.strip():  # whitespace here is not in the output (convert strips it)
            segments.append((root, "text", "link", self._pieces(root.text, stash)))
        for child in root:
            self._walk(child, "link", True, p, segments, stash)

        texts = [piece for _, _, mode, pieces in segments for kind, piece, _ in pieces
                 if kind == "text" and mode != "skip"]
        found = iter(linker.prepare(texts, p.state) if linker is not None else [])
        # Pass 2: plain text and offsets, mentions, links.
        starts: list[int] = []
        for owner, attr, mode, pieces in segments:
            starts.append(p.length)
            if mode == "skip" or linker is None:
                for kind, piece, _ in pieces:
                    self._add_text(p, piece)
                continue
            new: list[str] = []
            changed = False
            for kind, piece, raw in pieces:
                if kind != "text":
                    self._add_text(p, piece)
                    new.append(raw)
                    continue
                links = linker.scan(piece, p.length, p.state, linkable=(mode == "link"), found=next(found),
                                    heading=(mode == "heading"))
                self._add_text(p, piece)
                pos = 0
                for s, e, key, link in links:
                    if not link:
                        continue
                    changed = True
                    new.append(piece[pos:s])
                    entity = linker.matcher.entities[key]
                    new.append(self.md.htmlStash.store(self.ext.make_link(entity, piece[s:e])))
                    pos = e
                new.append(piece[pos:])
            if changed:
                setattr(owner, attr, "".join(new))
        if p.first_paragraph is not None:
            i, j = p.first_paragraph
            p.first_paragraph = (starts[i], starts[j] if j < len(starts) else p.length)

    def _walk(self, el: etree.Element, mode: str, top: bool, p: Pass,
              segments: list[Segment], stash: Stash) -> None:
        """Append the text and tail of ``el`` and its descendants to ``segments``, in reading order.

        A method, not a function nested in ``run``: a nested function that
        calls itself is a reference cycle, which kept each article's whole
        pass (its segments, elements and state) alive until the cyclic
        garbage collector ran. The body workers of a 10,000-article build
        spent about 0.6 CPU-s collecting those, where reference counting now
        frees them as ``run`` returns.
        """
        tag = el.tag if isinstance(el.tag, str) else ""
        child_mode = mode
        if tag in _SKIP:
            child_mode = "skip"
        elif mode in ("link", "heading") and tag in _COUNT_ONLY:
            child_mode = "count"
        elif mode == "link" and tag in _HEADINGS:
            child_mode = "link" if p.link_headings else "heading"
        first = len(segments)
        if el.text:
            segments.append((el, "text", child_mode, self._pieces(el.text, stash)))
        for child in el:
            self._walk(child, child_mode, False, p, segments, stash)
        if top and tag == "p" and p.first_paragraph is None and len(segments) > first:
            p.first_paragraph = (first, len(segments))
        if el.tail:
            segments.append((el, "tail", mode, self._pieces(el.tail, stash)))

    @staticmethod
    def _add_text(p: Pass, piece: str) -> None:
        if piece:
            p.text_parts.append(piece)
            p.length += len(piece)

    @staticmethod
    def _pieces(value: str, stash: Stash) -> list[tuple[str, str, str]]:
        """Split a text node at stash placeholders: [(kind, plain text, raw)].

        Stashed character references are decoded into the text around them
        (so "AT&amp;T" is one piece); stashed tags are boundaries that add
        their text content, if any, to the plain text but are never linked.
        """
        if "\x02" not in value:
            return [("text", value, value)]
        out: list[tuple[str, str, str]] = []
        buf: list[str] = []
        pos = 0
        for m in _PLACEHOLDER_RE.finditer(value):
            buf.append(value[pos:m.start()])
            pos = m.end()
            i = int(m.group(1))
            raw = stash[i] if i < len(stash) else ""
            raw = raw if isinstance(raw, str) else str(raw)
            if raw.startswith("&") and raw.endswith(";") and "<" not in raw:
                buf.append(html.unescape(raw))
                continue
            text = "".join(buf)
            if text:
                out.append(("text", text, text))
            buf = []
            out.append(("html", html.unescape(_TAG_RE.sub("", raw)), m.group(0)))
        buf.append(value[pos:])
        text = "".join(buf)
        if text:
            out.append(("text", text, text))
        return out


class LinkerExtension(markdown.Extension):
    """Python-Markdown extension: link entity names in the element tree.

    Set ``current`` to a fresh ``Pass`` before each ``convert``; afterwards
    it holds the plain text, mentions and declined forms. With ``linker``
    None, only the plain text is collected.
    """

    def __init__(self, linker: Linker | None, make_link: LinkMaker | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.linker = linker
        self.make_link = make_link or default_link_maker()
        self.current: Pass | None = None

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown API)
        md.treeprocessors.register(LinkTreeprocessor(md, self), "archivegen_linker", -10)
