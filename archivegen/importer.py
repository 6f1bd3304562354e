"""Raw text articles (headline, blank line, paragraphs) to archive Markdown.

The shape is what scrapers and corpus dumps produce: the first non-blank
line is the headline, blank lines separate paragraphs. Scrapers also leave
furniture around the story, which this module recognises by shape rather
than by one site's wording:

* a photo caption at the top, often repeated (once per image size the page
  carried) and ending in a credit such as ``-- PHOTO: AP``: it becomes the
  front matter ``image.caption`` (once) and ``image.credit``;
* promotional footers at the end ("Join ST's Telegram channel ...",
  "Follow us on Twitter", "Subscribe to our newsletter", copyright lines):
  dropped.

Parsing (``parse_raw``) is pure: bytes in, a ``RawArticle`` out, so it is
tested without files. ``import_paths`` walks files and folders, writes one
Markdown file per article with ``open(..., "x")`` (never overwriting) and
returns a report listing every skipped file with its reason.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from zoneinfo import ZoneInfo

from .content import parse_date
from .errors import ContentError
from .frontmatter import without_control_characters
from .inputs import not_a_file, not_a_folder
from .slugs import slugify

MAX_BYTES = 2 * 1024 * 1024  # a raw article larger than this is not one article
MAX_TITLE = 250  # characters; a longer first line is a paragraph, not a headline
FOLDER_SUFFIXES = (".txt", ".text")
NOT_ARTICLES = re.compile(r"^(readme|license|licence|copying|changelog|changes|authors|notice)(\..*)?$", re.I)


class ImportSkip(Exception):
    """A file that cannot be imported; the message says why."""


@dataclass
class RawArticle:
    title: str
    paragraphs: list[str]
    caption: str = ""
    credit: str = ""
    source: str = ""  # guessed from a dateline such as "WASHINGTON (AFP) -"
    encoding: str = "utf-8"
    encoding_note: str = ""  # set when the file was not UTF-8
    stripped: list[str] = field(default_factory=list)  # furniture removed, for the report


# ---------------------------------------------------------------------------
# Decoding

_WESTERN = ("cp1252", "latin_1", "iso8859_15", "utf_8")

def decode(raw: bytes) -> tuple[str, str, str]:
    """Bytes to text: UTF-8 when valid, else charset-normalizer's best guess.

    Returns (text, encoding, note); note is empty for UTF-8 input.
    """
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportSkip("binary file (contains NUL bytes)")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), "utf-8", ""
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    from charset_normalizer import from_bytes

    # best() ranks by chaos alone, and a mostly-ASCII text with one '£' byte
    # decodes chaos-free as Japanese cp932; language coherence breaks the tie.
    matches = list(from_bytes(raw))
    best = max(matches, key=lambda m: (round(m.coherence - m.chaos, 3), m.encoding in _WESTERN), default=None)
    if best is None:
        raise ImportSkip(f"not UTF-8 (invalid byte at offset {first_bad}) and no other encoding fits")
    encoding = best.encoding
    text = str(best)
    try:
        if encoding not in _WESTERN and raw.decode("cp1252") == text:
            encoding = "cp1252"
    except UnicodeDecodeError:
        pass
    if encoding not in _WESTERN:
        # Short texts often decode the same in several code pages (cp1250 and
        # cp1252 agree on quotes and dashes): name the common one.
        same = [m.encoding for m in matches if m.encoding in _WESTERN and str(m) == text]
        encoding = same[0] if same else encoding
    # Latin-1 and cp1252 agree on every printable byte except 0x80-0x9F;
    # when the file has none of those, say latin-1, the simpler name.
    if encoding in ("cp1252", "windows_1252") and not re.search(rb"[\x80-\x9f]", raw):
        encoding = "latin_1"
    note = f"not UTF-8: read as {encoding.replace('_', '-')} (first non-UTF-8 byte at offset {first_bad})"
    return text, encoding, note


# ---------------------------------------------------------------------------
# Furniture

# "-- PHOTO: AP", "- PHOTOS: REUTERS", "-- ST PHOTO: KEVIN LIM", "(Photo: AFP)", "PICTURE: EPA"
_CREDIT_RE = re.compile(
    r"""\s*(?:--?|–|—|\()?\s*
        (?P<who>(?:[A-Z][\w.&'/]*\s+){0,3}?)
        (?:FILE\s+)?(?:PHOTO|PHOTOS|PICTURE|PICTURES|IMAGE|IMAGES|PIC|FOTO)(?:GRAPH)?\s*:\s*
        (?P<credit>[^()\n]{1,80}?)\s*\)?\s*$""",
    re.X | re.I,
)
# A word glued to a parenthesis, "Lavrov(left)": a scraper joined two spans.
_GLUED_PAREN = re.compile(r"(?<=[A-Za-z])\((?=[a-z])")

_FOOTER_ACTION = re.compile(
    r"^(?:please\s+|also\s+|and\s+|now\s+|you\s+can\s+|don'?t\s+forget\s+to\s+|click\s+here\s+to\s+)?"
    r"(join|follow|subscribe|sign\s+up|signup|download|like|get|read\s+more|click\s+here|share|register|"
    r"stay\s+(?:updated|informed|connected)|find\s+us|listen|watch|check\s+out)\b",
    re.I,
)
_FOOTER_US = re.compile(r"\b(?:follow|like|join|find)\s+us\b|\bour\s+(?:\w+\s+)?(?:newsletters?|app|channel|"
                        r"telegram|whatsapp|facebook|twitter|instagram|youtube|podcasts?|e-?paper|website|site)\b",
                        re.I)
_FOOTER_CHANNEL = re.compile(
    r"\b(telegram|whatsapp|facebook|twitter|instagram|youtube|linkedin|tiktok|newsletters?|"
    r"channel|app|subscriptions?|subscribers?|premium|breaking\s+news|e-?paper|podcasts?|"
    r"notifications|rss|inbox|our\s+(?:site|website))\b",
    re.I,
)
_COPYRIGHT = re.compile(r"^(?:copyright\b|©|\(c\)\s).{0,150}$|all rights reserved\.?$", re.I)


def is_footer(paragraph: str) -> bool:
    """A promotional or copyright line scrapers pick up below the story.

    Short, and either a copyright notice or a call to action about a channel:
    a sentence that starts with the action ("Join ST's Telegram channel",
    "Subscribe to ...", "Download the app") or addresses the reader ("follow
    us on", "our newsletter"). Reporting ("fans who follow the club on
    Twitter", "would join forces with Facebook") starts with its subject and
    does not say "us"/"our", so it stays.
    """
    p = paragraph.strip()
    if len(p) > 220:
        return False
    if _COPYRIGHT.search(p):
        return True
    if not _FOOTER_CHANNEL.search(p):
        return False
    return bool(_FOOTER_ACTION.match(p) or _FOOTER_US.search(p))


def split_credit(text: str) -> tuple[str, str]:
    """'Caption text. -- PHOTO: AP' -> ('Caption text.', 'AP')."""
    m = _CREDIT_RE.search(text)
    if not m or m.start() == 0:
        return text, ""
    who = m.group("who").strip()
    credit = m.group("credit").strip().rstrip(".")
    if who and who.upper() not in ("FILE", "A", "THE"):
        credit = f"{who} / {credit}"
    return text[: m.start()].rstrip(), credit


def _tidy_caption(text: str) -> str:
    return re.sub(r"\s+", " ", _GLUED_PAREN.sub(" (", text)).strip()


_DATELINE_SOURCE = re.compile(r"^[A-Z][A-Z .,'/-]{1,40}\((?P<src>[A-Za-z][A-Za-z&-]{1,15})\)\s*[-–—:]\s")


# ---------------------------------------------------------------------------
# Parsing

def parse_raw(raw: bytes) -> RawArticle:
    """One raw article; raises ImportSkip when it does not have the shape."""
    if not raw.strip():
        raise ImportSkip("empty file")
    text, encoding, note = decode(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    blocks = [b for b in (_block(x) for x in re.split(r"\n[ \t]*\n", text.strip("\n"))) if b]
    if not blocks:
        raise ImportSkip("empty file")
    title_lines = blocks[0]
    if len(title_lines) > 1:
        # No blank line after the headline: the headline is the first line only.
        blocks[0:1] = [[title_lines[0]], title_lines[1:]]
    title = re.sub(r"\s+", " ", blocks[0][0]).strip()
    if len(title) > MAX_TITLE:
        raise ImportSkip(f"first line is {len(title)} characters, too long for a headline "
                         "(expected: headline, blank line, paragraphs)")
    rest = blocks[1:]
    art = RawArticle(title=title, paragraphs=[], encoding=encoding, encoding_note=note)

    # Caption at the top: a block whose lines repeat, or that ends in a photo credit,
    # or the same paragraph twice in a row.
    while rest:
        lines = rest[0]
        joined = " ".join(lines)
        repeated = len(lines) > 1 and len({_norm(x) for x in lines}) == 1
        body, credit = split_credit(lines[0] if repeated else joined)
        twice = len(rest) > 1 and _norm(" ".join(rest[1])) == _norm(joined)
        if not (repeated or credit or twice) or art.caption:
            break
        art.caption = _tidy_caption(body)
        art.credit = credit
        art.stripped.append("caption repeated" if (repeated or twice) else "caption")
        del rest[: 2 if twice else 1]
        if credit:
            art.stripped.append(f"photo credit '{credit}'")

    paragraphs = [" ".join(x.strip() for x in lines) for lines in rest]
    while paragraphs and is_footer(paragraphs[-1]):
        art.stripped.append(f"footer '{_short(paragraphs[-1])}'")
        paragraphs.pop()
    if not paragraphs:
        raise ImportSkip("no body: only a headline" + (" and furniture" if art.stripped else ""))
    art.paragraphs = paragraphs
    m = _DATELINE_SOURCE.match(paragraphs[0])
    if m:
        art.source = m.group("src")
    return art


def _block(chunk: str) -> list[str]:
    return [ln.strip() for ln in chunk.split("\n") if ln.strip()]


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()


def _short(s: str, n: int = 50) -> str:
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


# ---------------------------------------------------------------------------
# Markdown output

_MD_INLINE = re.compile(r"([\\`*_\[\]{}])")
_MD_LINE_START = re.compile(r"^(\s*)(#|>|[-+*](?=\s)|\d+(?=[.)]\s)|[-*_](?:\s*[-*_]){2,}\s*$)")


def escape_markdown(paragraph: str) -> str:
    """Raw text stays literal text in Markdown: no emphasis, lists, headings or HTML."""
    s = _MD_INLINE.sub(r"\\\1", paragraph)
    s = s.replace("<", "&lt;")
    m = _MD_LINE_START.match(s)
    if m:
        lead, marker = m.group(1), m.group(2)
        if marker[0].isdigit():
            num_end = m.end()
            s = f"{lead}{s[len(lead):num_end]}\\{s[num_end:]}"
        else:
            s = f"{lead}\\{s[len(lead):]}"
    return s


_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 ._/&()'-]*$")
_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


def yaml_scalar(value: str) -> str:
    """A YAML scalar: plain when unambiguous, else double-quoted (JSON is valid YAML).

    Control characters (a stray BEL in a wire headline) are dropped: the build
    refuses them in front matter text, escaped or not."""
    value = without_control_characters(value)
    if _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS and not value.endswith((" ", ":")):
        return value
    # JSON is valid YAML, except that YAML refuses DEL and C1 controls and
    # folds NEL/U+2028/U+2029 as line breaks: escape those too.
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")


def to_markdown(art: RawArticle, *, date: str, source: str = "", publication: str = "", section: str = "") -> str:
    lines = ["---", f"title: {yaml_scalar(art.title)}", f"date: {date}"]
    src = source or art.source
    if src:
        lines.append(f"source: {yaml_scalar(src)}")
    if publication:
        lines.append(f"publication: {yaml_scalar(publication)}")
    if section:
        lines.append(f"section: {yaml_scalar(section)}")
    if art.caption or art.credit:
        lines.append("image:")
        if art.caption:
            lines.append(f"  caption: {yaml_scalar(art.caption)}")
        if art.credit:
            lines.append(f"  credit: {yaml_scalar(art.credit)}")
    lines.append("sanitize: true")
    lines.append("---")
    lines.append("")
    body = "\n\n".join(escape_markdown(p) for p in art.paragraphs)
    return "\n".join(lines) + "\n" + body + "\n"


# ---------------------------------------------------------------------------
# Files

@dataclass
class ImportOptions:
    out: Path  # content/articles or --out
    date: str | None = None  # YYYY-MM-DD or ISO datetime, for files without a CSV row
    dates: dict[str, str] = field(default_factory=dict)  # from --dates CSV
    source: str = ""
    publication: str = ""
    section: str | None = None  # None: the folder name for folder imports
    timezone: str = "UTC"
    dry_run: bool = False


@dataclass
class FileResult:
    source: Path
    written: Path | None = None
    skipped: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def imported(self) -> list[FileResult]:
        return [r for r in self.results if r.written]

    @property
    def skipped(self) -> list[FileResult]:
        return [r for r in self.results if r.skipped]

    def encodings(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.results:
            for n in r.notes:
                if n.startswith("not UTF-8: read as "):
                    enc = n.split()[4]
                    counts[enc] = counts.get(enc, 0) + 1
        return counts

    def summary(self, dry_run: bool = False) -> str:
        verb = "would import" if dry_run else "imported"
        enc = self.encodings()
        enc_text = ", ".join(f"{n} {e}" for e, n in sorted(enc.items())) if enc else "none"
        stripped = sum(1 for r in self.results if r.written and any(n.startswith("stripped") for n in r.notes))
        return (f"{verb} {len(self.imported):,} of {len(self.results):,} files, skipped {len(self.skipped):,}; "
                f"not UTF-8: {enc_text}; furniture stripped in {stripped:,}; {self.seconds:.2f} s")


def load_dates_csv(path: Path) -> dict[str, str]:
    """``file,date`` rows (header optional) to {file: date}.

    Raises ContentError at the CSV's path (and line), as a build reports its
    inputs: a pipe or device is refused unread (it would hang, or never end),
    and bytes that are not UTF-8 are named with their line and offset."""
    odd = not_a_file(path)
    if odd is not None:
        raise ContentError(str(path), None, odd, "give --dates the path of a CSV file of 'file,date' rows")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError(str(path), None, f"cannot read: {exc.strerror or exc}",
                           "check the path and permissions of the --dates file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(str(path), line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                           "save the CSV as UTF-8 (e.g. iconv -f latin1 -t utf-8), or check that it is the dates CSV"
                           ) from None
    dates: dict[str, str] = {}
    for i, row in enumerate(csv.reader(text.splitlines()), 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if len(row) < 2:
            raise ContentError(str(path), i, f"expected 'file,date', got {','.join(row)!r}",
                               "one row a line: the file, a comma, its date (e.g. sport/001.txt,2013-08-09)")
        name, value = row[0].strip(), row[1].strip()
        if i == 1 and not re.match(r"^\d{4}-", value):
            continue  # header
        dates[name] = value
    return dates


def collect(paths: Iterable[Path]) -> list[tuple[Path, Path | None, str]]:
    """(file, folder argument it came from or None, skip reason or '')."""
    found: list[tuple[Path, Path | None, str]] = []
    for arg in paths:
        if arg.is_dir():
            for p in sorted(arg.rglob("*")):
                if not p.is_file() or any(part.startswith(".") for part in p.relative_to(arg).parts):
                    continue
                if NOT_ARTICLES.match(p.name):
                    found.append((p, arg, "looks like a README or licence, not an article"))
                elif p.suffix.lower() not in FOLDER_SUFFIXES:
                    found.append((p, arg, f"not a text file ({p.suffix or 'no extension'}; "
                                          "folders are searched for *.txt; name the file to import it anyway)"))
                else:
                    found.append((p, arg, ""))
        elif arg.is_file():
            found.append((arg, None, ""))
        else:
            found.append((arg, None, not_a_file(arg) or "no such file or folder"))
    return found


def _date_for(path: Path, base: Path | None, opts: ImportOptions) -> str | None:
    if opts.dates:
        keys = [str(path), path.as_posix()]
        if base is not None:
            keys.append(path.relative_to(base).as_posix())
            keys.append(path.relative_to(base.parent).as_posix())
        keys.append(path.name)
        for k in keys:
            if k in opts.dates:
                return opts.dates[k]
    return opts.date


def _section_for(path: Path, base: Path | None, opts: ImportOptions) -> str:
    if opts.section is not None:
        return opts.section
    if base is None:
        return ""
    name = path.parent.name or path.parent.resolve().name
    name = name.replace("_", " ").replace("-", " ").strip()
    return name[:1].upper() + name[1:] if name.islower() else name


def import_paths(paths: list[Path], opts: ImportOptions, on_result=None) -> ImportReport:
    """Import every file; ``on_result(FileResult)`` is called as each finishes."""
    t0 = time.perf_counter()
    report = ImportReport()
    tz = ZoneInfo(opts.timezone)
    claimed: dict[Path, tuple[Path, int]] = {}
    for path, base, reason in collect(paths):
        result = FileResult(path)
        try:
            if reason:
                raise ImportSkip(reason)
            result.written = _import_one(path, base, opts, tz, claimed, result)
        except ImportSkip as exc:
            result.skipped = str(exc)
        except OSError as exc:
            result.skipped = f"cannot read: {exc.strerror or exc}"
        report.results.append(result)
        if on_result:
            on_result(result)
    report.seconds = time.perf_counter() - t0
    return report


def _import_one(path: Path, base: Path | None, opts: ImportOptions, tz: ZoneInfo, claimed: dict,
                result: FileResult) -> Path:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ImportSkip(f"file is {size / 1_048_576:.1f} MB, too large for one article")
    date_text = _date_for(path, base, opts)
    if not date_text:
        raise ImportSkip("no date: give --date, or a row for this file in the --dates CSV")
    why: list[str] = []
    when = parse_date(date_text, tz, lambda m, h: why.append(m))
    if when is None:
        raise ImportSkip(f"bad date {date_text!r}: {why[0] if why else 'not a date'}")
    art = parse_raw(path.read_bytes())
    if art.encoding_note:
        result.notes.append(art.encoding_note)
    if art.stripped:
        result.notes.append("stripped " + ", ".join(art.stripped))
    slug = slugify(art.title)
    if not slug:
        raise ImportSkip(f"headline {art.title!r} gives an empty slug (no letters or digits)")
    dest = opts.out / f"{when:%Y}" / f"{when:%m}" / f"{slug}.md"
    digest = hash(tuple(art.paragraphs))
    if dest in claimed:
        first, first_digest = claimed[dest]
        if first_digest == digest:
            raise ImportSkip(f"duplicate of {first} (same headline and text)")
        raise ImportSkip(f"same headline and month as {first}, imported to {dest} in this run; not overwritten "
                         "(give it another date with --dates)")
    if dest.exists():
        raise ImportSkip(f"{dest} already exists; not overwritten")
    date_out = date_text if re.match(r"^\d{4}-\d{2}-\d{2}$", date_text) else when.isoformat()
    text = to_markdown(art, date=date_out, source=opts.source, publication=opts.publication,
                       section=_section_for(path, base, opts))
    claimed[dest] = (path, digest)
    if not opts.dry_run:
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(dest, "x", encoding="utf-8", newline="\n") as f:
                f.write(text)
        except OSError as exc:
            # a write problem, named as one: import_paths reports other OSErrors as "cannot read"
            if isinstance(exc, FileExistsError) and os.path.lexists(dest):
                raise ImportSkip(f"{dest} already exists; not overwritten") from None
            blocked = not_a_folder(dest.parent)
            reason = f"{blocked[0]}: {blocked[1]}" if blocked else exc.strerror or str(exc)
            raise ImportSkip(f"cannot write {dest} ({reason})") from None
    return dest
