"""Article bodies: Markdown to HTML, with entity links and mention records.

One ``BodyRenderer`` per process (or worker) keeps one Markdown instance
and the registry's automaton, and is reused for every article: building
either is far slower than rendering one article.
"""

from __future__ import annotations

import bisect
import importlib
import re
import signal
import threading
import time
import xml.etree.ElementTree as etree
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import markdown

from .config import Config
from .errors import ContentError
from .linker import ArticleState, Decided, Declined, LinkerExtension, LinkMaker, Linker, Mention, Pass

EXTENSIONS = ("tables", "footnotes", "attr_list", "fenced_code", "def_list", "abbr", "md_in_html")
SENTENCE_MAX = 300

__all__ = ["BodyRenderer", "RenderedBody", "Mention", "Declined"]


@dataclass
class RenderedBody:
    """The rendered body of one article and what it mentions.

    ``text`` is the plain text a reader sees (the text nodes of ``html``, in
    order, character references decoded); mention offsets index into it.
    """

    html: str
    text: str
    mentions: list[Mention] = field(default_factory=list)
    declined: list[Declined] = field(default_factory=list)
    decided: list[Decided] = field(default_factory=list)  # namesakes picked by context (for check; not cached)
    summary: str = ""
    word_count: int = 0
    attached: list[str] = field(default_factory=list)  # front matter people + countries keys

    @property
    def entity_keys(self) -> list[str]:
        """Mentioned entities in order of first mention, then attached ones."""
        keys = dict.fromkeys(m.key for m in self.mentions)
        keys.update(dict.fromkeys(self.attached))
        return list(keys)


# Python-Markdown's inline patterns, each with the characters it cannot match without: backtick
# and escape (` \\), links, images, references and footnotes ([), autolinks and raw HTML (<),
# entities (&), emphasis (* _), and a hard line break (two spaces before a newline)
_INLINE_PATTERNS = frozenset({"backtick", "escape", "reference", "link", "image_link", "image_reference",
                              "short_reference", "short_image_ref", "autolink", "automail", "linebreak", "html",
                              "entity", "em_strong", "footnote"})
# the characters, and apart from them the hard line break: one pattern with both as alternatives
# gave the engine no first character to skip ahead to (0.42 s for 10,000 articles, against 0.14 s)
_INLINE_TRIGGER = re.compile(r"[`\\\[<&*_]")


class _PlainTextInline(markdown.treeprocessors.InlineProcessor):
    """Python-Markdown's inline stage, leaving text that no inline pattern can match as it is.

    The stock stage tries its fifteen patterns one after another on every
    piece of text; for news prose, where most paragraphs hold none of the
    characters those patterns need, that was a third of a body's rendering
    time. The output is the same: a text with no trigger character comes
    back unchanged from the patterns too. (The hook is Python-Markdown's
    private per-text method; were it renamed, this would quietly do nothing.)
    """

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802
        if patternIndex == 0 and not isinstance(data, markdown.util.AtomicString) and "  \n" not in data \
                and not _INLINE_TRIGGER.search(data):
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)  # type: ignore[misc]  # private, so not in the stubs


def _skip_plain_text(md: markdown.Markdown) -> None:
    """Use ``_PlainTextInline`` when the inline patterns are exactly the ones it knows."""
    if len(md.inlinePatterns) == len(_INLINE_PATTERNS) and all(n in md.inlinePatterns for n in _INLINE_PATTERNS) \
            and "inline" in md.treeprocessors:
        _replace(md.treeprocessors, "inline", _PlainTextInline(md))


def _priorities(registry: markdown.util.Registry[Any]) -> dict[str, float]:
    """Each registered name's priority: Python-Markdown keeps them private, so its stubs leave them out."""
    return {p.name: p.priority for p in registry._priority}  # type: ignore[attr-defined]


def _replace(registry: markdown.util.Registry[Any], name: str, item: Any) -> None:
    """Put ``item`` in the place (name and priority) of the registered ``name``."""
    registry.register(item, name, _priorities(registry)[name])


