// Conveniences on top of pages that work without JavaScript: search (Pagefind)
// on every page, and filters on the timeline. No framework, no dependency.

const root = new URL("../", import.meta.url);

// ---- Search: the field appears only when the Pagefind index loads ----------

async function startSearch() {
  const box = document.querySelector("[data-search]");
  if (!box) return;
  // A look at the index's entry file decides whether to offer search; the
  // search code and index load only when the reader starts typing.
  try {
    const entry = await fetch(new URL("pagefind/pagefind-entry.json", root), { method: "HEAD" });
    if (!entry.ok) return;
  } catch {
    return; // no index (or opened from disk): the links to topics and actors stay
  }
  let loading;
  const load = () => (loading ??= import(new URL("pagefind/pagefind.js", root).href).then(async (pagefind) => {
    await pagefind.options({ baseUrl: root.pathname });
    return pagefind;
  }));
  const input = box.querySelector("input");
  const panel = box.querySelector("[data-search-results]");
  const status = box.querySelector("[data-search-status]");
  box.hidden = false;
  document.querySelector("[data-search-fallback]")?.setAttribute("hidden", "");

  let latest = 0;
  const close = () => { panel.hidden = true; };
  const links = () => [...panel.querySelectorAll("a")];

  input.addEventListener("input", async () => {
    const query = input.value.trim();
    const ticket = ++latest;
    if (!query) { close(); status.textContent = ""; return; }
    const pagefind = await load();
    const search = await pagefind.debouncedSearch(query, {}, 150);
    if (search === null || ticket !== latest) return;
    const results = await Promise.all(search.results.slice(0, 8).map((r) => r.data()));
    if (ticket !== latest) return;
    panel.replaceChildren(...results.map(resultItem));
    if (!results.length) {
      const empty = document.createElement("li");
      empty.className = "search-empty";
      empty.textContent = `Nothing found for “${query}”.`;
      panel.replaceChildren(empty);
    }
    panel.hidden = false;
    const shown = Math.min(search.results.length, 8);
    status.textContent = `${search.results.length} result${search.results.length === 1 ? "" : "s"}` +
      (search.results.length > shown ? `, showing the first ${shown}` : "");
  });

  box.addEventListener("keydown", (event) => {
    const items = links();
    const at = items.indexOf(document.activeElement);
    if (event.key === "Escape") {
      close();
      input.focus();
    } else if (event.key === "ArrowDown" && items.length) {
      event.preventDefault();
      items[Math.min(at + 1, items.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at === 0 ? input : items[at - 1]).focus();
    }
  });
  document.addEventListener("click", (event) => { if (!box.contains(event.target)) close(); });
  // Focus leaving the box (Tab or Shift+Tab past its ends, or a click elsewhere) closes the
  // panel, so it never covers the page the reader moved on to. A click on a result's excerpt
  // focuses the panel itself (tabIndex -1), which stays inside the box.
  panel.tabIndex = -1;
  box.addEventListener("focusout", (event) => { if (!box.contains(event.relatedTarget)) close(); });
  // Focus alone never reopens the panel: Escape moves focus back to the field and must leave it
  // closed. Typing (above) or a click in the field brings it back.
  input.addEventListener("focus", () => { load(); });
  input.addEventListener("click", () => {
    if (panel.childElementCount && input.value.trim()) panel.hidden = false;
  });
}

function resultItem(result) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = result.url;
  if (result.meta.date) {
    const date = document.createElement("span");
    date.className = "search-date";
    date.textContent = result.meta.date;
    link.append(date, " ");
  }
  const title = document.createElement("span");
  title.className = "search-title";
  title.textContent = result.meta.title || result.url;
  link.append(title);
  const excerpt = document.createElement("p");
  excerpt.className = "search-excerpt";
  excerpt.append(...markedText(result.excerpt));
  item.append(link, excerpt);
  return item;
}

// Pagefind's excerpt is text with <mark>s: rebuilt node by node, never as HTML.
function markedText(html) {
  const parsed = new DOMParser().parseFromString(html, "text/html").body;
  return [...parsed.childNodes].map((node) => {
    if (node.nodeName !== "MARK") return document.createTextNode(node.textContent);
    const mark = document.createElement("mark");
    mark.textContent = node.textContent;
    return mark;
  });
}

// ---- Filters: chips narrow the timeline in place; the URL keeps the state ----

const KINDS = { topic: "topics", actor: "actors", era: "era" };

