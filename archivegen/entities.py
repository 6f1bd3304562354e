"""The entity records shared by the registry, the linker and the pages.

Plain data only: loading lives in ``registry`` (people files) and
``countries`` (the built-in ISO list), matching in ``linker``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["person", "country"]


@dataclass
class Entity:
    """One person or country that articles can mention.

    ``id`` is the URL slug (``john-kerry``, ``russia``); ``key`` is the
    kind-qualified id used in the mentions JSON (``people/john-kerry``).
    """

    id: str
    kind: Kind
    name: str
    aliases: list[str] = field(default_factory=list)
    description: str = ""
    wikidata: str | None = None
    # countries only
    iso2: str | None = None
    iso3: str | None = None
    official_name: str | None = None
    demonyms: list[str] = field(default_factory=list)
    successors: list[str] = field(default_factory=list)  # former countries
    former: bool = False
    # people only
    image: dict[str, Any] | None = None
    born: str | None = None
    died: str | None = None
    # both: Markdown biography / description body, rendered to HTML later
    body: str = ""
    source: str | None = None  # file it came from (None: built in)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def section(self) -> str:
        """URL folder of the entity pages: ``people`` or ``countries``."""
        return "people" if self.kind == "person" else "countries"

    @property
    def key(self) -> str:
        return f"{self.section}/{self.id}"

    @property
    def url_path(self) -> str:
        """Path below the site root, without base_url: ``people/john-kerry/``."""
        return f"{self.section}/{self.id}/"
