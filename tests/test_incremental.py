"""Incremental builds produce exactly what a clean build produces.

Random sequences of edits (add, edit, rename, delete articles and people,
edit a template) are applied to an archive; after each, the incremental
build's output must be byte-identical to a clean build of the same input.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from archivegen.build import BuildOptions, build
from archivegen.cache import Cache, Fingerprinter
from archivegen.output import MARKER
from archivegen.theme import default_theme_dir

PEOPLE = {
    "anna-berg": ("Anna Berg", "Finance minister"),
    "tomas-novak": ("Tomas Novak", "Central bank governor"),
    "lea-fischer": ("Lea Fischer", "Opposition leader"),
}
WORDS = ("budget talks resumed after a long pause while markets waited for news from the capital "
         "and analysts expected further changes to the plan before the summer recess").split()


def person_file(name: str, desc: str) -> str:
    return f"---\nname: {name}\ndescription: {desc}\n---\n{name} is a fictional person for tests.\n"


def article_text(rng: random.Random, n: int) -> str:
    people = rng.sample(list(PEOPLE.values()), k=rng.randint(0, 2))
    countries = rng.sample(["France", "Germany", "Poland", "Japan", "Brazil"], k=rng.randint(0, 2))
    names = [p[0] for p in people] + countries
    body = " ".join(rng.choice(WORDS) for _ in range(40))
    para2 = " ".join(f"{x} said it would help." for x in names) or "No one commented."
    month = rng.randint(1, 12)
    section = rng.choice(["Economy", "Politics", "World"])
    tags = rng.sample(["budget", "banks", "elections", "trade"], k=rng.randint(0, 2))
    return (f"---\ntitle: \"Story {n}: {rng.choice(WORDS)} {rng.choice(WORDS)}\"\n"
            f"date: {rng.choice([2019, 2020, 2021])}-{month:02d}-{rng.randint(1, 28):02d}\n"
            f"section: {section}\ntags: [{', '.join(tags)}]\n---\n{body}.\n\n{para2}\n")


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != MARKER}


def make(root: Path, rng: random.Random, n: int) -> None:
    (root / "content/articles").mkdir(parents=True)
    (root / "content/people").mkdir(parents=True)
    for pid, (name, desc) in list(PEOPLE.items())[:2]:
        (root / f"content/people/{pid}.md").write_text(person_file(name, desc))
    for i in range(n):
        (root / f"content/articles/a{i}.md").write_text(article_text(rng, i))
    (root / "archive.yaml").write_text("title: Test Archive\nbase_url: https://example.org/\n")


def edit(root: Path, rng: random.Random, step: int) -> str:
    arts = sorted((root / "content/articles").glob("*.md"))
    action = rng.choice(["add", "edit", "rename", "delete", "person-add", "person-edit", "person-delete", "template",
                         "page-template", "redirect"])
    if action == "add" or not arts:
        (root / f"content/articles/n{step}.md").write_text(article_text(rng, 1000 + step))
    elif action == "edit":
        p = rng.choice(arts)
        p.write_text(p.read_text().replace("\n---\n", f"\n---\nEdited at step {step}. ", 1))
    elif action == "rename":
        p = rng.choice(arts)
        p.rename(p.with_name(f"r{step}-{p.name}"))
    elif action == "delete" and len(arts) > 2:
        rng.choice(arts).unlink()
    elif action == "person-add":
        pid = rng.choice(list(PEOPLE))
        (root / f"content/people/{pid}.md").write_text(person_file(*PEOPLE[pid]))
    elif action == "person-edit":
        people = sorted((root / "content/people").glob("*.md"))
        if people:
            p = rng.choice(people)
            p.write_text(p.read_text().replace("description: ", f"description: (rev {step}) ", 1))
    elif action == "person-delete":
        people = sorted((root / "content/people").glob("*.md"))
        if people:
            rng.choice(people).unlink()
    elif action == "template":
        t = root / "templates/partials/entity_link.html"
        t.parent.mkdir(parents=True, exist_ok=True)
        t.write_text(f'<a class="entity v{step}" href="{{{{ href }}}}">{{{{ text }}}}</a>\n')
    elif action == "redirect":
        # give an article an old address, move it to another, or drop it
        p = rng.choice(arts)
        text = re.sub(r"redirect_from: .*\n", "", p.read_text())
        if rng.random() < 0.7:
            text = text.replace("---\n", f"---\nredirect_from: [/old/{step}/, /old/page-{step}.html]\n", 1)
        p.write_text(text)
    elif action == "page-template":
        # an override of a page template, of a partial some page templates include, or of
        # the base every page extends: only the pages using it are rendered again
        name = rng.choice(["entity_year.html", "partials/story_list.html", "base.html", "listing.html"])
        t = root / "templates" / name
        t.parent.mkdir(parents=True, exist_ok=True)
        text = t.read_text() if t.exists() else (default_theme_dir() / name).read_text()
        t.write_text(f"<!-- step {step} -->\n" + text if name != "base.html" else
                     text.replace("<footer class=\"site-footer\">", f"<footer class=\"site-footer\" data-step=\"{step}\">", 1))
    return action


@pytest.mark.parametrize("seed,patch", [(1, False), (2, False), (3, False), (4, True), (5, True)])
def test_incremental_equals_clean(tmp_path: Path, seed: int, patch: bool, monkeypatch):
    """patch=True is serve's in-place update: it must end in the same site."""
    import archivegen.build as build_module

    monkeypatch.setattr(build_module, "CHUNK", 4)  # several chunks, so incremental builds use the pool
    monkeypatch.setattr(build_module, "PARALLEL_MIN_PAGES", 0)
    rng = random.Random(seed)
    root = tmp_path / "archive"
    make(root, rng, 12)
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, jobs=1, progress=False))
    for step in range(8):
        action = edit(root, rng, step)
        inc = build(BuildOptions(root=root, out=out, search=False, jobs=2, progress=False, patch=patch))
        clean_out = tmp_path / f"clean{step}"
        clean = build(BuildOptions(root=root, out=clean_out, search=False, jobs=1, clean=True, progress=False))
        assert inc.pages == clean.pages, f"step {step} ({action}): pages counted"
        a, b = snapshot(out), snapshot(clean_out)
        assert sorted(a) == sorted(b), f"step {step} ({action}): different files"
        diff = [k for k in a if a[k] != b[k]]
        assert diff == [], f"step {step} ({action}): {diff[:5]}"
        assert inc.removed >= 0
        shutil.rmtree(clean_out)


