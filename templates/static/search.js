// The archive's search page: Pagefind's engine over date shards, loaded progressively.
//
// The index is split into shards (see archivegen/search.py): one for the
// people and country pages, then date ranges of articles, newest first, all
// listed in pagefind/archive.json. This script loads the primary shard's
// pagefind.js and merges the others into it with mergeIndex, each tagged with
// a synthetic "shard" filter so it can also be asked alone.
//
// * Best match: the first results come from the entity shard and the newest
//   shards (at least FIRST_PAGES articles: about 200 KB whatever the
//   archive's size); the other shards are merged right after and the ranking
//   is redone over all of them.
// * Newest / oldest first: Pagefind precomputes sort order per index, so a
//   merged sorted search would interleave shards by rank. Instead each shard
//   is searched alone, sorted by date, and shards are walked in date order;
//   they never overlap in time, so the concatenation is globally ordered.
//   The first shards are asked at once and later ones one step ahead of the
//   reader. Entity pages carry no date (a sorted search would drop them), so
//   they are searched by relevance and listed first.
// * A year filter skips the shards whose date range lies outside that year.
//
// What the first screen waits for is kept short (benchmarks/search_bench.py):
// the page head preloads the manifest; the files Pagefind will read for the
// shards the first screen needs are preloaded as soon as the manifest is
// read, in parallel with pagefind.js; Pagefind runs on this thread (its
// worker would be one more script to fetch and start, and could not use the
// page's preloads); those shards are merged at once; fragments load only for
// the results shown, each drawn as it arrives; filter indexes load only when
// a filter is chosen, and the filter menus are filled after the first results.
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
const FIRST_PAGES = 1000; // at least this many articles (the newest shards) make the first screen
const DEBOUNCE = 250;

// the page head preloads it: this request is answered from that preload
const manifestRequest = fetch(bundle + "archive.json").then((r) => {
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return r.json();
});

let manifest = null;
let engineReady = null; // promise of Pagefind's module, set up with the primary shard
const merged = new Map(); // shard name -> promise of its mergeIndex
let generation = 0; // drops results of searches that were overtaken
let view = null; // the current search: {hits, shown, complete, total?, need(), exhausted}
let filtersFilled = false;

root.hidden = false;

// -- the query in the URL and the form -------------------------------------------------
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

function choose(select, value) {
  if (value && ![...select.options].some((o) => o.value === value)) select.add(new Option(value, value));
  select.value = value;
}

function fill(state) {
  input.value = state.q;
  sortSelect.value = ["newest", "oldest"].includes(state.sort) ? state.sort : "";
  for (const s of selects) choose(s, state.filters[s.dataset.filter] || "");
}

// The menus list every value with its article count (a few hundred options):
// filled after the first results, or as soon as the reader reaches the filters.
function populateFilters() {
  if (filtersFilled || !manifest) return;
  filtersFilled = true;
  for (const s of selects) {
    const chosen = s.value;
    const values = (manifest.filters && manifest.filters[s.dataset.filter]) || [];
    s.options.length = 1; // keep "Any …"
    s.append(...values.map(([name, count]) => new Option(`${name} (${count})`, name)));
    choose(s, chosen);
  }
}

// -- the index ------------------------------------------------------------------------
// Pagefind picks a shard's index by the page's language, like this; the manifest
// lists each shard's indexes (pagefind-entry.json), so their files are known up front.
const language = (document.documentElement.getAttribute("lang") || "unknown").toLowerCase();

function indexOf(shard) {
  const indexes = shard.languages || {};
  return indexes[language] || indexes[language.split("-")[0]] ||
    Object.values(indexes).sort((a, b) => b.page_count - a.page_count)[0];
}

// Options shared by the primary shard and the merged ones. metaCacheTag gives
// pagefind-entry.json a fixed URL (Pagefind adds the time otherwise), so it can be preloaded.
function shardOptions(shard) {
  const index = indexOf(shard);
  return {
    baseUrl: base, indexWeight: shard.weight, mergeFilter: { shard: shard.name },
    ...(index ? { metaCacheTag: index.hash } : {}),
  };
}

// Pagefind reads a shard's entry file, then its metadata (and, for the primary, the
// WebAssembly), one after the other and only once the engine is up; asked for here,
// they load in parallel with the engine and Pagefind's own requests use the preloads.
function preloadShards(shards) {
  for (const shard of new Set(shards)) {
    const index = indexOf(shard);
    if (!index) continue;
    const files = [`pagefind-entry.json?ts=${index.hash}`, `pagefind.${index.hash}.pf_meta`];
    if (shard.name === manifest.primary) files.splice(1, 0, `wasm.${index.wasm || "unknown"}.pagefind`);
    for (const file of files) {
      document.head.append(el("link", { rel: "preload", as: "fetch", crossorigin: "", href: bundle + shard.path + file }));
    }
  }
}

