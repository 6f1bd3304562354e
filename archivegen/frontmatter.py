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
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted, e.g. title: \"Kerry: talks go on\""
    if "found character '\\t'" in problem or "tab" in problem:
        return "YAML indents with spaces, never tabs; replace the tab with spaces"
    if "duplicate key" in problem:
        return "remove one of the two keys"
    if "could not find expected ':'" in problem:
        return "each line of front matter is 'key: value'; check quotes and indentation"
    if "found unexpected end of stream" in problem or "while scanning a quoted scalar" in problem:
        return "a quoted value is not closed; add the closing quote"
    return "check the YAML syntax of the front matter"


def decode(raw: bytes, path: str) -> str:
    """Bytes to text: UTF-8 (a BOM is dropped), CRLF and CR become LF."""
    if len(raw) > MAX_BYTES:
        raise ContentError(
            path, None,
            f"file is {len(raw) // (1024 * 1024)} MB, over the {MAX_BYTES // (1024 * 1024)} MB limit",
            "split the file or remove embedded data",
        )
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
        problem = exc.problem or str(exc)
        mark = exc.problem_mark or exc.context_mark
        if "end of stream" in problem and exc.context_mark is not None:
            mark = exc.context_mark  # where the unclosed quote opened
            problem = f"{exc.context}: {problem}" if exc.context else problem
        if mark is not None and yaml_text.split("\n")[mark.line:mark.line + 1] and "\t" in yaml_text.split("\n")[mark.line]:
            problem = "tab character used for indentation"
        line = mark.line + 2 if mark else 1
        raise ContentError(path, line, f"invalid YAML in front matter: {problem}", _hint_for(problem)) from None
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
