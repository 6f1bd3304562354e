"""Split a Markdown file into YAML front matter and body, with line numbers.

YAML is parsed with libyaml (``CSafeLoader``) when available; a subclass
records the line of every top-level key and refuses duplicate keys, which
plain PyYAML silently accepts (the last value wins and a typo goes unseen).
``parse_yaml`` is the same for a whole YAML file (``archive.yaml``).
"""

from __future__ import annotations

import itertools
import re
import sys
from dataclasses import dataclass
from typing import Any, Iterator

import yaml

from .errors import ContentError

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 10 * 1024 * 1024  # a larger article is refused before parsing
# A document may hold at most this many values, each repetition through an
# alias counted: ~400 bytes of nested aliases expand to millions of values.
MAX_VALUES = 10_000
# Python refuses to turn a longer digit string into an int (or back) since 3.11.
MAX_DIGITS = getattr(sys, "get_int_max_str_digits", lambda: 4300)() or 4300


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader that rejects duplicate keys and keeps key line numbers."""

    first_line = 2  # the file's line number of the YAML text's first line


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text, not a list or mapping", key_node.start_mark
            ) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first on line {lines[key] + loader.first_line})",
                key_node.start_mark,
            )
        lines[key] = key_node.start_mark.line
        mapping[key] = loader.construct_object(value_node, deep=deep)
    if node is getattr(loader, "_root_node", None):
        loader.key_lines = {k: v for k, v in lines.items()}
    return mapping


def _construct_timestamp(loader: _Loader, node: yaml.Node) -> Any:
    # Keep dates as the text the author wrote: validation reports bad ones
    # (2013-02-30) with the file and line instead of a ValueError.
    return loader.construct_scalar(node)


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    """An int, or a marked error for one too long for Python to convert.

    int() refuses a digit string over MAX_DIGITS (ValueError, not a YAML
    error); a hex or 1:30:00 number can pass that and still be too long for
    str() later, so the result is converted back once here too."""
    digits = sum(c.isdigit() for c in str(node.value))
    try:
        if digits > MAX_DIGITS:
            raise ValueError(digits)
        value = loader.construct_yaml_int(node)
        str(value)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"a number with over {MAX_DIGITS:,} digits", node.start_mark
        ) from None
    return value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


@dataclass
class Document:
    """A parsed source file: front matter, body and where each key stood."""

    meta: dict[str, Any]
    body: str
    key_lines: dict[str, int]  # key -> 1-based line in the file
    body_line: int  # 1-based line where the body starts


ESCAPE_HINT = ("use single quotes, e.g. title: 'C:\\photos', or write each backslash "
               "as \\\\ inside double quotes")
ESCAPED_CONTROL_HINT = "remove the escape (such as \\0, \\a or \\u0007) that writes it into the quoted value"
CONTROL_HINT = "remove the invisible control character (it is often pasted from a word processor)"


def _hint_for(problem: str) -> str:
    if "escape '" in problem and problem.endswith(("double-quoted value", "hex digits)", "not a valid character")):
        return ESCAPE_HINT
    if problem.startswith("a number with over"):
        return "quote it to keep it as text, e.g. \"12345678…\", or shorten it"
    if "tab character" in problem or "found character '\\t'" in problem:
        return "YAML indents with spaces, never tabs; replace the tab with spaces"
    if "indentation" in problem:
        return "indent a line only below a key that ends with ':'; align keys of one level"
    if "mapping values are not allowed" in problem or "contains ': '" in problem:
        return "a value containing ': ' must be quoted, e.g. title: \"Kerry: talks go on\""
    if "duplicate key" in problem:
        return "remove one of the two keys"
    if "could not find expected ':'" in problem:
        return "each line of front matter is 'key: value'; check quotes and indentation"
    if "quoted value" in problem or "while scanning a quoted scalar" in problem:
        return "a quoted value is not closed; add the closing quote"
    if "list in [" in problem or "mapping in {" in problem:
        return "close the brackets, or quote the value if the brackets are part of the text"
    if "control character" in problem:
        return CONTROL_HINT
    if "constructor for the tag" in problem:
        return "YAML tags such as !!python/... are not allowed; write a plain value"
    if "undefined alias" in problem:
        return "a value starting with '*' must be quoted, e.g. title: \"*Breaking*\""
    return "check the YAML syntax of the front matter"


def _row(mark: Any, yaml_text: str) -> int:
    """The 0-based line of a YAML mark, counting only '\n' as our line numbers do.

    libyaml also breaks lines at U+0085, U+2028 and U+2029 (and at a bare CR,
    which ``decode`` has already turned into LF), so its own line count can
    run past the end of the file; the mark's character offset cannot."""
    index = getattr(mark, "index", None)
    if isinstance(index, int) and index >= 0:
        return yaml_text[:index].count("\n")
    return mark.line


