"""What a page says about itself to other programs: link previews and structured data.

Each page's <head> (templates/base.html) carries, from a `Share` made here:
- Open Graph metadata (title, description, canonical address, type, site name, card image), which
  chat apps and social sites read to preview a link, and which Twitter (X) reads too, given
  `twitter:card`;
- JSON-LD (schema.org), which search engines and citation tools read: the timeline as a
  `CollectionPage` whose `ItemList` holds the events in the order the index shows them; an event's
  page as an `Article` about an `Event`, citing its sources (our archived copy and the original);
  a source's page as the source document itself (`CreativeWork`), with its publisher, date,
  original address and `archivedAt` our copy. Every address is absolute, from `site.base_url`.

Dates: the data has no date on which an event was first published here, so an `Article` has no
`datePublished`, rather than an invented one (the first entry of its history is the day of its
first correction, when it had already been published: not its publication). It has a
`dateModified`, the day of its latest correction, once it has one. The output depends only on
the data, never on the clock or on git, so two builds give the same bytes.

The JSON is written into a <script type="application/ld+json"> data block by Jinja's `tojson`,
which escapes `<`, `>`, `&` and `'` as \\u003c and the like (and every non-ASCII character, so
U+2028 and U+2029 too): no editor's text can close the element or open a comment in it. A data
block is not run, so the pages' policy (script-src 'self') allows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import cards
from .model import Event, Site, Source
from .site import SiteData

# og:type: an event's and a source's page are articles; the rest are the site's own pages.
ARTICLE = "article"
WEBSITE = "website"


@dataclass(frozen=True)
class Share:
    title: str  # og:title: the page's own title, without the site's name (og:site_name has it)
    url: str | None  # the canonical address; None for 404.html, which is served at any address
    type: str
    image: str
    image_alt: str
    linked_data: dict[str, Any]


def address(site: Site, path: str) -> str:
    """The absolute address of the page at `path`, in the form the sitemap gives it."""
    return site.base_url + path.removesuffix("index.html")


def _publisher(site: Site) -> dict[str, Any]:
    return {
        "@type": "Organization",
        "@id": f"{site.base_url}#publisher",
        "name": site.title,
        "url": site.base_url,
    }


def _document_id(site: Site, source: Source) -> str:
    """The source document's identifier, the same on every page that names it, so a reader of
    the data can tell that two events cite one document."""
    return f"{address(site, f'sources/{source.id}/')}#document"


def source_document(site: Site, source: Source) -> dict[str, Any]:
    """A source as schema.org reads it: its own title, publisher and date; `url` the original
    (when its address is known), `archivedAt` our verbatim copy (and a web archive's, if any)."""
    archived = [address(site, f"sources/{source.id}/")]
    if source.archive_url:
        archived.append(source.archive_url)
    document: dict[str, Any] = {
        "@type": "CreativeWork",
        "@id": _document_id(site, source),
        "name": source.title,
        "datePublished": source.published.iso,
        "archivedAt": archived if len(archived) > 1 else archived[0],
    }
    # An unnamed publisher is written "[in brackets]", a note for readers: to a program it would
    # be a publisher's name, so it is left out.
    if not source.publisher.startswith("["):
        document["publisher"] = {"@type": "Organization", "name": source.publisher}
    if source.url:
        document["url"] = source.url
    return document


def _base(site: Site, kind: str, url: str | None, name: str) -> dict[str, Any]:
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": kind, "name": name, "inLanguage": "en"}
    if url is not None:
        data["@id"] = url
        data["url"] = url
    data["isPartOf"] = {
        "@type": "WebSite",
        "@id": f"{site.base_url}#website",
        "name": site.title,
        "url": site.base_url,
    }
    data["publisher"] = _publisher(site)
    return data


def _site_share(site: Site, kind: str, url: str | None, name: str, og_type: str = WEBSITE) -> Share:
    card = cards.SiteCard.of(site)
    image = site.base_url + card.path
    data = _base(site, kind, url, name)
    data["image"] = image
    return Share(name, url, og_type, image, card.alt, data)


def index(data: SiteData) -> Share:
    """The timeline: its events as an ordered list, in the order the index shows them (each
    chapter's own events, then its background, then its unconfirmed reports)."""
    site = data.timeline.site
    share = _site_share(site, "CollectionPage", address(site, "index.html"), site.title)
    shown = [event for era in data.timeline.eras for group in data.chapters[era.id] for event in group]
    share.linked_data["description"] = site.description
    share.linked_data["mainEntity"] = {
        "@type": "ItemList",
        "itemListOrder": "https://schema.org/ItemListOrderAscending",
        "numberOfItems": len(shown),
        "itemListElement": [
            # Position and address only, as a summary page's list needs (each event's page has
            # the rest): with every title too, the index would grow by a tenth.
            {"@type": "ListItem", "position": position, "url": address(site, f"events/{event.id}/")}
            for position, event in enumerate(shown, start=1)
        ],
    }
    return share


def event(data: SiteData, event: Event) -> Share:
    site = data.timeline.site
    url = address(site, f"events/{event.id}/")
    card = cards.EventCard.of(event, data.sources, site)
    image = site.base_url + card.path
    article = _base(site, "Article", url, event.title)
    about: dict[str, Any] = {"@type": "Event", "name": event.title, "startDate": event.date.iso}
    if event.end:
        about["endDate"] = event.end.iso
    sources = [source for source, _ in data.source_refs(event)]
    article |= {
        "headline": event.title,
        "image": image,
        "mainEntityOfPage": url,
        "about": about,
        # Our copy is what each quote was checked against; the original is named in `citation`.
        "isBasedOn": [address(site, f"sources/{source.id}/") for source in sources],
        "citation": [source_document(site, source) for source in sources],
    }
    if event.last_updated:
        article["dateModified"] = event.last_updated.iso
    if event.unconfirmed:
        article["creativeWorkStatus"] = "Unconfirmed"
    return Share(event.title, url, ARTICLE, image, card.alt, article)


def source(data: SiteData, source: Source, sha256: str) -> Share:
    """A source's page is about the document: the document is the page's main entity, with the
    archived file we publish (its address and SHA-256) as its encoding."""
    site = data.timeline.site
    url = address(site, f"sources/{source.id}/")
    card = cards.SiteCard.of(site)
    document = source_document(site, source) | {
        "@context": "https://schema.org",
        "mainEntityOfPage": url,
        # The document's publisher is its own; the site publishes this description of it.
        "sdPublisher": _publisher(site),
        "encoding": {
            "@type": "MediaObject",
            "contentUrl": url + source.archived_name,
            "encodingFormat": "text/plain",
            "sha256": sha256,
        },
    }
    return Share(source.title, url, ARTICLE, site.base_url + card.path, card.alt, document)


# The other pages: their schema.org type and title, from what their template is given.
_OTHERS = {
    "sources.html": ("CollectionPage", lambda context: "Sources"),
    "terms.html": ("CollectionPage", lambda context: "Topics and actors"),
    "term.html": ("CollectionPage", lambda context: context["term"].label),
    "corrections.html": ("CollectionPage", lambda context: "Corrections"),
    "page.html": ("WebPage", lambda context: context["title"]),
    "withdrawn.html": ("WebPage", lambda context: f"Withdrawn: {context['withdrawal'].title}"),
    "404.html": ("WebPage", lambda context: "Page not found"),
    # The embeds are framed by other sites, not shared; their template shows none of this.
    "embed_event.html": ("WebPage", lambda context: context["event"].title),
    "embed_index.html": ("WebPage", lambda context: "The timeline, to embed"),
}


def page(data: SiteData, path: str, template: str, context: dict[str, Any]) -> Share:
    """The `Share` of the page at `path`, rendered from `template` with `context`."""
    site = data.timeline.site
    if template == "index.html":
        return index(data)
    if template == "event.html":
        return event(data, context["event"])
    if template == "source.html":
        return source(data, context["source"], context["sha256"])
    kind, title = _OTHERS[template]
    # 404.html is served at whatever address was not found: it has no address of its own.
    url = None if template == "404.html" else address(site, path)
    share = _site_share(site, kind, url, title(context))
    if template == "withdrawn.html":
        share.linked_data["creativeWorkStatus"] = "Withdrawn"
    return share
