"""Discover people the articles name who are not in the registry yet.

``archivegen entities suggest`` reads every article and proposes person
entries. No model and no gazetteer of names: the evidence is the way news
English introduces a person, which holds across archives.

- A **title or role** before the name: "Foreign Minister Sergei Lavrov",
  "President Bashar al-Assad", "ex-contractor Edward Snowden", "Sunderland
  forward Niall Quinn", "20-year-old Tiger Woods", "Mr Kerry".
- A **speech verb** after it: "Viktor Chernomyrdin said", "... told".
- **Apposition**: "Edward Snowden, the former contractor,", "X, who ...",
  "X, 45,".
- **Sports formats**: a cricket scorecard's batting line ("Omar Lodhi c
  Stone b Grant 33", "st Kemal Noor b Danish Ilyas") and lines labelled
  as people ("Scorers : ...", "Man of the match : ...", "Referee : ...").
- Weaker hints that add up: a demonym before ("Australian Rodney Eyles"),
  a parenthesised country or a number after, as in results and scorer
  lists ("Jansher Khan (Pakistan)", "Ian Harte (19th)"), and being listed
  beside names that are people.

Against that: countries and demonyms (the registry), organisation words
("Inc", "Party", "Council", "United", "FC" ...), place cues ("in X", "at
X"), month and day names, and the capitalised first word of a sentence when
the same word is written in lower case elsewhere. Names must have two words
or more; once a name is a person anywhere, every article that names it in
full counts, and its surname alone counts as a mention in those articles.

Variants of one person are joined: accents and apostrophes folded
("Václav"/"Vaclav"), a middle name or initial dropped ("Miguel Angel
Martin"/"Miguel Martin"), an initial for the first name ("S. Waugh"), a
short given name ("Jim Wright"/"James Wright").
Candidates are ranked by the number of articles that name them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from .linker import _SUFFIXES, FIRM_TAILS, FULL_GIVEN, FUNCTION_WORDS, GIVEN_NAME_FORMS, TITLES, fold
from .slugs import slugify

# ---------------------------------------------------------------- word lists

# Capitalised words that stand before a name as its title ("President",
# "Foreign Minister"). The linker's list plus ranks and offices it leaves out.
TITLE_WORDS = frozenset((TITLES | set("""
mr mrs ms dr mister madam monsieur herr senor senora signor sheik mullah mp mep msp mla mk treasurer
secretary-general under-secretary undersecretary attorney-general solicitor-general governor-general
vice chief-of-staff commissioner ombudsman patriarch metropolitan rabbi dalai lama
crown grand duke duchess count countess baron baroness earl
""".split())) - {"state", "party", "field", "head", "star", "player", "champion", "driver",
                 "rider", "officer", "keeper", "chair"})

# Lower-case nouns and adjectives that introduce a person directly before the
# name ("coach Glenn Hoddle", "peacemaker Alexander Lebed"). Words ending in an
# agent suffix (-er, -or, -ist, -ee, -man ...) count too; see _is_role_word.
ROLE_WORDS = frozenset("""
president minister secretary chancellor premier governor mayor senator ambassador envoy
spokesman spokeswoman spokesperson leader chief head chairman chairwoman director boss
coach manager captain skipper champion rival countryman countrywoman compatriot teammate
colleague partner wife husband son daughter brother sister father mother widow uncle aunt
cousin nephew niece friend aide adviser advisor deputy candidate nominee incumbent
billionaire millionaire magnate tycoon businessman businesswoman entrepreneur
star veteran rookie novice teenager youngster hero legend idol
judge lawyer attorney prosecutor counsel barrister solicitor
general colonel major captain lieutenant sergeant commander admiral marshal
king queen prince princess emperor sheikh cleric imam priest bishop cardinal pope rabbi
actor actress singer writer author novelist poet artist director producer composer
economist analyst strategist scientist professor historian journalist reporter correspondent
editor columnist photographer
midfielder striker forward defender goalkeeper keeper winger fullback full-back halfback
fly-half scrum-half hooker flanker centre center lock prop wing
batsman batsmen bowler spinner seamer all-rounder opener wicketkeeper wicket-keeper
pitcher catcher shortstop quarterback linebacker guard
player golfer sprinter runner swimmer cyclist rider driver jockey boxer wrestler
skater skier gymnast athlete hurdler jumper thrower
dissident activist campaigner protester militant rebel separatist guerrilla warlord
official officer agent diplomat negotiator mediator peacemaker
contractor whistleblower founder co-founder owner chief-executive ceo cfo
nationalist conservative liberal socialist communist democrat republican
opponent challenger holder titleholder favourite favorite seed qualifier winner loser
newcomer absentee debutant substitute champ playmaker
""".split())

# Agent suffixes that make an unknown lower-case word a likely role.
_ROLE_SUFFIXES = ("er", "or", "ist", "ee", "man", "woman", "ent", "ant", "ian", "aire", "ier")
# Lower-case words ending like roles that are not roles.
_NOT_ROLES = frozenset("""
after over under other another rather either neither whether ever never however later latter
former further together per-cent percent government parliament agreement statement department
movement management development investment settlement treatment payment element moment
event component environment comment argument equipment point border order number member
water winter summer quarter chapter letter matter paper power tower river corner character
center minor major error factor sector motor monitor doctor floor door mirror
debt recent current present different independent sent spent went meant want front
cent percent talent client patient sufficient efficient consistent frequent urgent
giant plant grant constant important significant relevant restaurant
ian median guardian civilian
dossier soldier premier frontier barrier carrier cashier
newspaper computer printer reactor tractor vector indicator elevator container tanker freighter
trailer thriller bestseller blockbuster poster sticker banner helicopter fighter bomber destroyer
cruiser trawler steamer liner scooter charger router server browser speaker-phone
calendar dollar pillar collar cellar bar star
""".split()) - {"premier", "member"}

# A person's quoted speech or reported act directly after the name.
SPEECH_VERBS = frozenset("""
said says told tells added adds stated announced asked argued insisted explained warned wrote
replied admitted denied noted urged claimed commented declared conceded recalled testified
agreed acknowledged confirmed suggested predicted complained vowed pledged promised
""".split())

# Acts that sports and news reports give to people rather than to teams or
# firms, after the name ("Tiger Woods shot 67"): weaker than speech verbs.
ACT_VERBS = frozenset("""
shot fired carded scored kicked struck netted headed smashed served sank equalled equaled clocked
resigned died married retired testified pleaded
""".split())

KIN_WORDS = frozenset("wife husband son daughter brother sister father mother widow family lawyer spokesman".split())

# ---- organisations named like people ("Merrill Lynch", "Goldman Sachs",
# "Townsend Thoresen"): business news writes them with the cues below, which
# it never gives a person. Each occurrence with one counts against the name.

# Nouns that put a firm, not a person, right after them ("the British company
# Townsend Thoresen", "brokers James Capel").
ORG_NOUNS = frozenset("""
company companies firm firms bank banks group brokerage broker brokers stockbroker stockbrokers
bankers insurer insurers underwriter underwriters carmaker automaker chipmaker steelmaker airline
carrier subsidiary unit affiliate conglomerate utility retailer manufacturer lender owners
club clubs side team band bands outfit label studio studios network channel newspaper magazine website charity
""".split())

# Modifiers that make "manager" a bond syndicate's bank ("lead manager Morgan
# Stanley", "Sole manager Kidder Peabody").
SYNDICATE = frozenset("lead co-lead joint sole co co-manager lead-manager".split())

# The last words of a firm's full name (the linker's list). A name written with
# one of them after it ("Merrill Lynch and Co", "Cheung Kong (Holdings) Ltd") or
# as the start of such a name ("Goldman Sachs International Corp") is a firm's short name.
CORP_TAILS = frozenset(t.lower() for t in FIRM_TAILS)

# Words after a name that only a firm takes ("Kaiser Cement shareholders",
# "Townsend Thoresen's parent company").
FIRM_AFTER = frozenset("shares shareholders stockholders subsidiary subsidiaries unit units parent affiliate".split())

# A share price's move, then a number: "Cheung Kong rose 75 cents".
STOCK_VERBS = frozenset("rose fell gained lost jumped dropped slipped eased climbed firmed added declined".split())

# Jobs held *at* an organisation: "chairman of Ford Europe", "analyst at
# James Capel". (Kin words are left out: "the wife of" names a person.)
EMPLOYER_ROLES = frozenset("""
chairman chairwoman president vice-president director head chief executive officer manager analyst
economist strategist dealer trader spokesman spokeswoman partner founder owner shareholder unit
""".split())

# Lower-case words that join the words of a longer proper name ("Regie
# Nationale des Usines Renault", "Bank of Canada").
CONNECTORS = frozenset("of des du de della di der von für".split())

# Last words of organisations, events, places and works: a sequence ending
# in one of them is not a person.
ORG_WORDS = frozenset("""
inc inc. corp corp. co co. ltd ltd. plc llc ag sa nv gmbh bhd pty spa re
party council ministry united fc city club bank group association union committee
airlines airways agency university college institute school academy court times post news
press herald journal tribune gazette telegraph reserve exchange fund organisation organization
federation league cup open championship championships games olympics trophy prix series classic
tournament masters stadium arena street road avenue square park hall house centre center
hospital airport port bay river lake sea ocean island islands mountain mountains valley county
province state states republic kingdom empire army navy force forces police guard government
assembly parliament congress senate commission authority service services department office
board trust foundation church cathedral mosque temple museum theatre theater motors industries
holdings securities partners capital energy oil gas telecom communications systems technologies
electric international corporation company companies enterprises brothers associates
rovers wanderers athletic athletico atletico town villa albion hotspur county united
network channel radio television tv magazine review daily weekly agency
front movement alliance coalition bloc council cabinet court tribunal
index market markets stocks bonds treasury budget
airport station bridge tower palace castle square
north south east west northern southern eastern western central
""".split())

# First words of organisations and places ("Air France", "Radio Free Europe").
ORG_FIRST = frozenset("""
air radio bank banco club royal national federal supreme central real sporting racing
new san santa los las st st. saint fort port mount lake cape
""".split())

# Prepositions that put a place, not a person, after them.
PLACE_PREPS = frozenset("in at near outside inside across throughout around via".split())

# Particles inside names ("Joost van der Westhuizen", "Aravinda de Silva").
PARTICLES = frozenset("van von de da di del della der den du le la bin ibn ter ten dos das do y al el".split())

_SENT_ABBREV = frozenset("mr mrs ms dr st jr sr gen lt col sen rep gov prof no vs mt ft capt maj sgt".split())

_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|\w+(?:[-'’]\w+)*|[^\w\s]")
_POSSESSIVE = re.compile(r"^(.*\w)['’][sS]$")
_AGE = re.compile(r"^\d{1,3}$")
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)?$")
_YEAR_OLD = re.compile(r"^\d+-year-old$", re.I)
MIN_AGE, MAX_AGE = 10, 99  # ages given in apposition; see _is_age


# ---------------------------------------------------------------- data


@dataclass
class Document:
    """One article's plain text, as the suggester reads it."""

    key: str  # article path, or any id
    text: str