def _explain(exc: yaml.MarkedYAMLError, yaml_text: str) -> tuple[str, int | None]:
    """A libyaml error as plain words and the 0-based line to report (None: no line)."""
    lines = yaml_text.split("\n")
    problem = exc.problem or str(exc)
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    if "quoted scalar" in context and ("escape" in problem or "hexdecimal" in problem) and exc.problem_mark is not None:
        return _bad_escape(problem, exc.problem_mark.index, yaml_text), _row(exc.problem_mark, yaml_text)
    if "quoted scalar" in context and exc.context_mark is not None:
        return "a quoted value is never closed (the quote opens on this line)", _row(exc.context_mark, yaml_text)
    if context.startswith("while parsing a flow") and exc.context_mark is not None:
        which = "list in [brackets]" if "sequence" in context else "mapping in {braces}"
        return f"a {which} is never closed (it opens on this line)", _row(exc.context_mark, yaml_text)
    row = _row(mark, yaml_text) if mark is not None else None
    text = lines[row] if row is not None and row < len(lines) else ""
    if "\t" in text[: len(text) - len(text.lstrip())] or "found character '\\t'" in problem:
        return "tab character used for indentation", row
    if "mapping values are not allowed" in problem:
        if text[:1] in (" ", "\t") and row and not lines[row - 1].rstrip().endswith(":"):
            return "unexpected indentation (this line is indented but the line above opens no block)", row
        return "an unquoted value contains ': '", row
    return problem, row


_ESCAPE_RE = re.compile(r"\\(?:x[0-9A-Fa-f]{0,2}|u[0-9A-Fa-f]{0,4}|U[0-9A-Fa-f]{0,8}|.)", re.S)
_ESCAPE_DIGITS = {"x": 2, "u": 4, "U": 8}


def _bad_escape(problem: str, index: int, yaml_text: str) -> str:
    """A backslash escape libyaml refused, in plain words.

    libyaml's mark points at the backslash or at the first digit after it;
    the escape is read from the text so the message shows what was written
    ('C:\\photos' is an unknown escape '\\p', not an unclosed quote)."""
    start = yaml_text.rfind("\\", 0, index + 1)
    found = _ESCAPE_RE.match(yaml_text, start) if start >= 0 else None
    if found is None:
        return "bad backslash escape in a double-quoted value"
    escape = found.group()
    letter = escape[1:2]
    if "invalid Unicode" in problem:
        return f"escape '{escape}' in a double-quoted value is not a valid character"
    if letter in _ESCAPE_DIGITS and "unknown" not in problem:
        return (f"incomplete escape '{escape}' in a double-quoted value "
                f"('\\{letter}' takes {_ESCAPE_DIGITS[letter]} hex digits)")
    return f"unknown escape '{escape}' in a double-quoted value"