const primaryShard = () => manifest.shards.find((s) => s.name === manifest.primary);

function engine() {
  if (!engineReady) {
    const primary = primaryShard();
    engineReady = import(bundle + primary.path + "pagefind.js").then(async (pf) => {
      // Options given before anything else are Pagefind's start options.
      // noWorker: the engine runs on this thread; its worker would be one more
      // script to fetch and start before the first results, and its requests
      // could not use the page's preloads.
      await pf.options({ ...shardOptions(primary), excerptLength: 24, noWorker: true });
      pf.init();
      return pf;
    });
    merged.set(primary.name, engineReady);
  }
  return engineReady;
}

function merge(shard) {
  const ready = engine();
  if (!merged.has(shard.name)) {
    merged.set(shard.name, ready.then((pf) => pf.mergeIndex(bundle + shard.path, shardOptions(shard))));
  }
  return merged.get(shard.name);
}

const entityShards = () => manifest.shards.filter((s) => s.kind === "entities");

// Article shards that can hold results, in the order asked (the manifest lists them newest first).
function articleShards(state) {
  const year = state.filters.year;
  const shards = manifest.shards.filter((s) => s.kind === "articles" &&
    (!year || (s.start.slice(0, 4) <= year && year <= s.end.slice(0, 4))));
  return state.sort === "oldest" ? shards.reverse() : shards;
}

// The leading shards, up to the one that brings FIRST_PAGES articles: what the first screen is made of.
function leading(shards) {
  let pages = 0;
  const n = shards.findIndex((s) => (pages += s.pages) >= FIRST_PAGES);
  return n < 0 ? shards : shards.slice(0, n + 1);
}

// Best match needs words; without them, or when asked, results come by date.
function dateOrder(state) {
  if (state.sort === "newest" || state.sort === "oldest") return state.sort;
  return state.q ? "" : "newest";
}

// The shards the first screen of this search is made of.
function firstShards(state) {
  const sort = dateOrder(state);
  const entities = state.q ? entityShards() : [];
  return [primaryShard(), ...entities, ...leading(articleShards({ ...state, sort }))];
}

// -- shards without the word ---------------------------------------------------------
// Pagefind answers a word that no word of an index begins with by the longest word of that
// index that begins it: "elephant" finds "el", of "El Salvador", and "southern" finds
// "south". A single index does so only for a word no page holds; but each shard answers
// alone, so every shard without the word would answer with its shorter one, and its pages
// come in among the real matches (the entity shard's first, as it weighs more). So once
// every shard is merged, each query word is searched exactly (an exact search never
// answers with another word) and as usual, and the filter counts tell, per shard, which
// shards found pages only the usual way: when some shard holds the word itself, those are
// left out. A word no page holds, or one still being typed ("kerr"), is answered as
// Pagefind answers it.
const queryWords = (q) => (q || "").toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);

// The names of the shards to leave out of this search. Its searches run one after
// another and only with every shard merged: beside a merge still in progress, Pagefind's
// searches can stall.
async function strayShards(pf, state) {
  const stray = new Set();
  for (const word of queryWords(state.q)) {
    const exact = (await pf.search(`"${word}"`, { filters: state.filters })).filters.shard || {};
    if (!Object.values(exact).some((n) => n > 0)) continue;
    const usual = (await pf.search(word, { filters: state.filters })).filters.shard || {};
    for (const [name, n] of Object.entries(usual)) if (n > 0 && !(exact[name] > 0)) stray.add(name);
  }
  return [...stray];
}

// The filters of a search that leaves out `stray` shards.
const leaving = (filters, stray) => (stray.length ? { ...filters, shard: { none: stray } } : filters);

// -- best match: the newest shards first, then all of them --------------------------------
async function relevance(state, gen) {
  const term = state.q || null;
  const articles = articleShards({ ...state, sort: "newest" });
  const first = [...entityShards(), ...leading(articles)];
  await Promise.all(first.map(merge));
  const pf = await engine();
  if (gen !== generation) return;
  const complete = first.length === entityShards().length + articles.length; // nothing left to merge
  const stray = complete ? await strayShards(pf, state) : [];
  let res = await pf.search(term, { filters: leaving(state.filters, stray) });
  if (gen !== generation) return;
  view = { hits: res.results, complete };
  await show(state, gen, PAGE);
  if (gen !== generation) return;
  if (!complete) {
    await Promise.all(articles.map(merge));
    if (gen !== generation) return;
    const strayNow = await strayShards(pf, state);
    res = await pf.search(term, { filters: leaving(state.filters, strayNow) });
    if (gen !== generation) return;
    view = { hits: res.results, complete: true, shown: view.shown };
    await show(state, gen, Math.max(PAGE, view.shown), true);
  }
  await noteMissing(pf, state, gen);
}

