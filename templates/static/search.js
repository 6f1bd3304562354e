// The archive's search page: Pagefind's engine over date shards, loaded progressively.
//
// The index is split into shards (see archivegen/search.py): one for the
// people and country pages, then date ranges of articles, newest first, all
// listed in pagefind/archive.json. This script loads the primary shard's
// pagefind.js and merges the others into it with mergeIndex, each tagged with
// a synthetic "shard" filter so it can also be asked alone.
//
// * Best match: the first results come from the entity shard and the newest
//   shards (a few hundred KB at most, whatever the archive's size); the other
//   shards are merged right after and the ranking is redone over all of them.
// * Newest / oldest first: Pagefind precomputes sort order per index, so a
//   merged sorted search would interleave shards by rank. Instead each shard
//   is searched alone, sorted by date, and shards are walked in date order;
//   they never overlap in time, so the concatenation is globally ordered, and
//   only as many shards load as the results shown need. Entity pages carry no
//   date (a sorted search would drop them), so they are searched by relevance
//   and listed first.
//
// The query and filters live in the URL (?q=Lavrov&person=Sergei+Lavrov),
// so searches can be linked and bookmarked; typing updates it.

const root = document.getElementById("search");
const bundle = root.dataset.bundle;
const base = root.dataset.base;
const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const sortSelect = document.getElementById("search-sort");
const selects = [...form.querySelectorAll("select[data-filter]")];
const statusEl = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");

const PAGE = 10; // results shown per step
const FIRST_SHARDS = 2; // article shards searched before the first results appear
const DEBOUNCE = 250;

let manifest = null;
let pagefind = null;
const merged = new Map(); // shard name -> promise of its mergeIndex
let generation = 0; // drops results of searches that were overtaken
let view = null; // the current search: {hits, next(), total, shown}

root.hidden = false;

function params() {
  const p = new URLSearchParams(location.search);
  const filters = {};
  for (const s of selects) {
    const v = p.get(s.dataset.filter);
    if (v) filters[s.dataset.filter] = v;
  }
  return { q: (p.get("q") || "").trim(), filters, sort: p.get("sort") || "" };
}

function fromForm() {
  const filters = {};
  for (const s of selects) if (s.value) filters[s.dataset.filter] = s.value;
  return { q: input.value.trim(), filters, sort: sortSelect.value };
}

function toUrl(state) {
  const p = new URLSearchParams();
  if (state.q) p.set("q", state.q);
  for (const [k, v] of Object.entries(state.filters)) p.set(k, v);
  if (state.sort) p.set("sort", state.sort);
  const qs = p.toString();
  return location.pathname + (qs ? "?" + qs : "");
}

function fill(state) {
  input.value = state.q;
  sortSelect.value = ["newest", "oldest"].includes(state.sort) ? state.sort : "";
  for (const s of selects) {
    const v = state.filters[s.dataset.filter] || "";
    if (v && ![...s.options].some((o) => o.value === v)) s.add(new Option(v, v));
    s.value = v;
  }
}

function populateFilters() {
  for (const s of selects) {
    const values = (manifest.filters && manifest.filters[s.dataset.filter]) || [];
    const frag = document.createDocumentFragment();
    for (const [name, count] of values) frag.append(new Option(`${name} (${count})`, name));
    s.append(frag);
  }
}

async function engine() {
  if (pagefind) return pagefind;
  const primary = manifest.shards.find((s) => s.name === manifest.primary);
  const pf = await import(bundle + primary.path + "pagefind.js");
  await pf.options({ baseUrl: base, excerptLength: 24, indexWeight: primary.weight, mergeFilter: { shard: primary.name } });
  merged.set(primary.name, Promise.resolve());
  pagefind = pf;
  return pf;
}

function merge(shard) {
  if (!merged.has(shard.name)) {
    merged.set(shard.name, pagefind.mergeIndex(bundle + shard.path, {
      baseUrl: base, indexWeight: shard.weight, mergeFilter: { shard: shard.name },
    }));
  }
  return merged.get(shard.name);
}

const articleShards = (order) => {
  const shards = manifest.shards.filter((s) => s.kind === "articles"); // newest first
  return order === "oldest" ? shards.reverse() : shards;
};
const entityShards = () => manifest.shards.filter((s) => s.kind === "entities");

function withShard(filters, name) {
  return { ...filters, shard: name };
}

// -- best match: progressive over shards ------------------------------------------
async function relevance(state, gen) {
  const pf = await engine();
  const first = [...entityShards(), ...articleShards("newest").slice(0, FIRST_SHARDS)];
  await Promise.all(first.map(merge));
  const term = state.q || null;
  let res = await pf.search(term, { filters: state.filters });
  if (gen !== generation) return;
  const all = manifest.shards.every((s) => merged.has(s.name));
  view = { hits: res.results, done: true, complete: all };
  await show(state, gen, PAGE);
  if (all) return;
  await Promise.all(manifest.shards.map(merge));
  if (gen !== generation) return;
  res = await pf.search(term, { filters: state.filters });
  if (gen !== generation) return;
  const shown = Math.max(PAGE, view.shown);
  view = { hits: res.results, done: true, complete: true };
  await show(state, gen, shown, true);
}