@dataclass
class Candidate:
    """A suggested person: the name, where it was seen and why."""

    name: str
    articles: int
    mentions: int
    roles: list[str]
    example: str
    score: float = 0.0
    variants: list[str] = field(default_factory=list)
    article_keys: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return slugify(self.name) or "person"

    def as_json(self) -> dict:
        return {"name": self.name, "articles": self.articles, "mentions": self.mentions,
                "roles": self.roles, "example": self.example}


@dataclass
class _Tok:
    text: str
    start: int
    end: int
    initial: bool = False  # first word of a sentence or of a quotation


@dataclass
class _Occ:
    """One occurrence of a candidate name in a document."""

    doc: int
    start: int  # char offsets in the document text
    end: int
    sentence: tuple[int, int]
    role: str = ""  # role phrase seen with it, if any


# Evidence kinds. A strong kind alone makes a person; otherwise two different
# weak kinds are needed (one pattern repeated, such as a name followed by a
# country in brackets, also fits sports teams: "Red Star (Yugoslavia)").
STRONG_KINDS = frozenset("title role who age apposition kin list+ card label".split())

# Cricket scorecards name every batsman before the way he was out ("Omar
# Lodhi c Stone b Grant 33", "Tariq Butt lbw b Grant 0") and every
# fielder and bowler after "c", "st" and "b": lower-case one- and
# two-letter words that prose never puts between names.
_FIELDER_OR_BOWLER = frozenset("c st b".split())

# Labels that sports copy puts before a line of people's names ("Scorers :
# Romania - Dorin Vasile ( 31st )", "Man of the match : Dorin Vasile").
_PERSON_LABELS = frozenset("""
scorer scorers goalscorer goalscorers referee referees umpire umpires
man-of-the-match man-of-the-series player-of-the-match
""".split())


@dataclass
class _Evidence:
    kinds: Counter = field(default_factory=Counter)
    against: int = 0
    org: float = 0.0  # occurrences written the way firms are (see _org_cues)
    occs: list[_Occ] = field(default_factory=list)
    roles: Counter = field(default_factory=Counter)
    forms: Counter = field(default_factory=Counter)
    list_ids: set = field(default_factory=set)

    def add(self, kind: str) -> None:
        self.kinds[kind] += 1

    @property
    def strong(self) -> int:
        return sum(n for k, n in self.kinds.items() if k in STRONG_KINDS)

    @property
    def weak(self) -> int:
        return sum(n for k, n in self.kinds.items() if k not in STRONG_KINDS)

    @property
    def weak_kinds(self) -> int:
        return sum(1 for k in self.kinds if k not in STRONG_KINDS)

    @property
    def score(self) -> float:
        return 2 * self.strong + self.weak


# ---------------------------------------------------------------- tokens


