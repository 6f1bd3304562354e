"""The build cache in ``.cache/``: what a rebuild may reuse, and proof of it.

Three kinds of entry, each keyed by everything that determines it:

* rendered bodies (HTML, text, mentions), keyed by the article's bytes, the
  registry, the link settings and markup, and the archivegen version;
* page fingerprints: a hash of each output page's template inputs, so a page
  whose inputs did not change is taken from the published site unrendered;
* the inputs fingerprint of the last build, so a build with nothing changed
  ends at once.

Entries are JSON (never pickle: a cache copied from another machine must not
be able to run code) and carry a SHA-256 of their payload. An entry that is
truncated, corrupt, from another version or for another key is ignored and
rebuilt. Most are written to a temporary file and renamed into place; bodies
are written in packs (``Cache.put_bodies``), a file per worker task, found
through an index of lines appended per key prefix, since one file per body
made creating files most of what writing the cache cost.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, fields, is_dataclass
from datetime import date, datetime
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from markupsafe import Markup

from . import code_id
from .content import Article
from .entities import Entity
from .model import Appearance, EntityStats, Group, Html, Story

FORMAT = 1


def digest(*parts: Any) -> str:
    """SHA-256 of the parts, each followed by a unit separator."""
    if parts and all(type(p) is str for p in parts):  # the common case, in one piece (50,000 calls a build)
        # surrogateescape: a file name that is not UTF-8 still hashes (the build then reports it)
        return hashlib.sha256(("\x1f".join(parts) + "\x1f").encode("utf-8", "surrogateescape")).hexdigest()
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode("utf-8", "surrogateescape"))
        h.update(b"\x1f")
    return h.hexdigest()


def linked_key(body_key: str, registry: str) -> str:
    """A rendered body's identity: its cache key and the registry it was linked with.

    Page fingerprints use it for the body's HTML (``model.Html``), whether
    the HTML was just rendered, read from the cache or left there.
    """
    return digest(body_key, registry)


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_in_place(path: Path, data: bytes, mode: str = "wb") -> None:
    """Write (or with ``mode="ab"`` append to) a file directly, making its folder only when it
    is missing (the rare case)."""
    try:
        f = open(path, mode)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        f = open(path, mode)
    with f:
        f.write(data)


def _seal(key: str, payload: Any) -> bytes:
    body = json.dumps({"format": FORMAT, "version": code_id(), "key": key, "data": payload},
                      ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    return hashlib.sha256(body).hexdigest().encode("ascii") + b"\n" + body


def _unseal(raw: bytes, key: str) -> Any | None:
    head, sep, body = raw.partition(b"\n")
    if not sep or hashlib.sha256(body).hexdigest().encode("ascii") != head:
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != code_id() \
            or doc.get("key") != key:
        return None
    return doc.get("data")


@contextmanager
def one_build_at_a_time(root: Path, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the archive's build lock while a build runs.

    Two builds of one archive at once (a second terminal, an editor's
    build-on-save beside ``serve``) would share the staging folder and the
    cache: one failed with a misleading "directory not empty", the other
    with an internal error. The second now waits for the first, and says so.
    The lock is the kernel's ``flock`` on the archive folder itself: nothing
    is written for it (a refused build leaves no trace), and it goes with
    the process, so a killed build never leaves a stale lock behind. Where
    there is no ``fcntl`` (Windows) builds are not serialised.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    try:
        fd = os.open(root, os.O_RDONLY)
    except OSError:  # no such folder: the build reports it
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting("another archivegen build of this archive is running; waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock (forked workers that inherited it have exited by now)


class Cache:
    """The ``.cache/`` folder of one archive (``enabled=False``: a clean build)."""

    def __init__(self, root: Path, enabled: bool = True):
        self.dir = root / ".cache"
        self.enabled = enabled
        self._index: dict[str, dict[str, tuple[str, int, int]]] = {}  # body index files read so far

    # -- generic sealed entries --------------------------------------------
    def read(self, name: str, key: str) -> Any | None:
        if not self.enabled:
            return None
        try:
            raw = (self.dir / name).read_bytes()
        except OSError:
            return None
        return _unseal(raw, key)

    def write(self, name: str, key: str, payload: Any) -> None:
        try:
            atomic_write(self.dir / name, _seal(key, payload))
        except OSError:
            pass  # a cache that cannot be written only costs time

    # -- rendered bodies -----------------------------------------------------
    def put_bodies(self, entries: list[tuple[str, Any, str]]) -> list[str]:
        """Write rendered bodies ``(key, body, registry)`` as one pack file; return their index
        lines, for ``index_bodies`` (the workers write packs, the build indexes them).

        Why packs. A body per file made a cold 10,000-article build create
        10,000 files, and creating a file is most of what writing one costs
        (on this machine's ext4 more than anywhere). A pack holds the bodies
        one worker task rendered, each sealed on its own as before, so a
        torn or damaged one reads as missing and is rendered again, never
        trusted. It is written in place: a name is never reused.
        """
        if not entries:
            return []
        name = os.urandom(8).hex()
        records: list[bytes] = []
        lines: list[str] = []
        offset = 0
        for key, body, registry in entries:
            record = _seal(key, dict(body_to_json(body), registry=registry))
            lines.append(f"{key} {name} {offset} {len(record)}\n")
            records.append(record)
            offset += len(record)
        try:
            write_in_place(self.dir / PACKS / f"{name}.pack", b"".join(records))
        except OSError:
            return []  # a cache that cannot be written only costs time
        return lines

    def index_bodies(self, lines: list[str]) -> None:
        """Append index lines (``put_bodies``) to the index file of each key's first two
        characters: a lookup reads 1/256 of the index, and the latest line for a key wins."""
        groups: dict[str, list[str]] = {}
        for line in lines:
            groups.setdefault(line[:2], []).append(line)
        for prefix, group in groups.items():
            try:
                write_in_place(self.dir / INDEX / prefix, "".join(group).encode("ascii"), mode="ab")
            except OSError:
                continue
            known = self._index.get(prefix)
            if known is not None:
                known.update(_parse_index("".join(group)))

    def _body_entry(self, key: str) -> Any | None:
        """The sealed payload stored for ``key``, None when there is none or it is damaged."""
        prefix = key[:2]
        index = self._index.get(prefix)
        if index is None:
            index = self._index[prefix] = _parse_index(
                _read_or_empty(self.dir / INDEX / prefix).decode("ascii", "replace"))
        where = index.get(key)
        if where is None:
            return None
        pack, offset, length = where
        try:
            with open(self.dir / PACKS / f"{pack}.pack", "rb") as f:
                f.seek(offset)
                raw = f.read(length)
        except OSError:
            return None
        return _unseal(raw, key)

    def get_body(self, key: str) -> tuple[Any, str] | None:
        """(rendered body, fingerprint of the registry it was linked with), or None."""
        if not self.enabled:
            return None
        data = self._body_entry(key)
        if not isinstance(data, dict) or not isinstance(data.get("registry"), str):
            return None
        try:
            return body_from_json(data), data["registry"]
        except (TypeError, KeyError, ValueError, AttributeError):
            return None

    def body_html(self, key: str, registry: str) -> str | None:
        """The HTML of a cached body (for ``model.Html``), None if the entry is gone or damaged."""
        data = self._body_entry(key)
        if not isinstance(data, dict) or data.get("registry") != registry or not isinstance(data.get("html"), str):
            return None
        return data["html"]


PACKS = "bodies/packs"  # <16 hex digits>.pack: sealed body entries back to back
INDEX = "bodies/index"  # one file per first two characters of a key: "key pack offset length" lines
_INDEX_LINE = re.compile(r"([0-9a-f]{64}) ([0-9a-f]{16}) ([0-9]{1,12}) ([0-9]{1,9})")


def _parse_index(text: str) -> dict[str, tuple[str, int, int]]:
    """Index lines to {key: (pack, offset, length)}; a torn or foreign line is skipped (its
    body is then rendered again), and names are only ever hex digits (no path in them)."""
    index: dict[str, tuple[str, int, int]] = {}
    for line in text.split("\n"):
        m = _INDEX_LINE.fullmatch(line)
        if m is not None:
            index[m.group(1)] = (m.group(2), int(m.group(3)), int(m.group(4)))
    return index


def _read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def body_to_json(rb: Any) -> dict[str, Any]:
    """A rendered body as cached, without its plain text.

    Nothing after the bodies stage reads the text (``mentions`` and
    ``check`` render for themselves), and it was a third of each entry:
    leaving it out makes the 10,000 entries of a cold build cheaper to
    encode, hash and write, and every later read of an entry's HTML
    cheaper to parse. An entry written with it still reads.
    """
    return {
        "html": rb.html, "summary": rb.summary, "word_count": rb.word_count,
        "attached": list(rb.attached),
        "mentions": [_flat(m) for m in rb.mentions],
        "declined": [_flat(d) for d in rb.declined],
    }


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _flat(record: Any) -> dict[str, Any]:
    """A Mention's or Declined's fields as a dict. Their values are plain, so this is
    ``asdict`` without its recursive copying, which took a third of writing a body."""
    names = _FIELD_NAMES.get(type(record))
    if names is None:
        names = _FIELD_NAMES[type(record)] = tuple(f.name for f in fields(record))
    return {name: getattr(record, name) for name in names}


def body_from_json(data: dict[str, Any]) -> Any:
    from .render import Declined, Mention, RenderedBody

    def build(cls, d):
        names = {f.name for f in fields(cls)}
        if set(d) - names:
            raise ValueError("unknown field")
        return cls(**d)

    return RenderedBody(
        html=str(data["html"]), text=str(data.get("text", "")), summary=str(data["summary"]),
        word_count=int(data["word_count"]), attached=[str(x) for x in data["attached"]],
        mentions=[build(Mention, m) for m in data["mentions"]],
        declined=[build(Declined, d) for d in data["declined"]],
    )


_LEAVES = frozenset({str, int, bool, float, type(None)})  # fingerprinted as their repr


class ByIdentity:
    """What was worked out once for an object, found again by the object's identity.

    For values shown many times per build (a date in every listing that holds
    its article, a story's feed entry in every feed that lists it). Identity,
    not equality: equal objects may show otherwise (12:00+00:00 equals
    13:00+01:00). Each entry holds its object, so the object's id cannot be
    reused by another while the entry is kept.
    """

    def __init__(self, limit: int = 100_000):
        self._known: dict[int, tuple[Any, Any]] = {}
        self.limit = limit

    def get(self, obj: Any) -> Any | None:
        known = self._known.get(id(obj))
        return known[1] if known is not None and known[0] is obj else None

    def put(self, obj: Any, value: Any) -> Any:
        if len(self._known) >= self.limit:
            self._known.clear()
        self._known[id(obj)] = (obj, value)
        return value


class Fingerprinter:
    """Stable hashes of page contexts, so unchanged pages are not re-rendered.

    Stories, entities and groups are reduced to what identifies their
    content; anything unknown falls back to ``repr``, which at worst makes a
    page look changed (slower, never wrong).
    """

    def __init__(self, salt: str, body_keys: dict[str, str], entity_fps: dict[str, str] | None = None,
                 templates: dict[str, str] | None = None):
        self.salt = salt
        self.templates = templates or {}  # template name -> Theme.template_fingerprints()
        self.body_keys = body_keys  # story url_path -> body cache key
        self.entity_fps = entity_fps or {}  # entity key -> Registry.entity_fingerprints()
        self._memo: dict[int, tuple[Any, str]] = {}  # id -> (object kept alive, fingerprint)

    def page(self, template: str, context: dict[str, Any], inputs: tuple[Any, ...] | None = None) -> str:
        """A page's fingerprint: of what its context is made from when the planner says
        (``pages.Page.inputs``: five objects instead of thirty), else of the context."""
        # the template's own hash (it and what it includes) stands in the salt's place for
        # the theme: a template edit reaches only the pages that use it
        theme = self.templates.get(template, "")
        if inputs is not None:
            return digest(self.salt, template, theme, "I" + self._fp(inputs))
        return digest(self.salt, template, theme, self._fp(context))

    def _fp(self, v: Any) -> str:
        t = type(v)
        if t in _LEAVES:
            return repr(v)
        if t is Markup:
            return "M" + hashlib.sha256(str(v).encode()).hexdigest()
        memo = self._memo
        known = memo.get(id(v))
        if known is not None:
            return known[1]
        if t is dict or t is list or t is tuple:
            # plain loops with leaves and already-hashed objects inline: this runs for
            # every value of every page's context (13,000 pages at 10,000 articles), so
            # a call per leaf or per known story was a third of an add-one build's hashing
            parts: list[str] = []
            add = parts.append
            leaves = _LEAVES
            if t is dict:
                for k, x in v.items():
                    tk, tx = type(k), type(x)
                    if tx in leaves:
                        xs = repr(x)
                    else:
                        hit = memo.get(id(x))
                        xs = hit[1] if hit is not None else self._fp(x)
                    add(f"{k!r}:{xs}" if tk in leaves else f"{self._fp(k)}:{xs}")
                out = "{" + ",".join(parts) + "}"
            else:
                for x in v:
                    if type(x) in leaves:
                        add(repr(x))
                    else:
                        hit = memo.get(id(x))
                        add(hit[1] if hit is not None else self._fp(x))
                out = "[" + ",".join(parts) + "]"
            if len(out) > 256:  # a page's context, a long list: keep the digest, not the string
                out = ("D" if t is dict else "L") + hashlib.sha256(out.encode()).hexdigest()
            # the memo holds v, so its id cannot be reused meanwhile; a list or dict shared by
            # many pages (navigation) is hashed once
            memo[id(v)] = (v, out)
            return out
        if t is Html:
            return "H" + v.key
        if t is Story:
            # the body key already hashes the article's bytes and every render setting; the URL
            # comes from the file's name too. No hashing: 10,000 of these cost 0.07 s hashed
            url = v.article.url_path
            out = f"S{url}\x1f{self.body_keys.get(url) or 'A' + v.article.digest}"
        elif t is Article:
            out = "A" + v.digest
        elif t is Entity:
            entity_fp = self.entity_fps.get(v.key)
            out = "E" + (entity_fp or digest(json.dumps(asdict(v), sort_keys=True, default=str)))
        elif t is EntityStats:
            fp = self._fp
            # an appearance's count and sentence come from the story's body as linked, which the
            # story's fingerprint already names (body key and registry): the story alone will do
            appearances = "\x1f".join([fp(a.story) for a in v.appearances])
            # the related list as shown (entity, shared articles): its PMI scores move with every
            # article added, its order and counts seldom do
            out = "ES" + digest(fp(v.entity), v.mentions, appearances, fp([(e, n) for e, n, _ in v.related]))
        elif t is Appearance:
            out = "AP" + digest(self._fp(v.story), v.count, v.sentence)
        elif t is Group:
            out = "G" + digest(v.slug, v.name, self._fp(v.stories))
        elif isinstance(v, (datetime, date)):
            return v.isoformat()
        elif isinstance(v, str):
            return repr(str(v))
        elif isinstance(v, dict):
            return self._fp(dict(v))
        elif isinstance(v, (list, tuple)):
            return self._fp(list(v))
        elif is_dataclass(v) and not isinstance(v, type):  # an instance; a dataclass itself falls back to repr
            return type(v).__name__ + self._fp(asdict(v))
        else:
            return repr(v)
        self._memo[id(v)] = (v, out)
        return out