def test_one_edit_renders_few_pages(tmp_path: Path):
    rng = random.Random(7)
    root = tmp_path / "archive"
    make(root, rng, 30)
    out = tmp_path / "site"
    first = build(BuildOptions(root=root, out=out, search=False, progress=False))
    again = build(BuildOptions(root=root, out=out, search=False, progress=False))
    assert again.up_to_date and again.written == 0
    p = root / "content/articles/a3.md"
    p.write_text(p.read_text() + "\nOne more sentence.\n")
    inc = build(BuildOptions(root=root, out=out, search=False, progress=False))
    assert inc.rendered_bodies == 1
    assert 0 < inc.rendered_pages < first.rendered_pages / 2
    assert inc.written < first.written / 2


def test_a_template_edit_renders_only_the_pages_that_use_it(tmp_path: Path):
    """Each page's fingerprint carries its template's (with what it includes and extends):
    an edited entity-year template re-renders the entity year pages and nothing else,
    an edited partial the pages whose templates include it, base.html every page; each
    time the site equals a clean build's, carried-over listings included."""
    rng = random.Random(5)
    root = tmp_path / "archive"
    make(root, rng, 30)
    out = tmp_path / "site"
    first = build(BuildOptions(root=root, out=out, search=False, progress=False))

    def pages_of(template_marker: str) -> set[str]:
        return {p.relative_to(out).as_posix() for p in out.rglob("*.html") if template_marker in p.read_text()}

    def override(name: str, edit) -> None:
        t = root / "templates" / name
        t.parent.mkdir(parents=True, exist_ok=True)
        t.write_text(edit(t.read_text() if t.exists() else (default_theme_dir() / name).read_text()))

    def check(label: str, marker: str) -> set[str]:
        inc = build(BuildOptions(root=root, out=out, search=False, progress=False))
        expect = pages_of(marker)
        assert inc.rendered_bodies == 0, label
        assert set(inc.changed) == expect, f"{label}: {sorted(set(inc.changed) ^ expect)[:5]}"
        assert inc.rendered_pages == len(expect), label
        clean_out = tmp_path / f"clean-{label}"
        build(BuildOptions(root=root, out=clean_out, search=False, clean=True, progress=False))
        assert snapshot(out) == snapshot(clean_out), label
        shutil.rmtree(clean_out)
        return expect

    override("entity_year.html", lambda t: t.replace("{% block main %}", "{% block main %}<p>ey-mark</p>", 1))
    year_pages = check("entity_year", "ey-mark")
    assert year_pages and all(p.startswith(("people/", "countries/")) for p in year_pages)
    override("partials/story_list.html", lambda t: "<!-- sl-mark -->\n" + t)
    story_list_pages = check("story_list", "sl-mark")
    assert story_list_pages and not any(p.count("/") == 4 for p in story_list_pages)  # no article page
    override("base.html", lambda t: t.replace("Built with archivegen.", "Built with archivegen (b-mark).", 1))
    every_page = check("base", "b-mark")
    assert len(every_page) == first.pages


def test_unchanged_listings_are_carried_over_unplanned(tmp_path: Path, monkeypatch):
    """An article naming nobody and without tags: no entity's, tag's or other section's
    listing is planned again, and the site still equals a clean build's."""
    import archivegen.pages as pages_module

    rng = random.Random(11)
    root = tmp_path / "archive"
    make(root, rng, 30)
    out = tmp_path / "site"
    first = build(BuildOptions(root=root, out=out, search=False, progress=False))
    planned: list[str] = []
    real = pages_module._dated_listing
    monkeypatch.setattr(pages_module, "_dated_listing", lambda base, *a, **k: planned.append(base) or real(base, *a, **k))
    (root / "content/articles/lone.md").write_text(
        "---\ntitle: Lone\ndate: 2021-12-30\nsection: Economy\n---\nRain all day, forecasters said.\n")
    inc = build(BuildOptions(root=root, out=out, search=False, progress=False))
    # planned: its own section, and listings whose pages did change ("mentioned with" is ranked
    # against the article count); never one whose pages stayed as they were
    listings = [b for b in Cache(root).read("pages.json", "pages")["outs"][str(out.resolve())]["listings"]
                if not b[:4].isdigit()]  # years of the date archive are planned without _dated_listing
    changed = {b for b in listings if any(c.startswith(b) and c.endswith("index.html") for c in inc.changed)}
    assert set(planned) == {"sections/economy/"} | changed
    assert len(planned) <= 3 < len(listings)
    clean_out = tmp_path / "clean"
    clean = build(BuildOptions(root=root, out=clean_out, search=False, clean=True, progress=False))
    assert inc.pages == clean.pages > first.pages
    assert snapshot(out) == snapshot(clean_out)


def test_a_build_into_another_folder_keeps_the_main_sites_record(tmp_path: Path):
    """Page fingerprints are kept per output folder: a preview built elsewhere must not make the
    next build of the main site render every page again."""
    rng = random.Random(13)
    root = tmp_path / "archive"
    make(root, rng, 30)
    out, preview = tmp_path / "site", tmp_path / "preview"
    first = build(BuildOptions(root=root, out=out, search=False, progress=False))
    build(BuildOptions(root=root, out=preview, search=False, progress=False, base_url="https://preview.example/"))
    (root / "content/articles/lone.md").write_text(
        "---\ntitle: Lone\ndate: 2021-12-30\nsection: Economy\n---\nRain all day.\n")
    inc = build(BuildOptions(root=root, out=out, search=False, progress=False))
    assert 0 < inc.rendered_pages < first.rendered_pages / 2
    clean = tmp_path / "clean"
    build(BuildOptions(root=root, out=clean, search=False, clean=True, progress=False))
    assert snapshot(out) == snapshot(clean)
    # a --clean build elsewhere (the check above) leaves the main site's record alone too
    (root / "content/articles/lone2.md").write_text(
        "---\ntitle: Lone again\ndate: 2021-12-31\nsection: Economy\n---\nSun all day.\n")
    inc = build(BuildOptions(root=root, out=out, search=False, progress=False))
    assert 0 < inc.rendered_pages < first.rendered_pages / 2