def decode(raw: bytes, path: str) -> str:
    """Bytes to text: UTF-8 (a BOM is dropped), CRLF and CR become LF."""
    if len(raw) > MAX_BYTES:
        raise ContentError(
            path, None,
            f"file is {len(raw) / (1024 * 1024):.1f} MB, over the {MAX_BYTES // (1024 * 1024)} MB limit",
            "split the file or remove embedded data",
        )
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ContentError(path, None, "file is saved as UTF-16, not UTF-8",
                           "save the file as UTF-8 (e.g. iconv -f utf-16 -t utf-8)")
    if b"\x00" in raw[:8192]:
        raise ContentError(path, None, "binary file, not Markdown text", "move it out of content/ or save it as UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(
            path, line,
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _kind_of_file(path: str) -> tuple[str, str]:
    """What a file under ``path`` is, and the fields its front matter needs, for hints."""
    if "content/people/" in path:
        return "a person file", "name: Full Name"
    if "content/countries/" in path:
        return "a country file", "name: Country Name"
    return "an article", "title: ..., date: YYYY-MM-DD"


def parse(text: str, path: str, *, required: bool = True) -> Document:
    """Parse ``---`` front matter; ``required=False`` allows a file without it."""
    what, fields = _kind_of_file(path)
    if not text.strip():
        raise ContentError(path, 1, "empty file", f"{what} starts with '---', front matter, '---', then the body")
    first, newline, _ = text.partition("\n")
    if first.rstrip(" \t") != "---":  # trailing blanks are forgiven, as on the closing line
        if not required:
            return Document({}, text, {}, 1)
        raise ContentError(
            path, 1, "no front matter: the file must start with a line '---'",
            f"add front matter: ---, {fields}, ---",
        )
    start = len(first) + len(newline)  # where the YAML begins
    end = text.find("\n---", start - 1)
    while end != -1:
        after = text[end + 4 : end + 5]
        if after in ("", "\n") or text[end + 4 :].split("\n", 1)[0].strip() == "":
            break
        end = text.find("\n---", end + 4)
    if end == -1:
        raise ContentError(path, 1, "front matter is never closed", "add a line '---' after the last front matter field")
    yaml_text = text[start : end + 1]
    rest = text[end + 4 :]
    body = rest.split("\n", 1)[1] if "\n" in rest else ""
    body_line = text[: end + 4].count("\n") + 2
    meta, key_lines = parse_yaml(yaml_text, path, first_line=2)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ContentError(path, 2, "front matter must be a mapping of 'key: value' lines", "write one 'key: value' per line")
    meta = {str(k): v for k, v in meta.items()}
    return Document(meta, body, key_lines, body_line)


def parse_yaml(yaml_text: str, path: str, *, first_line: int = 1, where: str = "front matter") -> tuple[Any, dict[str, int]]:
    """One YAML document and the file line of each top-level key.

    ``first_line`` is the file's line number of the text's first line (2 for
    front matter, after its '---'), so every reported line is the file's.
    ``where`` names the document in messages ('front matter', 'archive.yaml').
    """
    simple = _simple_mapping(yaml_text)
    if simple is not None:
        data, rows = simple
    else:
        data, rows = _load_yaml(yaml_text, path, first_line, where)
    key_lines = {str(k): v + first_line for k, v in rows.items()}
    _check_expansion(data, key_lines, path, where, aliases="*" in yaml_text)
    return data, key_lines


# Front matter as nearly every article writes it: one "key: value" line per field, each value
# double- or single-quoted text with nothing to unescape, or a plain word or phrase. Read here,
# a five-line article's front matter takes 9 µs instead of libyaml's 24 µs (PyYAML builds its
# nodes and values in Python), and loading 10,000 articles 0.78 CPU-s instead of 1.15. Types
# are PyYAML's own resolver's answer (a value it reads as a number, true/false or null is left to
# libyaml), so the result is what libyaml gives, and a test holds the two to that. Anything else
# (a list, a comment, a blank line, an escape, a duplicate key, a tab) goes to libyaml.
#
# A quoted value's characters: printable in YAML's sense, and no line break in YAML 1.1's sense
# either (libyaml folds U+0085 inside quotes)
_QUOTED_OK = "[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
_SIMPLE_LINE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_-]{0,99}): "
    r"(?:\"(" + _QUOTED_OK + r"\"\\]*)\"|'(" + _QUOTED_OK + r"']*)'|(\w(?:[\w .,'()&/+-]*[\w.,'()&/+-])?))\n")
_RESOLVER = yaml.resolver.Resolver()
_STR, _TIMESTAMP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"


def _simple_mapping(yaml_text: str) -> tuple[dict[str, Any], dict[str, int]] | None:
    """The mapping and key rows of a document of simple lines only, else None (see above)."""
    data: dict[str, Any] = {}
    rows: dict[str, int] = {}
    pos = 0
    while pos < len(yaml_text):
        m = _SIMPLE_LINE.match(yaml_text, pos)
        if m is None:
            return None
        key, double, single, plain = m.groups()
        if key in data or _RESOLVER.resolve(yaml.ScalarNode, key, (True, False)) != _STR:
            return None
        if plain is not None:
            if _RESOLVER.resolve(yaml.ScalarNode, plain, (True, False)) not in (_STR, _TIMESTAMP):
                return None  # a number, true/false, null: libyaml's constructors make those
            data[key] = plain  # a timestamp stays text, as _construct_timestamp keeps it
        else:
            data[key] = double if double is not None else single
        rows[key] = len(rows)
        pos = m.end()
    return (data, rows) if data else None