# What makes a top-level block something other than a paragraph, for the Markdown this renderer
# is built with. Inline syntax (emphasis, links, code spans, entities, escapes, line breaks, inline
# HTML) does not: the inline stage after the block stage is the same either way. Anywhere in a
# block: a table's pipe, or a placeholder for block-level HTML or fenced code the preprocessors
# stashed. At the start of a line: white space (indented code, lists, lazy blank lines), a heading,
# a setext or horizontal rule, a list marker, a definition, a quote, or a reference, footnote or
# abbreviation definition. (Tabs and carriage returns never get here: the preprocessors made them
# spaces and newlines.) The three tests are kept apart: one pattern joining them with "|" gave
# the regular expression engine no first character to skip ahead to, and tried it at every
# position of every paragraph (0.47 s of a 10,000-article build, against 0.02 s now).
_NOT_PLAIN_ANYWHERE = ("|", "\x02", "\x03")
_NOT_PLAIN_START = re.compile(r"\s|[#=+:*_>\[-]|\d+\.")
_NOT_PLAIN_LINE = re.compile(r"\n(?:\s|[#=+:*_>\[-]|\d+\.)")


def _not_plain(block: str) -> bool:
    """Whether ``block`` holds block syntax (see above), so is no plain paragraph."""
    return any(c in block for c in _NOT_PLAIN_ANYWHERE) or _NOT_PLAIN_START.match(block) is not None \
        or ("\n" in block and _NOT_PLAIN_LINE.search(block) is not None)


class _PlainParagraphs(markdown.blockprocessors.BlockProcessor):
    """Python-Markdown's block stage for a document of plain paragraphs, in one step.

    News prose is mostly paragraphs, with at most links and emphasis inside
    them. The stock block stage offers each paragraph to its seventeen
    processors in turn, each testing it with a regular expression, before
    the last one makes it a ``<p>``: at 0.17 ms an article, a quarter of its
    rendering time. When no block of a document holds what ``_not_plain``
    looks for, this processor (first in line) makes the same paragraphs at
    once. Otherwise it declines for the rest of that document and the
    stock processors run as before. A test holds the two to the same output.
    """

    def __init__(self, parser: markdown.blockparser.BlockParser):
        super().__init__(parser)
        self._declined: Any = None  # the document root this processor last declined

    def test(self, parent: Any, block: str) -> bool:
        return parent is self.parser.root and self._declined is not parent and len(parent) == 0 \
            and not self.parser.state

    def run(self, parent: Any, blocks: list[str]) -> bool | None:
        texts = [b.lstrip("\n") for b in blocks]  # what the stock stage's empty-block step leaves of each
        if any(_not_plain(t) for t in texts):
            self._declined = parent
            return False
        for text in texts:
            if text:
                etree.SubElement(parent, "p").text = text
        blocks.clear()
        return None


def _plain_paragraphs_first(md: markdown.Markdown) -> None:
    """Put ``_PlainParagraphs`` ahead of the block processors its pattern was written for."""
    known = {"empty", "indent", "code", "hashheader", "setextheader", "hr", "olist", "ulist", "quote", "reference",
             "paragraph", "table", "footnote", "defindent", "deflist", "abbr", "markdown_block"}
    priorities = _priorities(md.parser.blockprocessors)
    if set(priorities) == known:
        top = max(priorities.values())
        md.parser.blockprocessors.register(_PlainParagraphs(md.parser), "archivegen_plain", top + 10)


class _Whitespace(markdown.preprocessors.Preprocessor):
    """Python-Markdown's first step (``normalize_whitespace``), done the same with cheaper scans.

    It drops the stash markers (STX, ETX), makes every line end a newline,
    adds a blank line, expands tabs and empties lines of only spaces. The
    stock step finds those lines with a pattern that starts by looking
    back, which the regular expression engine tries at every character of
    every article; here each change is looked for first with a plain
    substring test, and the spaces are found from the newline before them.
    A test holds the two to the same lines.
    """

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        for marker in (markdown.util.STX, markdown.util.ETX):
            if marker in text:
                text = text.replace(marker, "")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        text += "\n\n"
        if "\t" in text:
            text = text.expandtabs(self.md.tab_length)
        if " \n" in text:
            text = _SPACES_LINE.sub("\n", text)
        return text.split("\n")