def test_a_carried_listing_whose_page_went_missing_is_planned_again(tmp_path: Path):
    rng = random.Random(12)
    root = tmp_path / "archive"
    make(root, rng, 12)
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    person = sorted((out / "people").glob("*/index.html"))[0]
    person.unlink()  # by hand, in the published site and in the buffer the next build starts from
    buffer = out.parent / f".{out.name}.staging"
    (buffer / person.relative_to(out)).unlink(missing_ok=True)
    (root / "content/articles/lone.md").write_text(
        "---\ntitle: Lone\ndate: 2021-12-30\nsection: Weather\n---\nRain all day.\n")
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    clean = tmp_path / "clean"
    build(BuildOptions(root=root, out=clean, search=False, clean=True, progress=False))
    assert person.is_file() and snapshot(out) == snapshot(clean)


def test_new_article_leaves_other_years_pages_alone(tmp_path: Path):
    """DESIGN: an old archive page keeps its content when new articles arrive.

    Every page of another year (date archives, section, tag and entity
    listings) must keep its bytes, and so not be rewritten; the pages of the
    new article's own year and the newest pages do change.
    """
    rng = random.Random(11)
    root = tmp_path / "archive"
    make(root, rng, 60)
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    before = snapshot(out)
    (root / "content/articles/late.md").write_text(
        "---\ntitle: Late news\ndate: 2021-12-30\nsection: Politics\ntags: [budget]\n---\n"
        "Anna Berg met officials from France and Germany.\n")
    inc = build(BuildOptions(root=root, out=out, search=False, progress=False))
    after = snapshot(out)
    changed = {k for k in after if before.get(k) != after[k]}
    old_years = [k for k in before if re.search(r"(^|/)20(19|20)/", k)]
    assert any(k.startswith("countries/france/20") for k in old_years)
    assert any(k.startswith("sections/") for k in old_years)
    assert [k for k in old_years if k in changed] == []
    assert {"index.html", "2021/index.html", "2021/12/index.html", "countries/france/index.html"} <= changed
    assert inc.written == len(changed)


def test_new_article_does_not_render_other_years_pages(tmp_path: Path, monkeypatch):
    """Their bytes stay (above), and they are not even rendered: a year page's context holds
    its own stories, not the section's Group or the entity's statistics, which change with
    every article and made each year page of the listing look changed."""
    import archivegen.build as build_module

    rendered: list[str] = []
    real = build_module._render_pages

    def render(indices):
        rendered.extend(build_module._WORK["pages"][i].output for i in indices)
        return real(indices)

    monkeypatch.setattr(build_module, "_render_pages", render)
    rng = random.Random(11)
    root = tmp_path / "archive"
    make(root, rng, 60)
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, jobs=1, progress=False))
    rendered.clear()
    (root / "content/articles/late.md").write_text(
        "---\ntitle: Late news\ndate: 2021-12-30\nsection: Politics\ntags: [budget]\n---\n"
        "Anna Berg met officials from France and Germany.\n")
    build(BuildOptions(root=root, out=out, search=False, jobs=1, progress=False))
    assert "sections/politics/index.html" in rendered and "countries/france/index.html" in rendered
    assert [r for r in rendered if re.search(r"(^|/)20(19|20)/", r)] == []


def test_sections_trading_places_leave_other_pages_alone(tmp_path: Path):
    """The menu lists the largest sections by name, so when one section overtakes another
    the pages that do not show the new article keep their bytes."""
    root = tmp_path / "archive"
    (root / "content/articles").mkdir(parents=True)
    (root / "archive.yaml").write_text("title: T\n")

    def article(name: str, section: str, day: int) -> None:
        (root / f"content/articles/{name}.md").write_text(
            f"---\ntitle: {name}\ndate: 2020-03-{day:02d}\nsection: {section}\n---\nText of {name}.\n")

    for i, section in enumerate(["Sport", "Sport", "Sport", "Arts", "Arts"]):
        article(f"old{i}", section, i + 1)
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    old_page = (out / "2020/03/01/old0/index.html").read_text()
    menu = re.search(r'<nav class="wrap site-nav".*?</nav>', old_page, re.S).group(0)
    assert menu.index(">Arts<") < menu.index(">Sport<")
    for i in range(3):  # Arts now has more articles than Sport
        article(f"new{i}", "Arts", 20 + i)
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    assert (out / "2020/03/01/old0/index.html").read_text() == old_page


def test_person_named_only_in_front_matter_updates_the_article_page(tmp_path: Path):
    """An article page's fingerprint hashes its inputs (``Page.inputs``), not its context: the
    entities of its box must be among them, or a person the text never names (listed in
    front matter only) would keep their old description on the page."""
    root = tmp_path / "archive"
    make(root, random.Random(3), 4)
    (root / "content/articles/fm.md").write_text(
        "---\ntitle: Front matter only\ndate: 2020-05-05\npeople: [anna-berg]\n---\nNo names in this text.\n")
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    page = out / "2020/05/05/front-matter-only/index.html"
    assert "Finance minister" in page.read_text()
    (root / "content/people/anna-berg.md").write_text(person_file("Anna Berg", "Deputy prime minister"))
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    assert "Deputy prime minister" in page.read_text()


def test_a_dataclass_itself_in_a_context_is_hashed_by_its_repr():
    """Anything the fingerprinter does not know falls back to ``repr``; a dataclass's class
    (not an instance of it) was handed to ``asdict``, which raised TypeError."""
    from dataclasses import dataclass

    @dataclass
    class Box:
        n: int = 0

    fp = Fingerprinter("salt", {})
    assert fp.page("x.html", {"kind": Box}) == Fingerprinter("salt", {}).page("x.html", {"kind": Box})
    assert fp.page("x.html", {"kind": Box}) != fp.page("x.html", {"kind": Box(0)})