def tokenize(text: str) -> list[_Tok]:
    """Words and punctuation with offsets; possessive 's split off.

    Works on ordinary prose ("Russia's") and on pre-tokenised text ("Russia
    's"). A word is sentence-initial after . ? ! (not after an abbreviation
    or an initial), after an opening quote, or at a line start.
    """
    toks: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        w, s = m.group(), m.start()
        pm = _POSSESSIVE.match(w)
        if pm:
            cut = s + len(pm.group(1))
            toks.append(_Tok(pm.group(1), s, cut))
            toks.append(_Tok(text[cut:m.end()], cut, m.end()))
        elif w in ("s", "S") and toks and toks[-1].text in ("'", "’") and toks[-1].start == s - 1:
            toks[-1] = _Tok(toks[-1].text + w, toks[-1].start, m.end())
        else:
            toks.append(_Tok(w, s, m.end()))
    initial = True
    for i, t in enumerate(toks):
        if t.text[0].isalnum():
            t.initial = initial
            initial = False
            # a newline before a word starts a new paragraph
        if t.text in (".", "?", "!", ":", ";") or t.text in ('"', "“", "”", "‘", "«"):
            prev = toks[i - 1].text if i else ""
            if t.text == "." and (prev.lower() in _SENT_ABBREV or (len(prev) == 1 and prev.isupper())):
                continue
            if t.text in (":", ";"):
                continue
            initial = True
        if i + 1 < len(toks) and "\n" in text[t.end:toks[i + 1].start]:
            initial = True
    return toks


# The word tests below run millions of times on an archive (every token, several times):
# cached per word, whose repeats are most of the text, and with their patterns compiled once.
_NAME_PREFIX = re.compile(r"(?:al|el|ad|as|an|ash|at|ar|bin|ibn|abu|d|de|di|da|van)[-'’]([A-Z])")
_INITIAL_WORD = re.compile(r"[A-Z]\.?")


@lru_cache(maxsize=1 << 17)
def _is_caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


@lru_cache(maxsize=1 << 17)
def _is_name_word(word: str) -> bool:
    """Title case ("Lavrov", "al-Assad", "O'Neill", "McCarthy"), not ALL CAPS."""
    if not word or not word[0].isalpha():
        return False
    if word[0].isupper():
        return not _is_caps(word) or len(word) <= 2
    # lower-case prefixes of a capitalised name: al-Assad, bin-Laden, d'Estaing
    return bool(_NAME_PREFIX.match(word))


@lru_cache(maxsize=1 << 17)
def _is_initial(word: str) -> bool:
    return bool(_INITIAL_WORD.fullmatch(word))


def _is_age(word: str) -> bool:
    """A number that reads as an age in "Rachel Smith, 18, and ...": 10 to 99.

    Sports copy puts runs, points and times in the same slot ("Chris Adams,
    123, and Tim Brown, 109, took Derbyshire to 471"); past 99 a number
    after a name is far more often a score than a person's age.
    """
    return bool(_AGE.match(word)) and MIN_AGE <= int(word) <= MAX_AGE


def _is_role_word(word: str) -> bool:
    w = word.lower()
    if w in ROLE_WORDS:
        return True
    if w.startswith(("ex-", "former-", "then-", "co-", "vice-", "deputy-", "acting-")):
        return _is_role_word(w.split("-", 1)[1])
    if w.endswith("-born") or _YEAR_OLD.match(w):
        return True
    if w in FUNCTION_WORDS or w in _NOT_ROLES or len(w) < 5 or not w.isalpha() and "-" not in w:
        return False
    return w.endswith(_ROLE_SUFFIXES)


# ---------------------------------------------------------------- scanning


