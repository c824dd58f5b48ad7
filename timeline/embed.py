"""Embedding an event on another site: the code to paste, its oEmbed description, the card's quote.

The card (embed/events/<id>/) is a page of this site under the same policy as every other; it
runs no script, so a page that frames it gets only what it shows. Its links open in the top
window (target="_top"): the reader leaves the embedding page for ours in the same tab, with Back
to return, no pop-up for a blocker to stop, and nothing of the embedding page handed to ours
(the pages send no referrer).
"""

from __future__ import annotations

import json

from markupsafe import escape

from .model import Event, Site

# The card's size in the code to paste: it fits the longest headline and the shortened quote at
# 280 px wide (tests/test_embed.py checks nothing is cut off at that width).
WIDTH, HEIGHT = 480, 480
QUOTE_CHARACTERS = 200  # the card shows at most this much of the first quote, ending in "…"


def card_quote(quote: str) -> str:
    """The quote as the card shows it: whole when short, else cut at a word and marked with an
    ellipsis, as the site writes an elision."""
    if len(quote) <= QUOTE_CHARACTERS:
        return quote
    cut = quote[:QUOTE_CHARACTERS].rsplit(" ", 1)[0].rstrip(" ,;:.…")
    return f"{cut} …"


def event_url(site: Site, event: Event) -> str:
    return f"{site.base_url}events/{event.id}/"


def card_url(site: Site, event: Event) -> str:
    return f"{site.base_url}embed/events/{event.id}/"


def code(site: Site, event: Event) -> str:
    """The HTML to paste: the card in an iframe with a title, then a plain link to the event, which
    is what remains where a site strips iframes. Every value escaped for an attribute or text."""
    title = f"{event.title} — {site.title}"
    return (
        f'<iframe src="{escape(card_url(site, event))}" title="{escape(title)}" '
        f'width="{WIDTH}" height="{HEIGHT}" loading="lazy" referrerpolicy="no-referrer"></iframe>\n'
        f'<p><a href="{escape(event_url(site, event))}">{escape(event.title)}</a> — {escape(site.title)}</p>'
    )


def oembed(site: Site, event: Event) -> str:
    """The event's oEmbed description (https://oembed.com/, type "rich"): the same code to paste.
    JSON-encoded, with <, > and & as \\u escapes, so the file stays inert even if a host served
    it as a page."""
    document = {
        "version": "1.0",
        "type": "rich",
        "title": event.title,
        "provider_name": site.title,
        "provider_url": site.base_url,
        "html": code(site, event),
        "width": WIDTH,
        "height": HEIGHT,
    }
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"