def test_jobs_do_not_change_output(tmp_path: Path, monkeypatch):
    import archivegen.build as build_module

    monkeypatch.setattr(build_module, "CHUNK", 3)  # small chunks: the pool really runs
    monkeypatch.setattr(build_module, "PARALLEL_MIN_PAGES", 0)
    rng = random.Random(11)
    root = tmp_path / "archive"
    make(root, rng, 30)
    build(BuildOptions(root=root, out=tmp_path / "one", search=False, jobs=1, clean=True, progress=False))
    build(BuildOptions(root=root, out=tmp_path / "two", search=False, jobs=2, clean=True, progress=False))
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


def test_page_workers_render_and_the_parent_writes(tmp_path: Path, monkeypatch):
    """Two processes creating files at once contend in the kernel (build._render_pages):
    every page file is created by the building process, none by a page worker."""
    import os

    import archivegen.build as build_module
    from archivegen.output import Staging

    monkeypatch.setattr(build_module, "CHUNK", 3)
    monkeypatch.setattr(build_module, "PARALLEL_MIN_PAGES", 0)
    log = tmp_path / "creators.log"
    real = Staging._create

    def create(self, dest: str, data: bytes) -> None:
        with open(log, "a") as f:  # appended by whichever process creates the file
            f.write(f"{os.getpid()} {dest}\n")
        real(self, dest, data)

    monkeypatch.setattr(Staging, "_create", create)
    rng = random.Random(12)
    root = tmp_path / "archive"
    make(root, rng, 30)
    build(BuildOptions(root=root, out=tmp_path / "site", search=False, jobs=2, clean=True, progress=False))
    lines = [line.split(" ", 1) for line in log.read_text().splitlines()]
    pages = [dest for _, dest in lines if dest.endswith("index.html")]
    assert len(pages) > 30  # articles, listings and entity pages
    assert {pid for pid, _ in lines} == {str(os.getpid())}