class _Scanner:
    """Collects evidence for capitalised sequences across all documents."""

    def __init__(self, exclude: set[str], demonyms: set[str], lower_vocab: set[str]):
        self.exclude = exclude  # folded forms that are never people (countries, registered names)
        self.demonyms = demonyms  # folded country names and demonyms
        self.demonyms_lower = {x.lower() for x in demonyms}
        self.lower = lower_vocab  # words seen in lower case: common words
        self.nouns: set[str] = set()  # words seen after an article or a possessive: nouns, adjectives
        self.verbs: set[str] = set()  # words seen after "to", "will", "did" ...: verbs
        self.ev: dict[str, _Evidence] = defaultdict(_Evidence)
        self.singles: dict[int, Counter] = defaultdict(Counter)  # doc -> surname-like single words
        self.single_pos: dict[tuple[int, str], list[int]] = defaultdict(list)  # (doc, word) -> offsets
        self.first_in_doc: dict[tuple[int, str], int] = {}  # (doc, key) -> offset of first full mention
        self.org_prefix: Counter = Counter()  # key -> times it opened a firm's full name
        self.docs: list[Document] = []
        self._list_seq = 0

    # -- runs of capitalised words
    def _runs(self, toks: list[_Tok]) -> list[tuple[int, int]]:
        runs, i, n = [], 0, len(toks)
        while i < n:
            if not (_is_name_word(toks[i].text) or _is_initial(toks[i].text)):
                i += 1
                continue
            j = i
            while j < n:
                w = toks[j].text
                if _is_name_word(w) or _is_initial(w):
                    if w.lower() in FUNCTION_WORDS and j > i:
                        break
                    if j > i and toks[j].initial:
                        break
                    j += 1
                    if j < n and toks[j].text == "." and _is_initial(w) and toks[j].start == toks[j - 1].end:
                        j += 1  # "S." initial with its point
                    continue
                if w.lower() in PARTICLES and j > i:
                    q = j
                    while q < n and toks[q].text.lower() in PARTICLES and q - j < 3:
                        q += 1
                    if q < n and _is_name_word(toks[q].text):
                        j = q
                        continue
                break
            runs.append((i, j))
            i = max(j, i + 1)
        return runs

    def scan(self, doc_index: int, text: str) -> None:
        toks = tokenize(text)
        sentences = _sentence_bounds(text, toks)
        runs = self._runs(toks)
        # lists: runs separated by "," / "and" with nothing else between
        list_of: dict[int, int] = {}
        prev_end, cur = None, None
        for r_i, (i, j) in enumerate(runs):
            sep = _drop_brackets([t.text for t in toks[prev_end:i]]) if prev_end is not None else None
            if sep is not None and sep in ([","], ["and"], [",", "and"], [";"]):
                if cur is None:
                    self._list_seq += 1
                    cur = self._list_seq
                    list_of[r_i - 1] = cur
                list_of[r_i] = cur
            else:
                cur = None
            prev_end = j
        for r_i, (i, j) in enumerate(runs):
            self._run(doc_index, text, toks, i, j, sentences, list_of.get(r_i))

    def _run(self, d: int, text: str, toks: list[_Tok], i: int, j: int, sentences, list_id) -> None:
        words = [t.text for t in toks[i:j]]
        # drop a sentence-initial common word ("Police", "Trailing", "The")
        if toks[i].initial and words[0].lower() not in TITLE_WORDS and (
                words[0].lower() in self.lower or words[0].lower() in FUNCTION_WORDS):
            i += 1
            words = words[1:]
        while words and words[0].lower() in FUNCTION_WORDS and words[1:2] != ["."]:
            i += 1  # but "A. Hollioake" keeps its initial
            words = words[1:]
        if not words:
            return
        # leading title / demonym words form the role phrase
        role_words: list[str] = []
        demonym_before = False
        k = 0
        while k < len(words) - 1:
            w = words[k]
            fw = fold(w)
            if w.lower() in TITLE_WORDS or w.lower().rstrip(".") in TITLE_WORDS or w.lower() in ("former", "ex", "acting"):
                role_words.append(w)
                k += 1
                continue
            if fw in self.demonyms or (fw.endswith("-born") and fw[:-5] in self.demonyms):
                role_words.append(w)
                demonym_before = True
                k += 1
                continue
            break
        # a title inside the run with at least two words after it:
        # "Federal Reserve Governor Lawrence Lindsey"
        for m in range(len(words) - 3, k - 1, -1):
            if words[m].lower() in TITLE_WORDS and m >= k:
                role_words = words[: m + 1]
                k = m + 1
                break
        # "(Indonesian) Energy Minister Subroto": a title and one word after it
        # name a person by one name, which is never suggested
        rest = words[k:]
        if len(rest) >= 3 and rest[-2].lower() in TITLE_WORDS and rest[-1].lower() not in _SUFFIXES \
                and all(w.lower() in self.lower for w in rest[:-2]):
            k = len(words) - 1
            role_words = words[:k]
        # the run may close a longer name that starts before it: "Chancellor
        # of the | Exchequer Nigel Lawson", "Bank of | Canada Governor John Crow"
        chain, titled = _chain_before(toks, i)
        if titled:
            # the office's last words open the run: drop them from the name, up to
            # a firm's tail if there is one, even after a title word ("Chairman of |
            # Chrysler Corp Lee Iacocca", "... of | General Motors Corp Roger Smith")
            tail = 1 + max((n for n, w in enumerate(words[:-2]) if w.lower().rstrip(".") in CORP_TAILS), default=-1)
            if k == 0 or tail > k:
                k = max(k, tail, 1)
                while len(words) - k > 2 and words[k].lower() in self.lower:
                    k += 1  # "(Secretary of State for) Economic Affairs Allen Wallis"
                role_words = words[:k]
        name_words = words[k:]
        start_tok = i + k
        end_tok = start_tok + len(name_words)
        while name_words and name_words[-1].lower() in PARTICLES:
            name_words.pop()
            end_tok -= 1
        if not name_words:
            return
        has_title = titled or any(w.lower().rstrip(".") in TITLE_WORDS for w in role_words)
        if chain >= 0 and role_words:
            role_words = [t.text for t in toks[chain:i]] + role_words
        if len([w for w in name_words if not _is_initial(w.rstrip("."))]) < 1:
            return
        if len(name_words) == 1:
            w = fold(name_words[0])
            self.singles[d][w] += 1
            before = toks[start_tok - 1].text.lower() if start_tok > 0 else ""
            if before not in PLACE_PREPS:
                self.single_pos[(d, w.lower())].append(toks[start_tok].start)
            return
        name = _join(name_words)
        key = fold(name).lower()
        if len(name_words) >= 3 and name_words[-1].lower().rstrip(".") in CORP_TAILS:
            for n in range(2, len(name_words)):  # "Goldman Sachs" in "Goldman Sachs International Corp"
                self.org_prefix[fold(_join(name_words[:n])).lower()] += 1
        ev = self.ev[key]
        s_off, e_off = toks[start_tok].start, toks[end_tok - 1].end
        sent = _sentence_of(sentences, s_off)
        occ = _Occ(d, s_off, e_off, sent)
        ev.forms[name] += 1
        if list_id is not None:
            ev.list_ids.add(list_id)
        # ---- evidence before the name
        before = toks[i - 1].text if i > 0 else ""
        role_phrase = ""
        if has_title:
            ev.add("title")
            role_phrase = " ".join(role_words)
        elif before and _is_role_word(before) and not before[0].isupper() and not _firm_role(toks, i):
            ev.add("role")
            role_phrase = _role_phrase(toks, i, self.demonyms, self.verbs, self.nouns)
        elif demonym_before:
            ev.add("demonym")
            role_phrase = " ".join(role_words)
        elif i >= 2 and toks[i - 1].text in (".", "-") and toks[i - 2].text.isdigit():
            ev.add("rank")  # results lists: "1. Dennis Mitchell", "4 - Peter Nicol"
        if before.lower() in PLACE_PREPS:
            ev.against += 1
        ev.org += _org_cues(toks, i, end_tok, bool(role_words), chain >= 0)
        # ---- evidence after the name
        after = [t.text for t in toks[end_tok:end_tok + 6]]
        a0 = after[0] if after else ""
        if _in_scorecard(before, after):
            ev.add("card")
            role_phrase = role_phrase or "cricketer"  # only cricket writes scorecards so
        label = _after_person_label(toks, i)
        if label:
            ev.add("label")
            role_phrase = role_phrase or label
        if a0.lower() in SPEECH_VERBS:
            ev.add("speech")
        elif a0 == "," and len(after) > 1:
            a1 = after[1].lower()
            if a1 == "who":
                ev.add("who")
            elif _is_age(after[1]) and len(after) > 2 and after[2] in (",", ")", "--"):
                ev.add("age")
            elif a1 in ("the", "a", "an") and len(after) > 2:
                # "Edward Snowden, the former contractor," / ", a spokesman for"
                phrase = []
                for w in after[2:]:
                    if w in (",", ".", ";") or w.lower() in ("of", "for", "at", "in", "who", "which", "to", "from"):
                        break
                    phrase.append(w)
                if phrase and _is_role_word(phrase[-1]) and not phrase[-1][0].isupper():
                    ev.add("apposition")
                    role_phrase = role_phrase or " ".join(phrase)
            elif a1 in SPEECH_VERBS:
                ev.add("speech")
        elif a0.lower() in ACT_VERBS:
            ev.add("act")
        elif a0 == "(" and ")" in after[2:5]:
            inner = after[1:after.index(")", 2)]
            if len(inner) == 1 and inner[0].islower() and _is_role_word(inner[0]):
                ev.add("role")  # "Wasim Akram (captain)"
            elif len(inner) == 1 and _ORDINAL.match(inner[0]):
                ev.add("paren")  # scorers: "Ian Harte (19th)"
            elif fold(" ".join(inner)) in self.demonyms:
                ev.add("paren")
            elif len(inner) == 1 and re.fullmatch(r"[A-Z][A-Z0-9&.]{1,7}", inner[0]):
                ev.against += 1  # an acronym after the name: "Kurdistan Democratic Party (KDP)"
            elif all(_is_name_word(w) and not _is_caps(w) for w in inner):
                ev.add("paren")  # "Jansher Khan (Pakistan)"
        elif a0 in ("'s", "’s") and len(after) > 1 and after[1].lower() in KIN_WORDS:
            ev.add("kin")
        self.first_in_doc.setdefault((d, key), s_off)
        occ.role = role_phrase
        if role_phrase:
            ev.roles[role_phrase] += 1
        ev.occs.append(occ)

    def add_document_evidence(self) -> None:
        """Evidence that needs the whole document: the surname alone, later.

        News names a person in full once and by surname after that; a place
        or an organisation is seldom cut down to its last word.
        """
        for (d, key), first in self.first_in_doc.items():
            surname = _surname(key)
            if " " in surname or surname in self.lower or surname in self.demonyms_lower:
                continue
            if any(pos > first for pos in self.single_pos.get((d, surname), ())):
                self.ev[key].add("surname")

    def add_given_names(self, people: set[str], known: frozenset[str] = frozenset()) -> None:
        """A first word that starts names known to be people starts people's names.

        Learnt from this archive (the given names of candidates with a title,
        role or speech verb of their own: strong evidence) and from the
        registry (``known``: its people's first names, folded).
        """
        given = Counter(k.split()[0] for k in people if self.ev[k].strong and len(k.split()[0]) > 2)
        # a registered name may open with a word the archive writes in lower case ("West
        # Sussex" filed as a person): only words that are never common words count
        given.update(g for g in known if g not in self.lower and g not in self.demonyms_lower)
        for key, ev in self.ev.items():
            first = key.split()[0]
            if given.get(first, 0) - (1 if key in people and ev.strong else 0) >= 1:
                ev.kinds["given"] = 1

    def _not_person(self, key: str) -> bool:
        ev = self.ev[key]
        return _not_a_person_shape(ev.forms.most_common(1)[0][0], self.lower, self.demonyms) or key in self.exclude

    def _propagate_lists(self, people: set[str]) -> None:
        """A name listed beside people ("A, B and C") is likely one too."""
        members: dict[int, list[str]] = defaultdict(list)
        for key, ev in self.ev.items():
            for lid in ev.list_ids:
                members[lid].append(key)
        for lid, keys in members.items():
            if len(keys) < 2:
                continue
            known = sum(1 for k in keys if k in people)
            if any(self._not_person(k) for k in keys):
                continue
            # two listed people make the list a list of people; one is a hint
            if len(keys) < 3:
                continue  # "A and B" often pairs a person with a party or a team
            kind = "list+" if known >= 2 and known * 3 >= len(keys) else "list" if known >= 1 else ""
            if kind:
                for k in keys:
                    if k not in people:
                        self.ev[k].kinds[kind] = 1


