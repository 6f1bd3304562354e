"""Split a Markdown file into YAML front matter and body, with line numbers.

YAML is parsed with libyaml (``CSafeLoader``) when available; a subclass
records the line of every top-level key and refuses duplicate keys, which
plain PyYAML silently accepts (the last value wins and a typo goes unseen).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .errors import ContentError

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 10 * 1024 * 1024  # a larger article is refused before parsing


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader that rejects duplicate keys and keeps key line numbers."""


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
                f"duplicate key '{key}' (first on line {lines[key] + 2})",
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


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@dataclass
class Document:
    """A parsed source file: front matter, body and where each key stood."""

    meta: dict[str, Any]
    body: str
    key_lines: dict[str, int]  # key -> 1-based line in the file
    body_line: int  # 1-based line where the body starts


def _hint_for(problem: str) -> str:
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
        return "remove the invisible control character (it is often pasted from a word processor)"
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


def decode(raw: bytes, path: str) -> str:
    """Bytes to text: UTF-8 (a BOM is dropped), CRLF and CR become LF."""
    if len(raw) > MAX_BYTES:
        raise ContentError(
            path, None,
            f"file is {len(raw) // (1024 * 1024)} MB, over the {MAX_BYTES // (1024 * 1024)} MB limit",
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


def parse(text: str, path: str, *, required: bool = True) -> Document:
    """Parse ``---`` front matter; ``required=False`` allows a file without it."""
    if not text.strip():
        raise ContentError(path, 1, "empty file", "an article starts with '---', front matter, '---', then the body")
    if not text.startswith("---\n") and text.rstrip("\n") != "---":
        if not required:
            return Document({}, text, {}, 1)
        raise ContentError(
            path, 1, "no front matter: the file must start with a line '---'",
            "add front matter: ---, title: ..., date: YYYY-MM-DD, ---",
        )
    end = text.find("\n---", 3)
    while end != -1:
        after = text[end + 4 : end + 5]
        if after in ("", "\n") or text[end + 4 :].split("\n", 1)[0].strip() == "":
            break
        end = text.find("\n---", end + 4)
    if end == -1:
        raise ContentError(path, 1, "front matter is never closed", "add a line '---' after the last front matter field")
    yaml_text = text[4 : end + 1]
    rest = text[end + 4 :]
    body = rest.split("\n", 1)[1] if "\n" in rest else ""
    body_line = text[: end + 4].count("\n") + 2
    loader = _Loader(yaml_text)
    try:
        loader._root_node = loader.get_single_node()
        meta = loader.construct_document(loader._root_node) if loader._root_node is not None else None
    except yaml.MarkedYAMLError as exc:
        problem, row = _explain(exc, yaml_text)
        line = row + 2 if row is not None else 1
        raise ContentError(path, line, f"invalid YAML in front matter: {problem}", _hint_for(problem)) from None
    except yaml.reader.ReaderError as exc:  # a control character libyaml refuses
        line = yaml_text[: max(exc.position, 0)].count("\n") + 2
        problem = f"control character U+{exc.character:04X} is not allowed" if isinstance(exc.character, int) else exc.reason
        raise ContentError(path, line, f"invalid YAML in front matter: {problem}", _hint_for("control character")) from None
    except yaml.YAMLError as exc:
        raise ContentError(path, 1, f"invalid YAML in front matter: {exc}", _hint_for(str(exc))) from None
    finally:
        loader.dispose()
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ContentError(path, 2, "front matter must be a mapping of 'key: value' lines", "write one 'key: value' per line")
    key_lines = {str(k): v + 2 for k, v in getattr(loader, "key_lines", {}).items()}
    meta = {str(k): v for k, v in meta.items()}
    return Document(meta, body, key_lines, body_line)