def test_corrupt_cache_entries_are_rebuilt(tmp_path: Path):
    rng = random.Random(5)
    root = tmp_path / "archive"
    make(root, rng, 5)
    build(BuildOptions(root=root, out=tmp_path / "a", search=False, progress=False))
    for entry in (root / ".cache").rglob("*"):
        if entry.is_file():
            data = entry.read_bytes()
            # torn within its first line (body packs and their index too), so no entry survives whole:
            # cut at half the file, an index file holding two keys would keep the first one, rightly
            line = data.find(b"\n")
            entry.write_bytes(data[: (line if line > 0 else len(data)) // 2])
    p = root / "content/articles/a1.md"
    p.write_text(p.read_text() + "\nMore.\n")
    result = build(BuildOptions(root=root, out=tmp_path / "a", search=False, progress=False))
    assert result.rendered_bodies == 5  # nothing trusted
    build(BuildOptions(root=root, out=tmp_path / "b", search=False, clean=True, progress=False))
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_foreign_cache_entry_is_not_trusted(tmp_path: Path):
    """An entry whose checksum is valid but which was stored for another key."""
    from archivegen.cache import Cache

    rng = random.Random(6)
    root = tmp_path / "archive"
    make(root, rng, 3)
    build(BuildOptions(root=root, out=tmp_path / "a", search=False, progress=False))
    lines = [line for f in sorted((root / ".cache/bodies/index").iterdir()) for line in f.read_text().splitlines()]
    assert len(lines) == 3 and len(list((root / ".cache/bodies/packs").iterdir())) == 1  # one pack, one task
    keys = [line.split()[0] for line in lines]
    assert all(Cache(root).get_body(k) is not None for k in keys)
    # point each of two keys at the other's entry: each is sealed, but for the other key
    (a, where_a), (b, where_b) = (line.split(" ", 1) for line in lines[:2])
    for key, where in ((a, where_b), (b, where_a)):
        with open(root / ".cache/bodies/index" / key[:2], "a") as f:
            f.write(f"{key} {where}\n")
    cache = Cache(root)
    assert cache.get_body(a) is None and cache.get_body(b) is None
    assert cache.get_body(keys[2]) is not None


def test_bodies_are_cached_in_a_pack_per_worker_task(tmp_path: Path):
    """A build that renders many bodies writes a pack file per worker task (build.CHUNK
    bodies), not a file per body, and indexes every body; a later build reads them all."""
    from archivegen.build import CHUNK
    from archivegen.cache import Cache

    rng = random.Random(11)
    root = tmp_path / "archive"
    n = 2 * CHUNK + 5
    make(root, rng, n)
    first = build(BuildOptions(root=root, out=tmp_path / "a", search=False, progress=False, jobs=2))
    assert first.rendered_bodies == n
    packs = list((root / ".cache/bodies/packs").iterdir())
    assert len(packs) == 3 and all(p.suffix == ".pack" for p in packs)
    lines = [line for f in (root / ".cache/bodies/index").iterdir() for line in f.read_text().splitlines()]
    assert len(lines) == n and all(Cache(root).get_body(line.split()[0]) is not None for line in lines)
    (root / ".cache/memo.json").unlink()  # every body now comes through the index
    (root / "content/articles/a0.md").write_text(article_text(rng, 5000))
    again = build(BuildOptions(root=root, out=tmp_path / "a", search=False, progress=False))
    assert again.rendered_bodies == 1
    build(BuildOptions(root=root, out=tmp_path / "b", search=False, clean=True, progress=False))
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_body_index_lines_that_are_torn_or_name_a_path_are_skipped():
    from archivegen.cache import _parse_index

    key, other = "a" * 64, "b" * 64
    text = (f"{key} 0123456789abcdef 0 100\n"
            f"{other} ../../../etc/pas 0 10\n"  # a name is hex digits, never a path
            f"{other} 0123456789abcdef 100 -5\n"
            f"{other[:40]}\n"  # torn
            "garbage line\n"
            f"{key} fedcba9876543210 7 20\n")  # the latest line for a key wins
    assert _parse_index(text) == {key: ("fedcba9876543210", 7, 20)}


def test_body_entries_leave_out_the_plain_text_and_older_entries_with_it_still_read(tmp_path: Path):
    import json

    from archivegen.cache import _seal, write_in_place

    rng = random.Random(7)
    root = tmp_path / "archive"
    make(root, rng, 2)
    build(BuildOptions(root=root, out=tmp_path / "a", search=False, progress=False))
    cache = Cache(root)
    index = sorted((root / ".cache/bodies/index").iterdir())[0]
    key, pack, offset, length = index.read_text().split()[:4]
    raw = (root / ".cache/bodies/packs" / f"{pack}.pack").read_bytes()[int(offset):int(offset) + int(length)]
    data = json.loads(raw.split(b"\n", 1)[1])["data"]
    assert "text" not in data and data["html"].startswith("<p>")
    rb, registry = cache.get_body(key)
    assert rb.html == data["html"] and rb.text == ""
    # an entry written with its text (before the ninth session) is still a valid entry
    record = _seal(key, dict(data, text="plain words"))
    write_in_place(root / ".cache/bodies/packs/00000000000000ff.pack", b"padding" + record)
    with open(index, "a") as f:
        f.write(f"{key} 00000000000000ff 7 {len(record)}\n")
    again = Cache(root).get_body(key)
    assert again is not None and again[0].html == data["html"] and again[1] == registry


def test_quick_article_matches_full_build(tmp_path: Path):
    """serve's quick path renders an edited article's page as the full build does."""
    from archivegen.build import quick_article

    rng = random.Random(9)
    root = tmp_path / "archive"
    make(root, rng, 8)
    out = tmp_path / "site"
    result = build(BuildOptions(root=root, out=out, search=False, progress=False, patch=True))
    p = sorted((root / "content/articles").glob("*.md"))[2]
    p.write_text(p.read_text() + "\nA new closing paragraph.\n")
    changed = quick_article(result.state, p)
    assert changed and changed[0].endswith("index.html")
    quick = (out / changed[0]).read_bytes()
    assert b"A new closing paragraph." in quick
    build(BuildOptions(root=root, out=out, search=False, progress=False, patch=True))
    assert (out / changed[0]).read_bytes() == quick
    # a change of URL is left to the full build
    text = p.read_text().replace("date: ", "date: 1999-01-01\nold_date: ", 1)
    p.write_text(text)
    assert quick_article(result.state, p) is None


def test_new_person_relinks_only_articles_that_name_them(tmp_path: Path):
    root = tmp_path / "archive"
    (root / "content/articles").mkdir(parents=True)
    (root / "content/people").mkdir()
    for i in range(6):
        who = "Marta Kowalska" if i < 2 else "the minister"
        (root / f"content/articles/a{i}.md").write_text(
            f"---\ntitle: Story {i}\ndate: 2020-01-0{i + 1}\n---\nToday {who} spoke about the budget.\n")
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    (root / "content/people/marta-kowalska.md").write_text("---\nname: Marta Kowalska\n---\nA test person.\n")
    result = build(BuildOptions(root=root, out=out, search=False, progress=False))
    assert result.rendered_bodies == 2
    assert 'href="/people/marta-kowalska/"' in (out / "2020/01/01/story-0/index.html").read_text()
    build(BuildOptions(root=root, out=tmp_path / "clean", search=False, progress=False, clean=True))
    assert snapshot(out) == snapshot(tmp_path / "clean")


def test_a_biography_edit_that_tells_namesakes_apart_relinks_their_articles(tmp_path: Path):
    root = tmp_path / "archive"
    (root / "content/articles").mkdir(parents=True)
    (root / "content/people").mkdir()
    (root / "content/articles/a.md").write_text(
        "---\ntitle: Moon\ndate: 2020-01-01\n---\nMichael Collins flew Columbia round the Moon for NASA.\n")
    (root / "content/people/michael-collins.md").write_text("---\nname: Michael Collins\n---\nAn astronaut.\n")
    (root / "content/people/michael-collins-2.md").write_text("---\nname: Michael Collins\n---\nA leader.\n")
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    page = out / "2020/01/01/moon/index.html"
    assert "/people/michael-collins/" not in page.read_text()  # two namesakes, nothing tells them apart
    (root / "content/people/michael-collins.md").write_text(
        "---\nname: Michael Collins\n---\nHe flew Columbia round the Moon on Apollo 11.\n")
    result = build(BuildOptions(root=root, out=out, search=False, progress=False))
    assert result.rendered_bodies == 1
    assert 'href="/people/michael-collins/"' in page.read_text()
    build(BuildOptions(root=root, out=tmp_path / "clean", search=False, progress=False, clean=True))
    assert snapshot(out) == snapshot(tmp_path / "clean")


def test_quick_search_reindexes_the_edited_articles_shard(tmp_path: Path):
    """serve: after quick_article, the shard holding the page is re-indexed in place."""
    from archivegen.build import quick_article, quick_search

    rng = random.Random(12)
    root = tmp_path / "archive"
    make(root, rng, 10)
    out = tmp_path / "site"
    result = build(BuildOptions(root=root, out=out, progress=False, patch=True, search_shard_pages=4))
    p = sorted((root / "content/articles").glob("*.md"))[3]
    p.write_text(p.read_text() + "\nZygomorphic orchids were mentioned.\n")
    pages = quick_article(result.state, p)
    assert pages
    shard_dirs = {d.name: (d / "pagefind-entry.json").read_bytes() for d in (out / "pagefind").iterdir() if d.is_dir()}
    shards = quick_search(result.state, pages)
    assert shards and len(shards) == 1
    after = (out / "pagefind" / shards[0] / "pagefind-entry.json").read_bytes()
    assert after != shard_dirs[shards[0]]
    assert not (tmp_path / ".site.quick-search").exists()
    for name, before in shard_dirs.items():  # the other shards are untouched
        if name != shards[0]:
            assert (out / "pagefind" / name / "pagefind-entry.json").read_bytes() == before


def archive_of(tmp_path: Path, bodies: list[str], month: int) -> tuple[Path, Path]:
    """An archive of one article per body (dated 2020-<month>-01, -02 …), built once."""
    root = tmp_path / "archive"
    (root / "content/articles").mkdir(parents=True)
    (root / "content/people").mkdir()
    for i, body in enumerate(bodies):
        (root / f"content/articles/a{i}.md").write_text(
            f"---\ntitle: Story {i}\ndate: 2020-{month:02d}-{i + 1:02d}\n---\n{body}\n")
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    return root, out


def rebuild(root: Path, out: Path) -> int:
    """An incremental build; the number of bodies it rendered."""
    return build(BuildOptions(root=root, out=out, search=False, progress=False)).rendered_bodies


def equals_clean(root: Path, out: Path, tmp_path: Path) -> bool:
    clean = tmp_path / "clean"
    build(BuildOptions(root=root, out=clean, search=False, progress=False, clean=True))
    return snapshot(out) == snapshot(clean)


def test_new_person_relinks_spelling_variants_and_only_whole_words(tmp_path: Path):
    """A registry change re-renders exactly the articles the linker could link
    differently: those naming the changed person in any form it matches (a
    written-out umlaut, another transliteration: "Juergen Moeller", "Massoud
    Barzanni" share no word with "Jürgen Möller" and "Masoud Barzani"), and not
    those where a name word is only part of a longer word ("Ian Ott" in
    "Christian" and "bottle")."""
    root, out = archive_of(tmp_path, ["Juergen Moeller spoke about the budget.",
                                      "Kurdish leader Massoud Barzanni met the delegation.",
                                      "Christian voters left a bottle at the door.",
                                      "Nobody spoke about the budget."], month=1)
    for pid, name in (("jurgen-moller", "Jürgen Möller"), ("masoud-barzani", "Masoud Barzani"), ("ian-ott", "Ian Ott")):
        (root / f"content/people/{pid}.md").write_text(f"---\nname: {name}\n---\nA test person.\n")
    assert rebuild(root, out) == 2
    assert 'href="/people/jurgen-moller/"' in (out / "2020/01/01/story-0/index.html").read_text()
    assert 'href="/people/masoud-barzani/"' in (out / "2020/01/02/story-1/index.html").read_text()
    assert equals_clean(root, out, tmp_path)


def test_registry_change_relinks_by_full_names_front_matter_and_registered_forms(tmp_path: Path):
    """A one-word later reference ("David", "Campbell") counts for nobody until the person
    is named in full or listed in the front matter, so it alone does not relink an article;
    the front matter listing does (renaming Sol Campbell to Sol Bell unlinks "Campbell"), and
    so does a new person's two-word later reference that now hides another person's
    otherwise-spelt full name ("Masoud Barzani" of Masoud Ahmed Barzani, which Massoud
    Barzani's spelling no longer matches). Each step equals a clean build."""
    root = tmp_path / "archive"
    (root / "content/articles").mkdir(parents=True)
    (root / "content/people").mkdir()
    (root / "content/people/massoud-barzani.md").write_text("---\nname: Massoud Barzani\n---\nA test person.\n")
    (root / "content/people/sol-campbell.md").write_text("---\nname: Sol Campbell\n---\nA test person.\n")
    bodies = {"david": ("", "David said the budget was late."),
              "listed": ("people: [sol-campbell]\n", "Campbell scored twice."),
              "spelt": ("", "Kurdish leader Masoud Barzani met the delegation."),
              "full": ("", "David Rubin and Sol Campbell spoke.")}
    for i, (name, (fm, body)) in enumerate(bodies.items()):
        (root / f"content/articles/{name}.md").write_text(
            f"---\ntitle: Story {name}\ndate: 2020-01-0{i + 1}\n{fm}---\n{body}\n")
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    page = {name: out / f"2020/01/0{i + 1}/story-{name}/index.html" for i, name in enumerate(bodies)}
    assert 'href="/people/massoud-barzani/"' in page["spelt"].read_text()
    assert 'href="/people/sol-campbell/">Campbell</a>' in page["listed"].read_text()
    steps = [("david-rubin", "David Rubin", {"full"}),
             ("sol-campbell", "Sol Bell", {"listed", "full"}),
             ("masoud-ahmed-barzani", "Masoud Ahmed Barzani", {"spelt"})]
    for n, (pid, name, relinked) in enumerate(steps):
        (root / f"content/people/{pid}.md").write_text(f"---\nname: {name}\n---\nA test person.\n")
        result = build(BuildOptions(root=root, out=out, search=False, progress=False))
        assert result.rendered_bodies == len(relinked), name
        clean = tmp_path / f"clean{n}"
        build(BuildOptions(root=root, out=clean, search=False, progress=False, clean=True))
        assert snapshot(out) == snapshot(clean), name
    assert ">Campbell</a>" not in page["listed"].read_text()
    assert "/people/massoud-barzani/" not in page["spelt"].read_text()


NAMES = ["Anna Berg", "Lars Berg", "Anna Novak", "Tomáš Novák", "Jürgen Möller", "Massoud Barzani",
         "Masoud Ahmed Barzani", "Sol Campbell", "David Rubin", "Bashar al-Assad"]
SURFACES = ["Anna Berg", "Berg", "Anna", "Lars Berg", "Tomas Novak", "Novak", "NOVAK", "Juergen Moeller",
            "Möller", "Masoud Barzani", "Massoud Barzanni", "Barzani", "Sol Campbell", "Campbell", "also",
            "David", "David Rubin", "Rubin's", "Assad", "President Bashar al-Assad", "Mr Berg",
            "berg", "anna berg", "Sol"]


@pytest.mark.parametrize("seed", [21, 23, 32, 41, 50, 55])  # each catches a missing form kind
def test_random_registry_changes_relink_exactly_what_a_clean_build_does(tmp_path: Path, seed: int):
    """People whose names overlap (shared surnames and given names, accents, written-out
    umlauts, other transliterations) are added, renamed and deleted at random, with articles
    naming them in every form; after each change the incremental site equals a clean build."""
    rng = random.Random(seed)
    root = tmp_path / "archive"
    (root / "content/articles").mkdir(parents=True)
    (root / "content/people").mkdir()

    def pid(name: str) -> str:
        return re.sub(r"[^a-z]+", "-", name.lower()).strip("-")

    present: dict[str, str] = {}
    for name in rng.sample(NAMES, 5):
        present[pid(name)] = name
        (root / f"content/people/{pid(name)}.md").write_text(f"---\nname: {name}\n---\nA test person.\n")
    for i in range(14):
        words = " ".join(f"{rng.choice(SURFACES)} {rng.choice(['said', 'met', 'left', 'spoke'])}."
                         for _ in range(rng.randint(2, 5)))
        listed = [k for k in present if rng.random() < 0.15]
        fm = f"people: [{', '.join(listed)}]\n" if listed else ""
        (root / f"content/articles/a{i}.md").write_text(f"---\ntitle: Story {i}\ndate: 2020-02-{i + 1:02d}\n{fm}---\n{words}\n")
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    listed_anywhere = {k for p in (root / "content/articles").glob("*.md")
                       for k in re.findall(r"people: \[(.*)\]", p.read_text()) for k in k.split(", ")}
    for step in range(8):
        action = rng.choice(["add", "rename", "delete"])
        absent = [n for n in NAMES if pid(n) not in present]
        if action == "add" and absent:
            name = rng.choice(absent)
            present[pid(name)] = name
            (root / f"content/people/{pid(name)}.md").write_text(f"---\nname: {name}\n---\nA test person.\n")
        elif action == "rename" and present:
            key = rng.choice(sorted(present))
            unused = [n for n in NAMES if n not in present.values()]
            if unused:  # a name another person has would be a content error
                present[key] = rng.choice(unused)
                (root / f"content/people/{key}.md").write_text(
                    f"---\nname: {present[key]}\n---\nRenamed at step {step}.\n")
        elif present:
            deletable = sorted(k for k in present if k not in listed_anywhere)
            if deletable:
                key = rng.choice(deletable)
                del present[key]
                (root / f"content/people/{key}.md").unlink()
        inc = build(BuildOptions(root=root, out=out, search=False, progress=False))
        clean = tmp_path / f"clean{step}"
        build(BuildOptions(root=root, out=clean, search=False, progress=False, clean=True))
        a, b = snapshot(out), snapshot(clean)
        assert sorted(a) == sorted(b), f"step {step} ({action})"
        assert [k for k in a if a[k] != b[k]] == [], f"step {step} ({action})"
        assert inc.rendered_bodies <= 14
        shutil.rmtree(clean)


def test_many_registry_changes_later_a_new_person_still_relinks_only_their_articles(tmp_path: Path, monkeypatch):
    """The cache keeps a chain of registry changes (``relink.CHAIN`` versions): bodies
    linked many person files ago are still checked against what changed since, not all
    rendered again; past the chain's end they are (and the site still equals a clean build)."""
    import archivegen.relink as relink

    given = ("Alpha Bravo Charlie Delta Echo Foxtrot Golf Hotel India Juliet Kilo Lima Mike November "
             "Oscar Papa Quebec Romeo Sierra Tango Uniform Victor Xray Yankee Zulu").split()
    root = tmp_path / "archive"
    (root / "content/articles").mkdir(parents=True)
    (root / "content/people").mkdir()
    for i in range(6):
        (root / f"content/articles/a{i}.md").write_text(
            f"---\ntitle: Story {i}\ndate: 2020-03-0{i + 1}\n---\n{given[i]} Quist said the budget was late.\n")
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, progress=False))

    def add(n: int) -> int:
        (root / f"content/people/p{n}.md").write_text(f"---\nname: {given[n]} Quist\n---\nA test person.\n")
        return build(BuildOptions(root=root, out=out, search=False, progress=False)).rendered_bodies

    assert [add(n) for n in range(6, 16)] == [0] * 10  # named nowhere
    assert add(3) == 1
    monkeypatch.setattr(relink, "CHAIN", 3)
    # the memo keeps each body marked as checked against the newest registry: none falls off
    assert [add(n) for n in range(16, 19)] == [0, 0, 0]
    # without the memo, bodies come from the body cache with the registry they were linked
    # with, past the chain's end now: every one is rendered again
    (root / ".cache/memo.json").unlink()
    assert add(19) == 6
    build(BuildOptions(root=root, out=tmp_path / "clean", search=False, progress=False, clean=True))
    assert snapshot(out) == snapshot(tmp_path / "clean")