_SPACES_LINE = re.compile(r"\n +(?=\n)")


def _cheaper_whitespace(md: markdown.Markdown) -> None:
    """Put ``_Whitespace`` in the stock step's place, when the stock step is the one it knows."""
    if "normalize_whitespace" in md.preprocessors \
            and type(md.preprocessors["normalize_whitespace"]) is markdown.preprocessors.NormalizeWhitespace:
        _replace(md.preprocessors, "normalize_whitespace", _Whitespace(md))


def _shortcuts(md: markdown.Markdown) -> None:
    """Every way round Python-Markdown's work that news prose does not need. Each one checks
    that the processors it stands in for are the ones it was written for, and a test holds each
    to the stock output."""
    _skip_plain_text(md)
    _plain_paragraphs_first(md)
    _cheaper_whitespace(md)
    _skip_when_absent(md, "fenced_code_block", ("```", "~~~"))
    _skip_when_absent(md, "html_block", ("<", "&"))


def _skip_when_absent(md: markdown.Markdown, name: str, needles: tuple[str, ...]) -> None:
    """Let preprocessor ``name`` pass over a document holding none of ``needles``.

    ``fenced_code`` searches each article for a fence of three backticks or
    tildes; ``md_in_html`` feeds it whole to an HTML parser, which, given no
    "<" and no "&", hands every line back as it was. For news prose both
    cost a tenth of a millisecond an article for nothing. The test of the
    stock renderer's output holds this to it."""
    if name not in md.preprocessors:
        return
    processor = md.preprocessors[name]
    stock = processor.run

    def run(lines: list[str]) -> list[str]:
        text = "\n".join(lines)  # one copy searched at C speed, not a generator step per line
        if not any(needle in text for needle in needles):
            return lines
        return stock(lines)

    processor.run = run  # type: ignore[method-assign]


# Some Markdown makes Python-Markdown's time grow with the square of its length (thousands of
# unclosed "[a](" run for minutes): an article past this is an error, not a build that never ends
RENDER_SECONDS = 10.0


class _TooSlow(Exception):
    pass


def _expired(signum: int, frame: Any) -> None:
    raise _TooSlow()