def _chain_before(toks: list[_Tok], i: int) -> tuple[int, bool]:
    """Where a longer name that the run at ``i`` closes begins, and whether it holds a title.

    Walks back over up to three links of capitalised words joined by "of",
    "for", "des" ...: "Chancellor of the | Exchequer", "Secretary of State
    for | Economic Affairs", "Regie Nationale des | Usines Renault". Returns
    (-1, False) when the word before the run joins nothing.
    """
    m, start, titled = i - 1, -1, False
    for _ in range(3):
        if m >= 1 and toks[m].text.lower() == "the" and toks[m - 1].text.lower() in ("of", "for"):
            m -= 1
        if m < 1 or toks[m].text.lower() not in CONNECTORS and toks[m].text.lower() != "for":
            break
        m -= 1
        seg_end = m
        while m >= 0 and toks[m].text[0].isalpha() and toks[m].text[0].isupper():
            lw = toks[m].text.lower().rstrip(".")
            if lw in FUNCTION_WORDS:
                break  # "The"
            titled = titled or lw in TITLE_WORDS
            m -= 1
            if toks[m + 1].initial:
                break
        if m == seg_end:
            break
        start = m + 1
    return start, titled


_AUXILIARIES = frozenset("is are was were has have had will would can could may might must shall should do does did".split())


def _modifies_noun(word: str) -> bool:
    """The name before ``word`` qualifies a noun: "the Ben Stiller comedy", "the Charles Manson murders".

    Then "the" belongs to that noun, not to the name. A verb after the name
    ("the Christian Democrats have", "... demanded") or punctuation leaves
    "the" with the name.
    """
    w = word.lower()
    if not word[:1].islower() or w in FUNCTION_WORDS or w in _AUXILIARIES or w in SPEECH_VERBS:
        return False
    return not w.endswith("ed")


def _firm_role(toks: list[_Tok], i: int) -> bool:
    """The word before ``i`` names a firm's part, not a person's job.

    "the British company Townsend Thoresen", "brokers James Capel", "lead
    manager Morgan Stanley" (a bond syndicate's bank).
    """
    before = toks[i - 1].text.lower() if i > 0 else ""
    b2 = toks[i - 2].text.lower() if i > 1 else ""
    if before in ORG_NOUNS or before in ("lead-manager", "co-manager"):
        return True
    return before in ("manager", "managers", "underwriter") and b2 in SYNDICATE


def _firm_tail(word: str, after: str) -> bool:
    """``word``, after "and" or "&", is a firm's legal tail that ends its name: "Merrill Lynch and Co".

    Not a plain word ("Asian Currency Units and securities companies"), nor
    the first word of the next name in a list ("Paul Volcker and
    International Monetary Fund officials"): a tail is capitalised and only
    another tail follows it ("and Co Inc").
    """
    if not word[:1].isupper() or word.lower().rstrip(".") not in CORP_TAILS:
        return False
    return not _is_name_word(after) or after.lower().rstrip(".") in CORP_TAILS


def _org_cues(toks: list[_Tok], i: int, end: int, has_role: bool, in_chain: bool) -> float:
    """How many of the ways news writes a firm's name surround toks[i:end] (0 to 2).

    Before it: a firm noun or a syndicate role (``_firm_role``); "the" or
    "a" with no title ("the Christian Democrats", "an Oklahoma Republican");
    a job *at* something ("chairman of Ford Europe", "analyst at James
    Capel"); the start of a longer name ("Regie Nationale des Usines
    Renault", "St. Joe Gold"). After it: a firm's legal tail ("Merrill Lynch
    and Co", "Cheung Kong (Holdings) Ltd"), ", which", a share price's move
    ("rose 75 cents"), shareholders or a parent company, or a job and a
    person's name ("Prudential Bache analyst Fred Leiner", "... managing
    director Nahum Vaskevitch").

    "The" counts half: news also writes "the Johnny Carson of podcasting".
    """
    n = 0.0
    before = toks[i - 1].text.lower() if i > 0 else ""
    b2 = toks[i - 2].text.lower() if i > 1 else ""
    a = [t.text for t in toks[end:end + 4]] + [""] * 4
    if _firm_role(toks, i):
        n += 1
    elif before in ("the", "a", "an") and not has_role and not _modifies_noun(a[0]):
        n += 0.5
    elif before in ("of", "at") and b2 in EMPLOYER_ROLES and toks[i - 2].text[0].islower():
        n += 1
    elif (in_chain and not has_role) or (before == "." and b2 == "st" and toks[i - 2].text[0] == "S"):
        n += 1
    if a[0] in ("and", "&") and _firm_tail(a[1], a[2]):
        n += 1
    elif a[0] == "(" and a[1].lower() in CORP_TAILS and a[2] == ")":
        n += 1
    elif a[0] == "," and a[1] == "which":
        n += 1
    elif a[0] in STOCK_VERBS and a[1][:1].isdigit():
        n += 1
    elif a[0].lower() in FIRM_AFTER or a[0] in ("'s", "’s") and a[1].lower() in FIRM_AFTER:
        n += 1
    elif a[0][:1].islower() and a[0] not in FUNCTION_WORDS and (
            _is_role_word(a[0]) and _is_name_word(a[1])
            or a[0].endswith("ing") and _is_role_word(a[1]) and _is_name_word(a[2])):
        n += 1
    return min(n, 2)


