"""Structured data (schema.org JSON-LD) for the ``<head>`` of a page.

Why in Python: assembling these dictionaries with Jinja ``set`` and
``update`` statements took a third of an article page's render time, and
article pages are most of a site. The theme still decides whether and
where the data appears: ``partials/head_meta.html`` calls the three
functions below, which ``theme.Theme`` provides to every template with the
site's settings and its absolute-URL function already bound, and passes the
result through ``tojson_safe``.

Each function returns plain dicts and lists in a fixed key order (the JSON
keeps it), and only includes a field when its value is known.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Callable, Iterable

SCHEMA = "https://schema.org"
WIKIDATA = "https://www.wikidata.org/wiki/"

AbsUrl = Callable[[str], str]


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def publisher(site: Any, abs_url: AbsUrl) -> dict[str, Any]:
    """The organisation that publishes the archive: ``publisher`` in archive.yaml, else the site title."""
    return {"@type": "Organization", "name": site.publisher or site.title, "url": abs_url("")}


def website(site: Any, abs_url: AbsUrl) -> dict[str, Any]:
    """The front page: a WebSite with its search action (``/search/?q=``)."""
    return {"@context": SCHEMA, "@type": "WebSite", "name": site.title, "description": site.description,
            "url": abs_url(""), "inLanguage": site.language, "publisher": publisher(site, abs_url),
            "potentialAction": {"@type": "SearchAction", "target": abs_url("search/") + "?q={search_term_string}",
                                "query-input": "required name=search_term_string"}}


def news_article(site: Any, abs_url: AbsUrl, article: Any, story: Any, box: Iterable[dict[str, Any]],
                 image: str, page_url: str) -> dict[str, Any]:
    """An article page: a NewsArticle whose ``about`` are the entities its front matter lists
    and whose ``mentions`` are the others its text names (``box``: the entity box entries)."""
    about: list[dict[str, Any]] = []
    mentions: list[dict[str, Any]] = []
    for entry in box:
        e = entry["entity"]
        item: dict[str, Any] = {"@type": "Person" if e.kind == "person" else "Country", "name": e.name,
                                "url": abs_url(e.url_path)}
        if e.wikidata:
            item["sameAs"] = WIKIDATA + e.wikidata
        listed = article.people if e.kind == "person" else article.countries
        (about if e.id in listed or e.key in listed else mentions).append(item)
    org = publisher(site, abs_url)
    authors: list[dict[str, Any]] = [{"@type": _author_type(name), "name": name} for name in article.authors]
    if not authors:
        authors = [{"@type": "Organization", "name": article.source}] if article.source else [org]
    data: dict[str, Any] = {
        "@context": SCHEMA, "@type": "NewsArticle", "headline": article.title,
        "datePublished": _iso(article.date), "dateModified": _iso(article.updated or article.date),
        "author": authors, "publisher": org, "mainEntityOfPage": abs_url(page_url), "url": abs_url(page_url),
        "inLanguage": site.language,
    }
    if story.summary:
        data["description"] = story.summary
    if image:
        data["image"] = [image]
    if article.section:
        data["articleSection"] = article.section
    if article.tags:
        data["keywords"] = ", ".join(article.tags)
    if story.word_count:
        data["wordCount"] = story.word_count
    if article.original_url:
        data["isBasedOn"] = article.original_url
    if article.publication:
        data["sourceOrganization"] = {"@type": "Organization", "name": article.publication}
    if about:
        data["about"] = about
    if mentions:
        data["mentions"] = mentions
    return data


def entity(abs_url: AbsUrl, e: Any, image: str, page_url: str) -> dict[str, Any]:
    """A person's or country's page: a Person or Country with its identifiers."""
    item: dict[str, Any] = {"@context": SCHEMA, "@type": "Person" if e.kind == "person" else "Country",
                            "name": e.name, "url": abs_url(e.url_path), "mainEntityOfPage": abs_url(page_url)}
    if e.description:
        item["description"] = e.description
    if e.aliases:
        item["alternateName"] = e.aliases
    if e.wikidata:
        item["sameAs"] = [WIKIDATA + e.wikidata]
    if image:
        item["image"] = image
    if e.kind == "person":
        if e.born:
            item["birthDate"] = str(e.born)
        if e.died:
            item["deathDate"] = str(e.died)
    elif e.iso2:
        ids = [{"@type": "PropertyValue", "propertyID": "ISO 3166-1 alpha-2", "value": e.iso2}]
        if e.iso3:
            ids.append({"@type": "PropertyValue", "propertyID": "ISO 3166-1 alpha-3", "value": e.iso3})
        item["identifier"] = ids
    return item


# Bylines that name a team rather than a person ("Foreign Desk", "Reuters Staff").
_GROUP_BYLINE = re.compile(r"\b(?:desk|staff|reporters|correspondents|team|newsroom|editors|bureau|agencies)$", re.I)


def _author_type(name: str) -> str:
    """"Organization" for a byline naming a desk or staff, "Person" otherwise."""
    return "Organization" if _GROUP_BYLINE.search(name.strip()) else "Person"