def test_country_file_relinks_only_articles_naming_its_forms(tmp_path: Path):
    """A country file (a new country, or a demonym added to a built-in one) re-renders the
    articles holding one of its forms, and the site equals a clean build."""
    root, out = archive_of(tmp_path, ["Freedonian troops crossed into Freedonia at dawn.", "Talks in France went on.",
                                      "The minister left for the summit.", "Ruritanian voters went to the polls."],
                           month=4)
    (root / "content/countries").mkdir()
    (root / "content/countries/freedonia.md").write_text(
        "---\nname: Freedonia\ndemonyms: [Freedonian, Freedonians]\n---\nA country of the films.\n")
    assert rebuild(root, out) == 1
    assert 'href="/countries/freedonia/"' in (out / "2020/04/01/story-0/index.html").read_text()
    assert equals_clean(root, out, tmp_path)


def test_entity_named_only_in_capitals_relinks_and_lowercase_words_do_not(tmp_path: Path):
    """Words are compared with their case, as the matcher reads them: a name in an ALL-CAPS
    headline relinks its article, the same words in lower case ("mark", "thompson") do not.
    A country has no spelling keys, so only its forms in capitals find the headline."""
    root, out = archive_of(tmp_path, ["MARK THOMPSON QUITS AS CHAIRMAN\n\nThe chairman left on Monday, officials said.",
                                      "Inspectors mark the thompson family farm as safe.",
                                      "FREEDONIA DECLARES WAR ON ITS NEIGHBOURS\n\nThe government spoke at dawn.",
                                      "Nobody said anything."], month=5)
    (root / "content/people/mark-thompson.md").write_text("---\nname: Mark Thompson\n---\nA test person.\n")
    assert rebuild(root, out) == 1
    assert "/people/mark-thompson/" in (out / "2020/05/01/story-0/index.html").read_text()
    (root / "content/countries").mkdir()
    (root / "content/countries/freedonia.md").write_text("---\nname: Freedonia\n---\nA country of the films.\n")
    assert rebuild(root, out) == 1
    assert "/countries/freedonia/" in (out / "2020/05/03/story-2/index.html").read_text()
    assert equals_clean(root, out, tmp_path)