def _drop_brackets(words: list[str]) -> list[str]:
    """Separator words without a bracketed aside: ") ," after "Ian Harte ( 19th".

    The aside belongs to the previous list item ("Wasim Akram (captain),").
    """
    out, depth = [], 0
    for w in words:
        if w == "(":
            depth += 1
        elif w == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(w)
    return out if depth == 0 else words


_MODIFIER_SUFFIXES = ("al", "ic", "an", "ive", "ern", "ary", "ory", "ish", "ese", "ent", "ant", "ous",
                      "ful", "less", "ior", "ist")
_COMMON_CAPS = frozenset("the a an but and when after as in on at".split())
_MODIFIERS = frozenset("new former top veteran senior junior chief deputy then ex acting defending reigning "
                       "world olympic interim elected".split())


def _role_phrase(toks: list[_Tok], i: int, demonyms: set[str], verbs: frozenset[str] | set[str] = frozenset(),
                 nouns: frozenset[str] | set[str] = frozenset()) -> str:
    """Words before position i that describe the person: "Chechen separatist military leader".

    The head (the word right before the name) is a role word. Before it, only
    modifiers: role words ("rebel"), capitalised words (demonyms, places,
    teams, and the "of" that joins them: "Bank of Japan governor"),
    hyphenated words ("ex-Milan", "20-year-old"), adjective-like words
    ("military", "former"), and one plain noun right before the head
    ("security chief"; not a word the archive uses as a verb and never as a
    noun, ``verbs`` less ``nouns``: "candidates include economist Alan
    Greenspan"); never a verb form ("gave", "detains") or a plural.
    """
    head = toks[i - 1].text
    out: list[str] = [head]
    k = i - 2
    while k >= 0 and len(out) < 4:
        w = toks[k].text
        lw = w.lower()
        if lw == "of" and k > 0 and toks[k - 1].text[0].isupper() and out[-1][0].isupper():
            out.append(w)  # "Bank of | Japan governor"
            k -= 1
            continue
        if not w[0].isalpha() or (lw in FUNCTION_WORDS and lw not in _MODIFIERS):
            break
        if w[0].isupper():
            if toks[k].initial and fold(w) not in demonyms and lw in _COMMON_CAPS:
                break
            ok = True
        elif lw in _MODIFIERS or _is_role_word(w) and not lw.endswith("s") or "-" in w:
            ok = True
        elif lw.endswith(_MODIFIER_SUFFIXES) and not lw.endswith(("ing", "ed", "s")):
            ok = True
        else:
            ok = len(out) == 1 and not lw.endswith(("ing", "ed", "s", "ly")) and len(lw) > 2 and (
                lw not in verbs or lw in nouns)
        if not ok:
            break
        out.append(w)
        k -= 1
    if out[-1].lower() == "of":
        out.pop()  # the word before "of" did not fit: "(Bank of) New York analyst", not "of New York analyst"
    out.reverse()
    return " ".join(out)


def _in_scorecard(before: str, after: list[str]) -> bool:
    """A cricket scorecard's batting line around a name.

    After the name: "c Stone", "st Kemal", "b Grant", "lbw b", "c & b", and
    "run out" or "not out" followed by the runs or the next batsman. Before
    it, a fielder or bowler: "c"/"st"/"b" then the name, then "b" or the runs.
    """
    a0, a1, a2 = (after + ["", "", ""])[:3]
    if a0 in _FIELDER_OR_BOWLER and _is_name_word(a1) or (a0, a1) in (("lbw", "b"), ("c", "&")):
        return True
    if (a0, a1) in (("run", "out"), ("not", "out")):
        return a2.isdigit() or _is_name_word(a2)
    return before in _FIELDER_OR_BOWLER and (a0 == "b" or a0.isdigit())


def _after_person_label(toks: list[_Tok], i: int) -> str:
    """The role a line labelled as people gives the name at ``i`` ("Scorers :" -> "scorer"), or "".

    Looks back through the line's names, countries, brackets, ordinals and
    separators to the nearest colon, and reads the words before it.
    """
    k = i - 1
    while k >= 0 and i - k < 60:
        w = toks[k].text
        if w == ":":
            label: list[str] = []
            m = k - 1
            while m >= 0 and len(label) < 4 and toks[m].text[0].isalpha():
                label.append(toks[m].text.lower())
                if toks[m].initial:
                    break
                m -= 1
            label.reverse()
            if not label:
                return ""
            if len(label) > 1 and "-".join(label) in _PERSON_LABELS:
                return " ".join(label)  # "man of the match"
            if label[-1] in _PERSON_LABELS:
                return label[-1][:-1] if label[-1].endswith("s") else label[-1]  # "Scorers" -> "scorer"
            return ""
        if w in (".", "!", "?", ";") or toks[k].initial and k < i - 1 and w.lower() in FUNCTION_WORDS:
            return ""
        k -= 1
    return ""


def _join(words: list[str]) -> str:
    out = ""
    for w in words:
        if w == ".":
            out += "."
        else:
            out += (" " if out else "") + w
    return out


def _sentence_bounds(text: str, toks: list[_Tok]) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for i, t in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is not None and nxt.initial and t.text in (".", "?", "!"):
            bounds.append((start, t.end))
            start = nxt.start
        elif nxt is not None and "\n" in text[t.end:nxt.start]:
            bounds.append((start, t.end))
            start = nxt.start
    bounds.append((start, len(text)))
    return bounds


def _sentence_of(bounds: list[tuple[int, int]], offset: int) -> tuple[int, int]:
    lo, hi = 0, len(bounds) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if bounds[mid][0] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return bounds[lo]


# ---------------------------------------------------------------- deciding