def _load_yaml(yaml_text: str, path: str, first_line: int, where: str) -> tuple[Any, dict[Any, int]]:
    """The document parsed by libyaml, and the row (from 0) of each top-level key."""
    loader = _Loader(yaml_text)
    loader.first_line = first_line
    try:
        loader._root_node = loader.get_single_node()
        data = loader.construct_document(loader._root_node) if loader._root_node is not None else None
    except yaml.MarkedYAMLError as exc:
        problem, row = _explain(exc, yaml_text)
        line = row + first_line if row is not None else 1
        raise ContentError(path, line, f"invalid YAML in {where}: {problem}", _hint_for(problem)) from None
    except yaml.reader.ReaderError as exc:  # a control character libyaml refuses
        line = yaml_text[: max(exc.position, 0)].count("\n") + first_line
        problem = f"control character U+{exc.character:04X} is not allowed" if isinstance(exc.character, int) else exc.reason
        raise ContentError(path, line, f"invalid YAML in {where}: {problem}", _hint_for("control character")) from None
    except yaml.YAMLError as exc:
        raise ContentError(path, 1, f"invalid YAML in {where}: {exc}", _hint_for(str(exc))) from None
    finally:
        loader.dispose()
    return data, getattr(loader, "key_lines", {})


def _check_expansion(data: Any, key_lines: dict[str, int], path: str, where: str, *, aliases: bool) -> None:
    """Refuse a document holding more than MAX_VALUES values, repetitions included.

    An alias shares the anchored value, so an alias bomb loads in
    microseconds; it is every later walk (validation, templates, the build's
    memo) that expands it, to hundreds of megabytes. The count stops at the
    limit, so it costs O(MAX_VALUES) however far the document would expand.
    """
    pairs = data.items() if isinstance(data, dict) else [(None, data)]
    used = 0
    for key, value in pairs:
        used += 1 + _count_values(value, MAX_VALUES - used)
        if used > MAX_VALUES:
            line = key_lines.get(str(key)) if key is not None else None
            if aliases:
                raise ContentError(path, line, f"{where} expands to over {MAX_VALUES:,} values (YAML anchors and aliases)",
                                   "write the values out, or remove the aliases (*name) that repeat them")
            raise ContentError(path, line, f"{where} holds over {MAX_VALUES:,} values",
                               "keep large data out of it, e.g. in a separate file")


_END = object()


def _count_values(value: Any, limit: int) -> int:
    """The values nested in ``value`` (not itself), counting up to ``limit + 1`` at most.

    A stack of iterators, not of items: a list of a million items costs one
    step per item counted, never a copy, and recursion depth is no issue."""
    count = 0
    stack: list[Iterator[Any]] = [_children(value)]
    while stack and count <= limit:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
            continue
        count += 1
        if isinstance(item, (dict, list, tuple, set)):
            stack.append(_children(item))
    return count


def _children(value: Any) -> Iterator[Any]:
    """A mapping's keys and values, a list's items, or nothing."""
    if isinstance(value, dict):
        return itertools.chain.from_iterable(value.items())
    if isinstance(value, (list, tuple, set)):
        return iter(value)
    return iter(())


_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def control_character(text: str) -> str | None:
    """'U+0007' for the first control character in ``text`` (tab and newline pass), else None.

    The YAML reader refuses a control byte typed into the file, but a
    double-quoted value can still write one as an escape ("\\a", "\\u0000"),
    and the pages would then carry it raw."""
    found = _CONTROL_RE.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def body_control_character(body: str, body_line: int) -> tuple[str, int] | None:
    """('U+0001', its file line) for the first control character in a body, else None.

    The YAML reader refuses them in front matter, but a body went into the
    pages as it was, where HTML forbids these code points and an Atom feed
    is no longer XML. One regex search over text that is read anyway."""
    found = _CONTROL_RE.search(body)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X}", body_line + body.count("\n", 0, found.start())


def without_control_characters(text: str) -> str:
    """``text`` without the characters ``control_character`` refuses (what ``import`` and
    ``new`` write must build)."""
    return _CONTROL_RE.sub("", text)


def kind_of(value: Any) -> str:
    """How a wrongly typed YAML value is named in messages ('a list', 'a number' …)."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "empty"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, (set, frozenset)):
        return "a set"
    return type(value).__name__