def test_bodies_checked_after_a_registry_change_are_not_checked_again(tmp_path: Path, monkeypatch):
    """The memo remembers the newest registry each body is known to be linked the same with:
    after a person is added, the next build (a new article) neither checks nor reads the
    bodies the person did not touch."""
    import archivegen.relink as relink

    root, out = archive_of(tmp_path, ["Marta Kowalska spoke.", "The minister spoke.", "Nobody spoke."], month=6)
    (root / "content/people/marta-kowalska.md").write_text("---\nname: Marta Kowalska\n---\nA test person.\n")
    assert rebuild(root, out) == 1
    calls: list[str] = []
    real = relink.RegistryHistory.still_valid
    monkeypatch.setattr(relink.RegistryHistory, "still_valid", lambda self, *a: calls.append(a[0]) or real(self, *a))
    (root / "content/articles/new.md").write_text("---\ntitle: New\ndate: 2020-06-09\n---\nRain.\n")
    assert rebuild(root, out) == 1 and calls == []
    assert equals_clean(root, out, tmp_path)


def test_template_references_match_jinjas_on_the_default_theme():
    """The tag scan finds what Jinja's parser finds, for every template of the theme."""
    import jinja2
    import jinja2.meta

    from archivegen.config import Config
    from archivegen.theme import Theme, referenced_templates

    theme = Theme(Path("/nonexistent-archive"), Config())
    names = [name for name, _ in theme.template_files()]
    assert "base.html" in names and "partials/story_list.html" in names
    for name in names:
        source = theme.env.loader.get_source(theme.env, name)[0]
        assert referenced_templates(source) == set(jinja2.meta.find_referenced_templates(theme.env.parse(source))), name