def _not_a_person_shape(name: str, lower: set[str], demonyms: set[str]) -> bool:
    words = name.split()
    plain = [w.lower().rstrip(".") for w in words]
    if plain[-1] in ORG_WORDS or plain[0] in ORG_FIRST:
        return True
    if any(fold(w) in demonyms for w in words) and len(words) <= 2 and fold(words[0]) in demonyms:
        return True
    if fold(name) in demonyms:
        return True
    # every word is an ordinary English word in lower case elsewhere: "Grand Prix", "World Cup"
    content = [w for w in plain if w not in PARTICLES]
    if content and all(w in lower or w in FUNCTION_WORDS for w in content):
        return True
    if any(w in ("&", "and") for w in plain):
        return True
    if any(_is_caps(w) and w.rstrip(".").upper() not in ("II", "III", "IV", "JR", "SR") for w in words):
        return True  # "Nintendo DS", "Labour MPs": people's names are not ALL CAPS in prose
    if re.fullmatch(r"[A-Z]{2,}s", words[-1]):
        return True  # a plural of capitals: "Lib Dem MPs", "Tory MEPs"
    last = plain[-1]
    if len(last) > 3 and last.endswith("s") and (last[:-1] in lower or last[:-2] in lower and last.endswith("es")):
        return True  # a plural: "Liberal Democrats", "Scissor Sisters", "Brit Awards"
    if plain[0].endswith("ing") and plain[0] in lower:
        return True  # "Finding Neverland"
    return False


def _surname(name: str) -> str:
    words = name.split()
    k = len(words) - 1
    while k > 0 and words[k - 1].lower() in PARTICLES:
        k -= 1
    return " ".join(words[k:])


def _decide(docs: list[Document], exclude_set: set[str], demonyms: set[str],
            given: frozenset[str] = frozenset()) -> tuple[_Scanner, set[str]]:
    """Scan ``docs`` and decide which names are people: (scanner, keys)."""
    lower_vocab, nouns, verbs = _vocabularies(docs)
    sc = _Scanner(exclude_set, demonyms, lower_vocab)
    sc.nouns, sc.verbs = nouns, verbs
    sc.docs = docs
    for d, doc in enumerate(docs):
        sc.scan(d, doc.text)

    def accepted() -> set[str]:
        out = set()
        for key, ev in sc.ev.items():
            name = ev.forms.most_common(1)[0][0]
            if key in exclude_set or _not_a_person_shape(name, lower_vocab, sc.demonyms):
                continue
            if ev.against > ev.strong + ev.weak:
                continue
            org = ev.org + sc.org_prefix.get(key, 0)
            if org and org >= ev.strong:
                continue  # written as a firm at least as often as introduced as a person
            if ev.strong >= 1 or ev.weak_kinds >= 2:
                out.add(key)
        return out

    sc.add_document_evidence()
    people = accepted()
    sc.add_given_names(people, given)
    people = accepted()
    for _ in range(3):
        before = len(people)
        sc._propagate_lists(people)
        people = accepted()
        if len(people) == before:
            break
    return sc, people


def suggest(documents: Iterable[Document], *, exclude: Iterable[str] = (), demonyms: Iterable[str] = (),
            given_names: Iterable[str] = (), min_articles: int = 2) -> list[Candidate]:
    """Person candidates from ``documents``, most articles first.

    ``exclude`` holds names never to suggest (registered people and their
    aliases, every country form); ``demonyms`` the country names and
    demonyms that may stand before a name ("Russian", "U.S."); ``given_names``
    first names known to be people's (the registered people's), a hint like
    the given names learnt from the articles.
    """
    docs = list(documents)
    exclude_set = {fold(x).lower() for x in exclude}
    given = frozenset(fold(g).lower() for g in given_names if len(g) > 2)
    sc, people = _decide(docs, exclude_set, {fold(x) for x in demonyms}, given)
    people -= _registered_variants(people, exclude_set)
    groups = _join_variants(people, sc.ev)
    _attach_variants(groups, people, sc.ev, exclude_set)
    out: list[Candidate] = []
    for canon, members in groups.items():
        # in reading order, so ties between roles and forms go the same way in every run
        members = sorted(members, key=lambda m: (min(((o.doc, o.start) for o in sc.ev[m].occs), default=(0, 0)), m))
        occs = [o for m in members for o in sc.ev[m].occs]
        forms: Counter[str] = Counter()
        roles: Counter[str] = Counter()
        for m in members:
            forms.update(sc.ev[m].forms)
            roles.update(sc.ev[m].roles)
        doc_ids = sorted({o.doc for o in occs})
        if len(doc_ids) < min_articles:
            continue
        name = _display_name(forms)
        surname = fold(_surname(name))
        mentions = len(occs) + sum(sc.singles[d].get(surname, 0) for d in doc_ids)
        example_occ = next((o for o in occs if o.role), occs[0])
        s, e = example_occ.sentence
        example = " ".join(docs[example_occ.doc].text[s:e].split())
        score = sum(sc.ev[m].score for m in members)
        out.append(Candidate(name=name, articles=len(doc_ids), mentions=mentions,
                             roles=[r for r, _ in roles.most_common(5)], example=example, score=score,
                             variants=sorted(f for f in forms if f != name),
                             article_keys=[docs[d].key for d in doc_ids]))
    out.sort(key=lambda c: (-c.articles, -c.mentions, c.name.casefold()))
    return out


_AFTER_DETERMINER = re.compile(r"\b(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Ii]ts|[Tt]heir|[Oo]ur|[Mm]y) ([a-z][a-z'’-]*[a-z])\b")
_AFTER_AUXILIARY = re.compile(r"\b(?:to|will|would|can|could|may|might|must|should|did|does|not) ([a-z][a-z'’-]*[a-z])\b")


_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z'’-]*[a-z](?![\w'’-])")


def _vocabularies(docs: list[Document]) -> tuple[set[str], set[str], set[str]]:
    """What the archive teaches about its lower-case words, in one pass over it.

    - the words it writes in lower case: ordinary words, not names;
    - those it writes after "the", "a", "his" ...: nouns and adjectives;
    - those it writes after "to", "will", "did" ...: verbs.

    No dictionary tells "security" (a noun: "security chief") from "include"
    (a verb: "candidates include economist Alan Greenspan"); the archive
    does, since it writes "to include" and "the security", never "the include".
    """
    lower: set[str] = set(FUNCTION_WORDS)
    nouns: set[str] = set()
    verbs: set[str] = set()
    for doc in docs:
        lower.update(_LOWER_WORD.findall(doc.text))
        nouns.update(_AFTER_DETERMINER.findall(doc.text))
        verbs.update(_AFTER_AUXILIARY.findall(doc.text))
    return lower, nouns, verbs


def _registered_variants(people: set[str], exclude: set[str]) -> set[str]:
    """Candidates that are a registered name with or without a middle name."""
    if not exclude:
        return set()
    short = {(_first_last(x)) for x in exclude if len(x.split()) >= 2}
    return {p for p in people if _first_last(p) in short}


def _first_last(key: str) -> tuple[str, str]:
    words = key.split()
    return (_GIVEN_KEY.get(words[0], words[0]), _surname(key).lower())


def _given_keys() -> dict[str, str]:
    """One key for the forms of a given name: "jim" and "james" -> "james", "sergey" -> "sergei".

    The linker's tables: short forms that stand for one full name only
    ("Tony" is Anthony or Antony, and stays apart), and Russian and
    Ukrainian spellings.
    """
    out = {fold(short).lower(): fold(fulls[0]).lower() for short, fulls in FULL_GIVEN.items() if len(fulls) == 1}
    for group in GIVEN_NAME_FORMS:
        for name in group:
            out[fold(name).lower()] = fold(group[0]).lower()
    return out