// Pagefind leaves out a word no page contains and ranks by the others: "Kerry
// xyzzy" finds what "Kerry" finds. Said in the status line, so a reader does
// not take those results for matches of every word. Asked once every shard is merged.
async function noteMissing(pf, state, gen) {
  const words = [...new Set((state.q || "").replace(/["“”]/g, " ").split(/\s+/).filter(Boolean))];
  if (words.length < 2 || !view) return;
  const found = await Promise.all(words.map((w) => pf.search(w, { filters: state.filters })));
  if (gen !== generation) return;
  const missing = words.filter((w, i) => !found[i].results.length);
  if (missing.length && missing.length < words.length) {
    view.missing = missing;
    announce(state);
  }
}

// -- by date: shard after shard, in date order ------------------------------------------
async function byDate(state, gen) {
  const term = state.q || null;
  const sort = { date: state.sort === "oldest" ? "asc" : "desc" };
  const queue = articleShards(state);
  const pf = await engine();
  // each hit knows its shard, so a shard found to be without a query word can be left out
  let stray = []; // known once every shard is merged (below)
  const ask = (shard, options) => merge(shard).then(async () => {
    if (stray.includes(shard.name)) return { results: [] };
    const r = await pf.search(term, { filters: { ...state.filters, shard: shard.name }, ...options });
    for (const h of r.results) h.shard = shard.name;
    return r;
  });
  // entity pages (by relevance) and the leading shards are asked at once, in list order
  const lead = queue.splice(0, leading(queue).length);
  const pending = [
    ...(term ? entityShards() : []).map((s) => ask(s, {})),
    ...lead.map((s) => ask(s, { sort })),
  ];
  view = {
    hits: [], complete: false,
    get exhausted() { return !pending.length && !queue.length; },
    async need(n) {
      while (this.hits.length < n && !this.exhausted) {
        if (!pending.length) pending.push(ask(queue.shift(), { sort }));
        const r = await pending.shift();
        if (gen !== generation) return;
        this.hits.push(...r.results.filter((h) => !stray.includes(h.shard)));
      }
      if (!pending.length && queue.length) pending.push(ask(queue.shift(), { sort })); // one shard ahead
    },
  };
  await show(state, gen, PAGE);
  if (gen !== generation) return;
  // the total needs every shard: count them in the background
  await Promise.all([...entityShards(), ...articleShards(state)].map(merge));
  if (gen !== generation) return;
  stray = await strayShards(pf, state);
  const all = await pf.search(term, { filters: leaving(state.filters, stray) });
  if (gen !== generation) return;
  view.total = all.results.length;
  if (stray.length) { // the shards still to be read skip them (above); the hits on screen:
    const drawn = view.hits.length;
    view.hits = view.hits.filter((h) => !stray.includes(h.shard));
    if (view.hits.length < drawn) {
      await show(state, gen, Math.max(PAGE, view.shown), true);
      if (gen !== generation) return;
    }
  }
  announce(state);
  await noteMissing(pf, state, gen);
}

// -- rendering ----------------------------------------------------------------------
// made when the page is idle (waiting for the index), not when it loads: it takes
// Chromium about 12 ms
let dateFormat = null;
function dateFormatter() {
  dateFormat ??= new Intl.DateTimeFormat(document.documentElement.lang || "en", {
    year: "numeric", month: "long", day: "numeric", timeZone: "UTC",
  });
  return dateFormat;
}

function formatDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  if (!m) return "";
  return dateFormatter().format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])));
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
  // the date as the pages show it (date_format); Intl for a theme whose article template gives no shown_date
  if (meta.date) info.append(el("time", { datetime: meta.date }, meta.shown_date || formatDate(meta.date)));
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