@pytest.mark.parametrize("text,refs", [
    ('{% extends "base.html" %}{% block main %}{% include "partials/a.html" %}{% endblock %}',
     {"base.html", "partials/a.html"}),
    ("{%- include 'x.html' ignore missing with context -%}", {"x.html"}),
    ('{%include"tight.html"%}', {"tight.html"}),
    ('{% from "macros.html" import a, b with context %}{% import "m.html" as m %}', {"macros.html", "m.html"}),
    ('{% include page_kind ~ ".html" %}', None),  # only rendering knows: depends on every template
    ('{% include ["a.html", "b.html"] %}', None),
    ('{% include "a.html" if wide else "b.html" %}', None),
    ('{% extends layout %}', None),
    ("{# {% include 'old.html' %} #}", {"old.html"}),  # errs towards more, never fewer
    ('{% set included = 1 %}{% includes %}', set()),
])
def test_template_references_from_tags(text: str, refs):
    from archivegen.theme import referenced_templates

    assert referenced_templates(text) == refs


def test_a_template_naming_another_by_a_computed_value_depends_on_every_file(tmp_path: Path):
    from archivegen.config import Config
    from archivegen.theme import Theme

    root = tmp_path / "archive"
    (root / "templates/partials").mkdir(parents=True)
    (root / "templates/listing.html").write_text('{% extends "base.html" %}{% block main %}'
                                                '{% include "partials/" ~ page_kind ~ ".html" %}{% endblock %}')
    before = Theme(root, Config()).template_fingerprints()
    (root / "templates/partials/section.html").write_text("<p>new</p>")
    after = Theme(root, Config()).template_fingerprints()
    assert before["listing.html"] != after["listing.html"]
    assert before["article.html"] == after["article.html"]  # its own closure: base.html and head_meta
    assert before["entity_year.html"] == after["entity_year.html"]


def test_a_cache_copied_to_another_machine_is_used(tmp_path: Path):
    """CI restores .cache/ into a fresh checkout: another path, every file's time new, no
    site. The bodies are taken from the copied cache (keyed by content, not by path or
    time), and the site equals a clean build's."""
    import os

    rng = random.Random(21)
    first_root = tmp_path / "machine-a/archive"
    make(first_root, rng, 20)
    build(BuildOptions(root=first_root, search=False, progress=False))
    root = tmp_path / "machine-b/checkout"
    root.parent.mkdir()
    shutil.copytree(first_root, root, ignore=shutil.ignore_patterns("site", ".site*"))
    later = 2_000_000_000
    for p in root.rglob("*"):
        os.utime(p, (later, later))
    out = root / "site"
    restored = build(BuildOptions(root=root, search=False, progress=False))
    assert restored.rendered_bodies == 0 and restored.pages == restored.rendered_pages > 0
    clean_out = tmp_path / "clean"
    build(BuildOptions(root=root, out=clean_out, search=False, clean=True, progress=False))
    assert snapshot(out) == snapshot(clean_out)
    # and a body the checkout changed is rendered again, the others still come from the cache
    p = sorted((root / "content/articles").glob("*.md"))[0]
    p.write_text(p.read_text() + "\nOne more line.\n")
    assert build(BuildOptions(root=root, search=False, progress=False)).rendered_bodies == 1


def test_other_code_under_the_same_version_renders_everything_again(tmp_path: Path, monkeypatch):
    """Caches are keyed on the package's code, not only its version number."""
    import archivegen
    from archivegen import package_digest

    pkg = tmp_path / "pkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "linker.py").write_text("RULES = 1\n")
    (pkg / "data/countries.yaml").write_text("a: 1\n")
    first = package_digest(pkg)
    (pkg / "linker.py").write_text("RULES = 2\n")
    second = package_digest(pkg)
    (pkg / "data/countries.yaml").write_text("a: 2\n")
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__/linker.pyc").write_bytes(b"\0")
    assert len({first, second, package_digest(pkg)}) == 3
    assert package_digest(pkg) == package_digest(pkg)

    rng = random.Random(8)
    root = tmp_path / "archive"
    make(root, rng, 4)
    opts = dict(root=root, out=tmp_path / "a", search=False, progress=False)
    assert build(BuildOptions(**opts)).rendered_bodies == 4
    assert build(BuildOptions(**opts)).rendered_bodies == 0
    archivegen.code_id.cache_clear()
    monkeypatch.setattr(archivegen, "package_digest", lambda root: "other-code")
    try:
        result = build(BuildOptions(**opts))
    finally:
        archivegen.code_id.cache_clear()  # the real digest is computed again after the patch is undone
    assert result.rendered_bodies == 4
    assert result.rendered_pages > 0