class _TimeLimit:
    """A time limit on each rendering, by SIGALRM: raises ``_TooSlow`` in this thread when
    an armed limit runs out. Only in the main thread of a build or of a worker process;
    elsewhere, as in serve's build thread, there is no limit.

    Entered once for many renderings (``BodyRenderer.batch``), and armed and disarmed
    around each. Installing the handler and giving the old one back for every article
    (``signal.signal`` twice, each through the enum wrappers of the ``signal`` module, in a
    generator-based context manager) was 4 % of rendering a body: 0.19 CPU-s for 10,000
    articles, where the two ``setitimer`` calls per article now take 0.02 s.

    A program that calls the build may have an alarm of its own pending: it is held
    back while the handler is installed and set again, less the time gone, on exit.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.active = False

    def __enter__(self) -> "_TimeLimit":
        self.active = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, _expired)
            self.started = time.monotonic()
            self.delay, self.interval = signal.setitimer(signal.ITIMER_REAL, 0)
        return self

    def arm(self) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def disarm(self) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def __exit__(self, *exc: Any) -> None:
        if not self.active:
            return
        self.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        if self.delay > 0:  # the caller's own alarm, given back
            signal.setitimer(signal.ITIMER_REAL, max(self.delay - (time.monotonic() - self.started), 1e-6),
                             self.interval)


def _extensions() -> list[markdown.Extension]:
    """``EXTENSIONS`` as objects, made by their modules' ``makeExtension``.

    Given a name, Python-Markdown first looks it up among the entry points
    of every installed package, which reads each package's metadata: 20 ms
    or more in every process that renders a body (the build, each worker),
    a few per cent of an incremental build. An object it takes as it is.
    """
    return [importlib.import_module(f"markdown.extensions.{name}").makeExtension() for name in EXTENSIONS]


class BodyRenderer:
    """Render article bodies with one reusable Markdown instance."""

    def __init__(self, registry: Any | None, config: Config | None = None,
                 make_link: LinkMaker | None = None, *, link_prefix: str | None = None):
        self.registry = registry
        self.config = config or Config()
        if make_link is None:
            from .linker import default_link_maker

            make_link = default_link_maker(link_prefix if link_prefix is not None else self.config.base_path)
        linker = Linker(registry.matcher()) if registry is not None else None
        self.ext = LinkerExtension(linker, make_link)
        self.md = markdown.Markdown(extensions=[*_extensions(), self.ext], output_format="html")
        _shortcuts(self.md)
        self._limit: _TimeLimit | None = None  # while in ``batch``

    def render(self, article: Any = None, *, body: str | None = None, people: list[str] | None = None,
               countries: list[str] | None = None, no_link: list[str] | None = None,
               policy: str | None = None, sanitize: bool | None = None, title: str | None = None) -> RenderedBody:
        """Render an ``Article`` (or the same fields given by keyword).

        Front matter ids may be bare (``john-kerry``) or qualified
        (``people/john-kerry``); unknown ids are ignored here (the registry's
        ``check_ids`` reports them).
        """
        if body is None:
            body = article.body if article is not None else ""
        people = people if people is not None else list(getattr(article, "people", []) or [])
        countries = countries if countries is not None else list(getattr(article, "countries", []) or [])
        no_link = no_link if no_link is not None else list(getattr(article, "no_link", []) or [])
        if policy is None:
            policy = getattr(article, "link", None) or self.config.link
        if sanitize is None:
            sanitize = getattr(article, "sanitize", None)
            if sanitize is None:
                sanitize = self.config.sanitize
        attached = self._keys("person", people) + self._keys("country", countries)
        if title is None:
            title = getattr(article, "title", None) or ""
        state = ArticleState(policy=policy, attached=set(attached), no_link=set(self._keys(None, no_link)),
                             title=str(title))
        p = Pass(state=state, link_headings=self.config.link_headings)
        self.ext.current = p
        where = (getattr(article, "path", "") or "(article)", getattr(article, "body_line", None))
        try:
            self.md.reset()
            if self._limit is not None:
                out = self._convert(self._limit, body)
            else:
                with _TimeLimit(RENDER_SECONDS) as limit:
                    out = self._convert(limit, body)
        except RecursionError:  # Python-Markdown recurses once per level of nested lists or quotes
            raise ContentError(*where, "the Markdown nests lists or quotes too deeply to render",
                               "flatten the nesting (a few hundred levels is past what Python-Markdown can parse)") from None
        except _TooSlow:
            raise ContentError(*where, f"the Markdown took over {RENDER_SECONDS:g} s to render (an article "
                               "takes about a millisecond)",
                               "look for long runs of unclosed brackets or links, or very deep nesting, and "
                               "write them out plainly") from None
        finally:
            self.ext.current = None
        if sanitize:
            out = sanitize_html(out)
        text = "".join(p.text_parts)
        if state.mentions:
            bounds = sentence_bounds(text)
            ends: dict[tuple[int, int], int] = {}
            for m in state.mentions:
                m.sentence = sentence_at(text, m.start, m.end, bounds=bounds, ends=ends)
        summary = ""
        if p.first_paragraph:
            summary = " ".join(text[p.first_paragraph[0]:p.first_paragraph[1]].split())
        return RenderedBody(
            html=out, text=text, mentions=state.mentions, declined=state.declined, decided=state.decided, summary=summary,
            word_count=len(text.split()), attached=list(dict.fromkeys(attached)),
        )

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Render many articles in this block with the time limit's signal handler installed
        once (``_TimeLimit``) instead of once per article."""
        if self._limit is not None:
            yield
            return
        with _TimeLimit(RENDER_SECONDS) as self._limit:
            try:
                yield
            finally:
                self._limit = None

    def _convert(self, limit: _TimeLimit, body: str) -> str:
        limit.arm()
        try:
            return self.md.convert(body)
        finally:
            limit.disarm()

    def _keys(self, kind: str | None, ids: list[str]) -> list[str]:
        if self.registry is None:
            return []
        keys: list[str] = []
        for ident in ids:
            keys.extend(e.key for e in self.registry.resolve_id(kind, str(ident)))
        return keys