function startFilters() {
  const panel = document.querySelector("[data-filters]");
  if (!panel) return;
  const events = [...document.querySelectorAll(".event-list > li")].filter((li) => li.querySelector("article[data-era]"));
  const status = panel.querySelector("[data-filter-status]");
  const showAll = panel.querySelector("[data-show-all]");
  const chips = [...panel.querySelectorAll("a[data-filter]")].map((link) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = link.className;
    button.dataset.filter = link.dataset.filter;
    button.dataset.value = link.dataset.value;
    button.textContent = link.textContent;
    button.setAttribute("aria-pressed", "false");
    link.replaceWith(button);
    return button;
  });
  panel.classList.add("is-interactive");

  const selected = () => {
    const state = { topic: new Set(), actor: new Set(), era: new Set() };
    for (const chip of chips) if (chip.getAttribute("aria-pressed") === "true") state[chip.dataset.filter].add(chip.dataset.value);
    return state;
  };

  // An element matches when, for each kind with a chip pressed, it has one of the pressed values.
  const matches = (state, data) => Object.entries(state).every(([kind, values]) => {
    if (!values.size) return true;
    const own = (data[KINDS[kind]] || "").split(" ");
    return own.some((value) => values.has(value));
  });

  const apply = (announce) => {
    const state = selected();
    let shown = 0;
    for (const li of events) {
      const match = matches(state, li.querySelector("article").dataset);
      li.hidden = !match;
      if (match) shown += 1;
    }
    const active = chips.filter((c) => c.getAttribute("aria-pressed") === "true");
    for (const group of document.querySelectorAll(".era, .fold")) {
      group.hidden = !group.querySelector(".event-list > li:not([hidden])");
      // A match inside a folded group (background, unconfirmed) is shown, not left behind a click.
      if (active.length && group.matches(".fold") && !group.hidden) group.open = true;
    }
    for (const count of document.querySelectorAll("[data-chapter-count]")) {
      const total = Number(count.dataset.total);
      const visible = events.filter((li) => !li.hidden && li.querySelector("article").dataset.era === count.dataset.chapterCount).length;
      const noun = total === 1 ? "event" : "events";
      count.textContent = active.length ? `${visible} of ${total} ${noun}` : `${total} ${noun}`;
    }
    showAll.hidden = !active.length;
    updateOverview(active.length ? (data) => matches(state, data) : null);
    if (announce) {
      status.textContent = active.length
        ? `Showing ${shown} of ${events.length} events: ${active.map((c) => c.textContent).join(", ")}.`
        : `Showing all ${events.length} events.`;
    }
    const params = new URLSearchParams();
    for (const chip of active) params.append(chip.dataset.filter, chip.dataset.value);
    const query = params.toString();
    history.replaceState(null, "", query ? `?${query}${location.hash}` : location.pathname + location.hash);
  };

  for (const chip of chips) {
    chip.addEventListener("click", () => {
      chip.setAttribute("aria-pressed", chip.getAttribute("aria-pressed") === "true" ? "false" : "true");
      apply(true);
    });
  }
  showAll.addEventListener("click", () => {
    for (const chip of chips) chip.setAttribute("aria-pressed", "false");
    apply(true);
  });

  const params = new URLSearchParams(location.search);
  for (const chip of chips) {
    if (params.getAll(chip.dataset.filter).includes(chip.dataset.value)) chip.setAttribute("aria-pressed", "true");
  }
  apply(params.size > 0);
}

// ---- The overview follows the filters ----------------------------------------

// `match` is null when no filter is on: the picture as built. Otherwise the marks and key labels
// of the events it rejects fade, and each chapter's count reads "3 of 20 events", counted from
// the event cards (the picture does not draw every background event).
function updateOverview(match) {
  const chart = document.querySelector(".overview-chart");
  if (!chart) return;
  for (const mark of chart.querySelectorAll("[data-event]")) {
    mark.classList.toggle("is-filtered-out", match !== null && !match(mark.dataset));
  }
  for (const row of chart.querySelectorAll(".overview-row[data-era]")) {
    const count = row.querySelector("[data-overview-count]");
    if (!count) continue;
    const total = Number(count.dataset.total);
    const word = total === 1 ? "event" : "events";
    if (match === null) {
      count.textContent = `${total} ${word}`;
      continue;
    }
    const cards = [...document.querySelectorAll(".event-list > li > article[data-era]")]
      .filter((article) => article.dataset.era === row.dataset.era);
    const shown = cards.filter((article) => match(article.dataset)).length;
    count.textContent = `${shown} of ${total} ${word}`;
  }
}

// ---- Old addresses: index.html#<id> from before chapters and events had prefixes ----

// Chapters and events took their ids bare, in the page's own id space, until an event named
// like a chapter or like a part of the page captured its links. Published links of that
// scheme land here: sent on to the element the old page would have shown, the first in the
// page of the chapter and the event of that id. (A second, bare anchor would work without
// JavaScript, but would bring the collisions back.)
function followOldAddress() {
  if (!document.body.classList.contains("page-index")) return;
  let id;
  try {
    id = decodeURIComponent(location.hash.slice(1));
  } catch {
    return; // not an address this site made
  }
  if (!id || document.getElementById(id)) return;
  const target = document.querySelector(`[id="chapter-${CSS.escape(id)}"], [id="event-${CSS.escape(id)}"]`);
  if (target) location.replace(`#${encodeURIComponent(target.id)}`);
}

// ---- Copy buttons: citations, embed code, quote addresses ----

// Each button (hidden until this runs) copies the text of the element its data-copy names; a
// live region says whether it worked. Without JavaScript the text stays selectable on the page.
function startCopyButtons() {
  const status = document.querySelector("[data-copy-status]");
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    if (!source) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const text = source.textContent.trim();
      let copied = false;
      try {
        await navigator.clipboard.writeText(text);
        copied = true;
      } catch {
        copied = copyBySelection(source);
      }
      if (status) {
        // Emptied first, so the same message twice is announced twice.
        status.textContent = "";
        window.setTimeout(() => {
          status.textContent = copied ? "Copied." : "Could not copy: select the text and copy it.";
        }, 50);
      }
    });
  }
}

// Where the Clipboard API is refused (a page opened from disk, an older browser).
function copyBySelection(element) {
  const selection = window.getSelection();
  const range = document.createRange();
  range.selectNodeContents(element);
  selection.removeAllRanges();
  selection.addRange(range);
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

// An address ending in #cite or #embed opens that fold (a link to a closed <details> would
// scroll to it and show nothing).
function openLinkedFold() {
  const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
  if (target instanceof HTMLDetailsElement) target.open = true;
}

startFilters();
startSearch();
followOldAddress();
startCopyButtons();
openLinkedFold();
window.addEventListener("hashchange", openLinkedFold);