// Results already on screen stay; the others are drawn in order as their
// fragments arrive, so the first result shows without waiting for the tenth.
// A new ranking (replace) is drawn in one go.
async function show(state, gen, upTo, replace = false) {
  if (view.need) await view.need(upTo);
  if (gen !== generation) return;
  const from = replace ? 0 : Math.min(view.shown || 0, upTo);
  const fragments = view.hits.slice(from, upTo).map((h) => h.data()); // only the results shown
  let fresh = from === 0; // the list still holds an earlier search's results
  const draw = (items) => {
    if (fresh) list.replaceChildren(...items); else list.append(...items);
    fresh = false;
  };
  if (replace) {
    const data = await Promise.all(fragments);
    if (gen !== generation) return;
    draw(data.map(renderHit));
  } else {
    for (const fragment of fragments) {
      const d = await fragment;
      if (gen !== generation) return;
      draw([renderHit(d)]);
    }
    if (fresh) draw([]);
  }
  view.shown = from + fragments.length;
  more.hidden = view.hits.length <= view.shown && (!view.need || view.exhausted);
  announce(state);
  if (from > 0 && list.children[from]) list.children[from].querySelector("a").focus();
  if (!filtersFilled) setTimeout(populateFilters);
}

function describe(state) {
  const parts = [];
  if (state.q) parts.push(`“${state.q}”`);
  for (const [k, v] of Object.entries(state.filters)) parts.push(`${k}: ${v}`);
  return parts.join(", ");
}

const quoted = (words) => words.map((w) => `“${w}”`).join(", ");

function announce(state) {
  if (!view) return;
  const what = describe(state);
  const known = view.complete ? view.hits.length : view.total;
  if (known === 0) {
    statusEl.textContent = `No results for ${what}.`;
  } else if (known !== undefined) {
    statusEl.textContent = `${known} result${known === 1 ? "" : "s"} for ${what}` +
      (view.shown < known ? `, showing ${view.shown}.` : ".") +
      (view.missing ? ` No page contains ${quoted(view.missing)}: ${view.missing.length === 1 ? "it was" : "they were"} left out.` : "");
  } else if (!view.shown) {
    statusEl.textContent = `Searching the archive for ${what}…`;
  } else {
    statusEl.textContent = `Showing ${view.shown} results for ${what}; searching the rest of the archive…`;
  }
}

const baseTitle = document.title;

async function run(state) {
  const gen = ++generation;
  const asked = state.q || Object.keys(state.filters).length;
  document.title = asked ? `${describe(state)} · ${baseTitle}` : baseTitle;
  if (!asked) {
    view = null;
    list.replaceChildren();
    more.hidden = true;
    statusEl.textContent = state.sort ? "Type a word to search, or choose a person, country, section or year." : "";
    return;
  }
  root.setAttribute("aria-busy", "true");
  try {
    const sort = dateOrder(state);
    if (sort) {
      await byDate({ ...state, sort }, gen);
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
// Each search is a history entry, so Back returns to the one before: the first
// keystroke of a new query adds one and the keystrokes after it update it; a
// submit ends the typing (updating its entry); a changed filter or sort adds one.
let timer = null;
let typing = false;
function update(how) {
  clearTimeout(timer);
  const go = () => {
    const state = fromForm();
    const url = toUrl(state);
    if (url !== location.pathname + location.search) {
      if (typing && how !== "filter") history.replaceState(null, "", url);
      else history.pushState(null, "", url);
    }
    typing = how === "type";
    run(state);
  };
  if (how === "type") timer = setTimeout(go, DEBOUNCE); else go();
}

// while the reader types, fetch the index chunks of the words so far
function preload() {
  const term = input.value.trim();
  if (term.length >= 3 && engineReady) engineReady.then((pf) => pf.preload(term, { filters: fromForm().filters })).catch(() => {});
}

form.addEventListener("submit", (e) => { e.preventDefault(); update("submit"); });
input.addEventListener("input", () => { preload(); update("type"); });
form.addEventListener("focusin", populateFilters);
for (const s of [...selects, sortSelect]) s.addEventListener("change", () => update("filter"));
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
window.addEventListener("popstate", () => { typing = false; clearTimeout(timer); const s = params(); fill(s); run(s); });

async function start() {
  const state = params();
  fill(state);
  try {
    manifest = await manifestRequest;
  } catch (err) {
    statusEl.textContent = "This copy of the archive was built without its search index.";
    return;
  }
  engine(); // a page without a query loads the engine too: the reader is about to type
  (window.requestIdleCallback || setTimeout)(dateFormatter);
  if (state.q || Object.keys(state.filters).length) {
    preloadShards(firstShards(state)); // after the engine's own request, which is needed first
    run(state);
  } else {
    run(state); // nothing to search: says what to do when the URL asked for an order alone
    populateFilters();
    input.focus();
  }
}

start();