// -- by date: shard after shard, in date order ------------------------------------
async function byDate(state, gen) {
  const pf = await engine();
  const direction = state.sort === "oldest" ? "asc" : "desc";
  const queue = articleShards(state.sort);
  const term = state.q || null;
  const hits = [];
  if (term) {
    for (const s of entityShards()) {
      await merge(s);
      const r = await pf.search(term, { filters: withShard(state.filters, s.name) });
      hits.push(...r.results);
    }
  }
  view = {
    hits, done: queue.length === 0, complete: false,
    async need(n) {
      while (this.hits.length < n && queue.length) {
        const s = queue.shift();
        await merge(s);
        const r = await pf.search(term, { filters: withShard(state.filters, s.name), sort: { date: direction } });
        if (gen !== generation) return;
        this.hits.push(...r.results);
      }
      this.done = queue.length === 0;
    },
  };
  await view.need(PAGE);
  if (gen !== generation) return;
  await show(state, gen, PAGE);
  // the total needs every shard: count them in the background
  await Promise.all(manifest.shards.map(merge));
  if (gen !== generation) return;
  const all = await pf.search(term, { filters: state.filters });
  if (gen !== generation) return;
  view.total = all.results.length;
  announce(state);
}

// -- rendering ----------------------------------------------------------------------
const dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || "en", {
  year: "numeric", month: "long", day: "numeric", timeZone: "UTC",
});

function formatDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  if (!m) return "";
  return dateFormat.format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])));
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function renderHit(d) {
  const meta = d.meta || {};
  const link = el("a", { href: d.url }, meta.title || d.url);
  const info = el("p", { class: "search-hit-meta" });
  if (meta.kind) info.append(el("span", { class: "search-hit-kind" }, meta.kind));
  if (meta.date) info.append(el("time", { datetime: meta.date }, formatDate(meta.date)));
  if (meta.section) info.append(el("span", { class: "search-hit-section" }, meta.section));
  const excerpt = el("p", { class: "search-hit-excerpt" });
  excerpt.innerHTML = d.excerpt || ""; // Pagefind escapes the page text; only <mark> is markup
  const body = el("div", { class: "search-hit-body" }, el("h2", { class: "search-hit-title" }, link), info, excerpt);
  const item = el("li", { class: "search-hit" });
  if (meta.image) {
    item.append(el("img", { class: "search-hit-image", src: meta.image, alt: "", loading: "lazy" }));
  }
  item.append(body);
  return item;
}

async function show(state, gen, upTo, replace = false) {
  if (view.need) await view.need(upTo);
  if (gen !== generation) return;
  const slice = view.hits.slice(0, upTo);
  const data = await Promise.all(slice.map((h) => h.data()));
  if (gen !== generation) return;
  const items = data.map(renderHit);
  const focusIndex = replace ? -1 : (view.shown || 0);
  list.replaceChildren(...items);
  view.shown = items.length;
  more.hidden = view.hits.length <= view.shown && (view.done !== false);
  announce(state);
  if (focusIndex > 0 && items[focusIndex]) items[focusIndex].querySelector("a").focus();
}

function describe(state) {
  const parts = [];
  if (state.q) parts.push(`“${state.q}”`);
  for (const [k, v] of Object.entries(state.filters)) parts.push(`${k}: ${v}`);
  return parts.join(", ");
}

function announce(state) {
  if (!view) return;
  const what = describe(state);
  const known = view.complete ? view.hits.length : view.total;
  if (known === 0 || (view.shown === 0 && view.done)) {
    statusEl.textContent = `No results for ${what}.`;
  } else if (known !== undefined) {
    statusEl.textContent = `${known} result${known === 1 ? "" : "s"} for ${what}` +
      (view.shown < known ? `, showing ${view.shown}.` : ".");
  } else {
    statusEl.textContent = `Showing ${view.shown} results for ${what}; searching the rest of the archive…`;
  }
}

async function run(state) {
  const gen = ++generation;
  if (!state.q && !Object.keys(state.filters).length) {
    view = null;
    list.replaceChildren();
    more.hidden = true;
    statusEl.textContent = "";
    return;
  }
  root.setAttribute("aria-busy", "true");
  try {
    if (state.sort === "newest" || state.sort === "oldest" || (!state.q && state.sort === "")) {
      // with no words there is nothing to rank: list the matching articles newest first
      await byDate(state.sort ? state : { ...state, sort: "newest" }, gen);
    } else {
      await relevance(state, gen);
    }
  } catch (err) {
    if (gen === generation) statusEl.textContent = "Search failed to load. Please try again.";
    console.error(err);
  } finally {
    if (gen === generation) root.removeAttribute("aria-busy");
  }
}

// -- wiring ---------------------------------------------------------------------------
let timer = null;
function update(immediate) {
  clearTimeout(timer);
  const go = () => {
    const state = fromForm();
    const url = toUrl(state);
    if (url !== location.pathname + location.search) history.replaceState(null, "", url);
    run(state);
  };
  if (immediate) go(); else timer = setTimeout(go, DEBOUNCE);
}

form.addEventListener("submit", (e) => { e.preventDefault(); update(true); });
input.addEventListener("input", () => update(false));
for (const s of [...selects, sortSelect]) s.addEventListener("change", () => update(true));
more.addEventListener("click", async () => {
  if (!view) return;
  const gen = generation;
  more.disabled = true;
  root.setAttribute("aria-busy", "true");
  try {
    await show(fromForm(), gen, view.shown + PAGE);
  } finally {
    more.disabled = false;
    if (gen === generation) root.removeAttribute("aria-busy");
  }
});
window.addEventListener("popstate", () => { const s = params(); fill(s); run(s); });

async function start() {
  const state = params();
  fill(state);
  try {
    const r = await fetch(bundle + "archive.json");
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    manifest = await r.json();
  } catch (err) {
    statusEl.textContent = "This copy of the archive was built without its search index.";
    return;
  }
  populateFilters();
  fill(state);
  if (!state.q) input.focus();
  run(state);
}

start();