def sanitize_html(html: str) -> str:
    """Clean raw HTML with nh3 (ammonia): no scripts, event handlers, styles,
    ``javascript:``/``data:`` URLs or unknown tags. ``class`` and ``id`` stay,
    so entity links and footnote anchors keep working."""
    import nh3

    attributes = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = {"class", "id", "title", "lang", "dir"}
    return nh3.clean(html, attributes=attributes, url_schemes={"http", "https", "mailto"})


# A sentence ends at end punctuation, closing quotes and white space before a capital or digit,
# or at a run of line breaks. The pattern starts with one class holding the first character of
# both, so the engine skips straight to those characters; the branch after it looks back at which
# one it met. (Written as two alternatives, "[.!?]...|\n+", it was tried at every position:
# 0.45 s for 10,000 articles, against 0.13 s.)
_BOUNDARY = re.compile(r"[.!?\n](?:(?<=\n)\n*|(?<=[.!?])(?P<sep>[\"”’)]*\s+)(?=[\"“‘(]*[A-Z0-9]))")
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Sen|Rep|Gov|Gen|Col|Lt|Capt|Prof|Jr|Sr|No|Mt|vs|etc|Inc|Ltd|Co|Corp)|\b[A-Z])\.$")


def sentence_bounds(text: str) -> list[int]:
    """Start offsets of the sentences of ``text`` (0 first), found once per article."""
    starts = [0]
    for m in _BOUNDARY.finditer(text):
        sep = m.group("sep")
        if sep is None or sep.startswith("\n"):  # a line break ends a sentence whatever precedes it
            starts.append(m.end())
            continue
        after = m.start() + 1  # just after the punctuation: "Mr." is no sentence end
        if not _ABBREV.search(text[max(0, after - 6):after]):
            starts.append(m.end())
    return starts


def sentence_at(text: str, start: int, end: int, limit: int = SENTENCE_MAX, bounds: list[int] | None = None,
                ends: dict[tuple[int, int], int] | None = None) -> str:
    """The sentence around ``text[start:end]``, trimmed to ``limit`` characters.

    Only the part kept is copied: an article that is one long "sentence"
    naming someone thousands of times copied all of it per mention, which
    made its time grow with the square of its length. ``ends`` remembers
    where each sentence's text ends (trailing space dropped) across the
    mentions of one article.
    """
    if bounds is None:
        bounds = sentence_bounds(text)
    i = bisect.bisect_right(bounds, start) - 1
    lo = bounds[i] if i >= 0 else 0
    j = bisect.bisect_left(bounds, end)
    hi = bounds[j] if j < len(bounds) else len(text)
    stop = ends.get((lo, hi)) if ends is not None else None
    if stop is None:
        stop = lo + len(text[lo:hi].rstrip())
        if ends is not None:
            ends[lo, hi] = stop
    if stop - lo > limit:
        # keep the mention, centred, inside the limit
        rel = start - lo
        begin = max(0, min(rel - (limit - (end - start)) // 2, stop - lo - limit))
        sentence = text[lo + begin:lo + begin + limit]
        if begin > 0:
            sentence = "…" + sentence[1:].lstrip()
        if begin + limit < stop - lo:
            sentence = sentence[:-1].rstrip() + "…"
    else:
        sentence = text[lo:stop]
    return " ".join(sentence.split())