_GIVEN_KEY = _given_keys()


def _join_variants(people: set[str], ev: dict[str, _Evidence]) -> dict[str, list[str]]:
    """Group keys that name one person: middle names and initials dropped.

    "miguel angel martin" and "miguel martin" share first and last name; "s.
    waugh" is joined to the one "s..." with surname "waugh" when exactly one
    exists. A short form that fits two longer names stays apart.
    """
    by_fl: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p in people:
        by_fl[_first_last(p)].append(p)
    parent: dict[str, str] = {p: p for p in people}
    for fl, keys in by_fl.items():
        if len(keys) > 1:
            head = max(keys, key=lambda k: sum(ev[k].forms.values()))
            for k in keys:
                parent[k] = head
    # initials: "s. waugh" -> "steve waugh"
    by_surname: dict[str, list[str]] = defaultdict(list)
    for p in people:
        first = p.split()[0]
        if not _is_initial(first.upper().rstrip(".")) and parent[p] == p:
            by_surname[_surname(p).lower()].append(p)
    for p in people:
        first = p.split()[0].rstrip(".")
        if len(first) == 1 and len(p.split()) == 2:
            fits = [q for q in by_surname.get(_surname(p).lower(), []) if q[0] == first]
            if len(fits) == 1:
                parent[p] = fits[0]
    groups: dict[str, list[str]] = defaultdict(list)
    for p in people:
        root = parent[p]
        while parent[root] != root:
            root = parent[root]
        groups[root].append(p)
    return groups


def _attach_variants(groups: dict[str, list[str]], people: set[str], ev: dict[str, _Evidence],
                     exclude: set[str]) -> None:
    """Add forms without evidence of their own that can only mean one accepted person.

    "S. Waugh" in a scorecard joins "Steve Waugh"; "Miguel Martin" joins
    "Miguel Angel Martin". A form that fits two accepted people joins none.
    """
    root_of = {m: root for root, members in groups.items() for m in members}
    by_initial: dict[tuple[str, str], set[str]] = defaultdict(set)
    by_fl: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p in people:
        words = p.split()
        by_initial[(words[0][0], _surname(p).lower())].add(root_of[p])
        by_fl[_first_last(p)].add(root_of[p])
    for key in ev:
        if key in people or key in exclude:
            continue
        words = key.split()
        first = words[0].rstrip(".")
        if len(first) == 1 and len(words) >= 2:
            roots = by_initial.get((first, _surname(key).lower()), set())
        else:
            roots = by_fl.get(_first_last(key), set())
        if len(roots) == 1:
            groups[next(iter(roots))].append(key)


def _display_name(forms: Counter) -> str:
    """The most frequent full form, preferring accents and more words on ties."""
    def rank(item):
        form, n = item
        first = form.split()[0].rstrip(".")
        return (len(first) > 1, n, form != fold(form), len(form.split()))
    return max(sorted(forms.items()), key=rank)[0]  # sorted: ties go the same way in every run


# ---------------------------------------------------------------- archive glue


def registry_forms(registry) -> tuple[list[str], list[str]]:
    """(names never to suggest, country names and demonyms) of a registry."""
    exclude: list[str] = []
    demonyms: list[str] = []
    for e in registry.entities.values():
        forms = [e.name, *e.aliases]
        if e.kind == "country":
            forms += list(e.demonyms) + ([e.official_name] if e.official_name else [])
            demonyms += forms
        exclude += forms
    return exclude, demonyms


def registry_given_names(registry) -> list[str]:
    """The first names of the registry's people ("Ronald" of Ronald Reagan), initials left out."""
    out = []
    for e in registry.people:
        for n in [e.name, *e.aliases]:
            words = n.split()
            if len(words) >= 2 and not _is_initial(words[0].rstrip(".")) and words[0][:1].isupper():
                out.append(words[0])
    return out


def stub_text(c: Candidate) -> str:
    """Front matter of a new people file for ``c``."""
    import json

    lines = ["---", f"name: {json.dumps(c.name, ensure_ascii=False)}"]
    described = [d for d in (_describe(r) for r in c.roles) if d]
    if described:
        lines.append(f"description: {json.dumps(described[0], ensure_ascii=False)}")
    lines.append("---")
    lines.append("")
    return "\n".join(lines)


# Short titles, written out for a description ("Adm" -> "Admiral"); forms of
# address say nothing about a person and make no description ("Mr", "Sir").
_TITLE_WORDS_OUT = {"adm": "Admiral", "gen": "General", "sen": "Senator", "rep": "Representative",
                    "gov": "Governor", "lt": "Lieutenant", "col": "Colonel", "maj": "Major", "capt": "Captain",
                    "cmdr": "Commander", "sgt": "Sergeant", "prof": "Professor", "supt": "Superintendent"}
_ADDRESS_ONLY = frozenset("mr mrs ms mx miss dr sir dame lord lady madam mister former ex acting".split())


def _describe(role: str) -> str:
    """A role phrase as a description: capitalised, short titles written out, "" for "Mr" or "Sir" alone."""
    # only a capitalised short title is one: "Rep Jim Wright", not "sales rep"
    words = [_TITLE_WORDS_OUT.get(w.lower().rstrip("."), w) if w[:1].isupper() else w for w in role.split()]
    if all(w.lower().rstrip(".") in _ADDRESS_ONLY for w in words):
        return ""
    out = " ".join(words)
    return out[:1].upper() + out[1:]


_MARKDOWN: Any = None


def article_text(body: str) -> str:
    """The prose of a Markdown body: paragraphs and list items, one a line.

    Headings (often Title Case), code and tables are left out: they carry no
    sentences to read a person's role from.
    """
    import markdown
    from html.parser import HTMLParser

    global _MARKDOWN
    if _MARKDOWN is None:  # one converter for every article: making one costs as much as converting
        _MARKDOWN = markdown.Markdown(extensions=["extra"])
    html = _MARKDOWN.reset().convert(body)

    class _Text(HTMLParser):
        SKIP = {"h1", "h2", "h3", "h4", "h5", "h6", "pre", "code", "script", "style", "table"}
        BLOCK = {"p", "li", "blockquote", "div", "br", "dd", "dt", "figcaption"}

        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag, attrs):
            if tag in self.SKIP:
                self.skip += 1
            elif tag in self.BLOCK:
                self.parts.append("\n")

        def handle_endtag(self, tag):
            if tag in self.SKIP:
                self.skip = max(0, self.skip - 1)
            elif tag in self.BLOCK:
                self.parts.append("\n")

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data.replace("\n", " "))

    p = _Text()
    p.feed(html)
    p.close()
    lines = (" ".join(line.split()) for line in "".join(p.parts).split("\n"))
    return "\n".join(line for line in lines if line)
