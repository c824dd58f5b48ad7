"""Link-preview cards: one 1200×630 PNG per event, and one for the rest of the site.

A link to an event shared in a chat or a post shows its card: the date, the headline, the first
quote with its source and that source's reliability, and the site's name, so the evidence travels
with the link. Pages name their card in their Open Graph and Twitter metadata (templates/base.html).

Drawn with Pillow, chosen over an SVG renderer (CairoSVG, resvg) on these grounds:
- It is one pinned wheel that carries its own FreeType, zlib and libpng: the same pin draws the
  same bytes on every machine. CairoSVG draws through the system's Cairo and Pango (Debian's
  versions, not ours), and finds fonts through fontconfig; resvg's Python bindings are young and
  would still need the text laid out by us, since SVG does not wrap text.
- The card needs wrapping and an ellipsis, which means measuring text: Pillow measures with the
  same font object that draws (`getlength`), so what is measured is what is drawn.
- Text is drawn from a font file we ship (timeline/fonts/, Source Serif 4 under the OFL), never a
  system font, and with Pillow's basic layout engine: the "raqm" engine would use whatever
  FriBiDi and HarfBuzz the machine has, and so could draw other pixels elsewhere.
- It is fast enough with the cache: about 46 ms of CPU a card (see README, "Link previews"),
  and a card is drawn once for what it shows: the preview keeps every card it drew (`Drawn`),
  and a build takes unchanged cards from the site it replaces (`_previous`).

The PNG holds no time, no path and no text chunk: only pixels, so two builds give the same bytes.
Only editors' text is drawn, as pixels: nothing in it is markup or runs anywhere. A file's name is
an event id, which the check restricts to lowercase letters, digits and hyphens.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import PIL
from PIL import Image, ImageDraw, ImageFont

from .dates import display_range
from .model import Event, Site, Source

WIDTH, HEIGHT = 1200, 630  # what Open Graph and Twitter's large card both show uncropped
MARGIN = 72
TEXT_WIDTH = WIDTH - 2 * MARGIN
FONTS = Path(__file__).parent / "fonts"
# Cards are published as cards/<hash of what they show>.png: a card whose text changes gets a new
# address, so the link previews that chat apps and social sites keep by image address show the new
# one, and a rebuild finds an unchanged card in the previous site by its name (`files`).
FOLDER = "cards"

# The site's light colours (site_src/assets/style.css, :root): a card is seen beside other
# people's posts, where the reader's dark mode does not reach.
PAPER = "#fbf9f4"
INK = "#1c1d21"
INK_SOFT = "#4a4d55"
INK_FAINT = "#6b6e76"
RULE = "#dcd7cc"
ACCENT = "#a33a24"
RELIABILITY_INK = {"high": "#1f6f43", "medium": "#7a5a00", "low": "#a3261b"}

ELLIPSIS = "…"
# At most this many characters of a text are laid out: a card shows a few hundred at most, and a
# quote may run to thousands. Text cut here always ends with an ellipsis.
LAID_OUT = 800
# Bump when the drawing changes, so that no card drawn before is reused.
VERSION = "card-2"


@cache
def _fingerprint() -> bytes:
    """What draws a card besides its text: the drawing's version, Pillow's (with the FreeType and
    zlib it carries) and the fonts' bytes. Part of every card's name, so a card drawn by anything
    else is never taken for one drawn by this."""
    digest = hashlib.sha256(f"{VERSION} Pillow {PIL.__version__}".encode())
    for path in sorted(FONTS.glob("*.otf")):
        digest.update(path.read_bytes())
    return digest.digest()


def _name(card: object) -> str:
    digest = hashlib.sha256(_fingerprint() + repr(card).encode("utf-8")).hexdigest()
    return f"{FOLDER}/{digest[:24]}.png"


@cache
def font(face: str, size: int) -> ImageFont.FreeTypeFont:
    """One of the fonts in timeline/fonts/: "Regular", "Semibold" or "Display-Semibold"."""
    name = {"Regular": "SourceSerif4-Regular", "Semibold": "SourceSerif4-Semibold"}.get(
        face, "SourceSerif4Display-Semibold"
    )
    return ImageFont.truetype(str(FONTS / f"{name}.otf"), size, layout_engine=ImageFont.Layout.BASIC)


def fit(text: str, face: ImageFont.FreeTypeFont, width: float) -> str:
    """`text` on one line of `width`: whole if it fits, else cut with an ellipsis."""
    shown = text[:LAID_OUT]
    if len(shown) == len(text) and face.getlength(shown) <= width:
        return text
    return _with_ellipsis(shown, face, width)


def _with_ellipsis(text: str, face: ImageFont.FreeTypeFont, width: float) -> str:
    """The longest start of `text` that fits `width` with an ellipsis after it, cut after a word
    when one ends in the last third of the line (no dangling space or comma before the ellipsis)."""
    keep = _fitting_prefix(text, face, width - face.getlength(ELLIPSIS))
    cut = text[:keep]
    space = cut.rfind(" ")
    if keep < len(text) and space > keep * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:–—-") + ELLIPSIS


def _fitting_prefix(text: str, face: ImageFont.FreeTypeFont, width: float) -> int:
    """How many characters from the start of `text` fit `width` (a binary search: a long word is
    measured a few times, not once per character)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if face.getlength(text[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def wrap(text: str, face: ImageFont.FreeTypeFont, width: float, max_lines: int) -> list[str]:
    """`text` in at most `max_lines` lines of `width`, broken between words (inside a word only
    when it is wider than a line); the last line ends with an ellipsis when the text goes on."""
    cut = len(text) > LAID_OUT
    words = text[:LAID_OUT].split()
    lines: list[str] = []
    line = ""
    overflow = False
    for index, word in enumerate(words):
        candidate = f"{line} {word}" if line else word
        if face.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
            line = ""
        while face.getlength(word) > width and len(lines) < max_lines:
            keep = max(_fitting_prefix(word, face, width), 1)
            lines.append(word[:keep])
            word = word[keep:]
        if len(lines) >= max_lines:
            overflow = bool(word) or index + 1 < len(words)
            break
        line = word
    else:
        if line:
            lines.append(line)
    if len(lines) > max_lines:
        lines, overflow = lines[:max_lines], True
    if (overflow or cut) and lines:
        last = lines[-1]
        lines[-1] = (
            last + ELLIPSIS if face.getlength(last + ELLIPSIS) <= width else _with_ellipsis(last, face, width)
        )
    return lines


@dataclass(frozen=True)
class EventCard:
    """What an event's card shows: each field as a reader sees it on the page."""

    date: str
    title: str
    quote: str
    source: str
    reliability: str
    site: str
    unconfirmed: bool = False

    @classmethod
    def of(cls, event: Event, sources: dict[str, Source], site: Site) -> EventCard:
        first = event.citations[0] if event.citations else None
        source = sources[first.source] if first else None
        return cls(
            date=display_range(event.date, event.end),
            title=event.title,
            quote=first.quote if first else "",
            source=source.name if source else "",
            reliability=source.reliability if source else "",
            site=site.title,
            unconfirmed=event.unconfirmed,
        )

    @property
    def path(self) -> str:
        """Where the card is published: named by the hash of everything drawn, so equal names
        hold equal PNGs."""
        return _name(self)

    @property
    def alt(self) -> str:
        """The card's text, for readers who cannot see it (og:image:alt)."""
        said = (
            f" Quote from {self.source} ({self.reliability} reliability): “{self.quote}”"
            if self.quote
            else ""
        )
        return f"{self.date}: {self.title}.{said}"


@dataclass(frozen=True)
class SiteCard:
    """The card of every page that is not an event's: the site's name and description."""

    title: str
    description: str
    address: str

    @classmethod
    def of(cls, site: Site) -> SiteCard:
        host = site.base_url.split("//", 1)[-1].rstrip("/")
        return cls(site.title, site.description, host)

    @property
    def path(self) -> str:
        return _name(self)

    @property
    def alt(self) -> str:
        return f"{self.title}: {self.description}"


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 12), fill=ACCENT)  # the timeline's spine, laid flat
    return image, draw


def _footer(draw: ImageDraw.ImageDraw, left: str, right: str) -> None:
    draw.line((MARGIN, HEIGHT - 86, WIDTH - MARGIN, HEIGHT - 86), fill=RULE, width=2)
    small = font("Regular", 26)
    right = fit(right, small, TEXT_WIDTH / 2) if right else ""  # the site's address: at most half
    right_width = small.getlength(right) if right else 0
    name = fit(left, font("Semibold", 28), TEXT_WIDTH - right_width - 32)
    draw.text((MARGIN, HEIGHT - 62), name, font=font("Semibold", 28), fill=INK)
    if right:
        draw.text((WIDTH - MARGIN - right_width, HEIGHT - 60), right, font=small, fill=INK_FAINT)


def _png(image: Image.Image) -> bytes:
    """The image as PNG: pixels only (Pillow writes no time or text chunk unless asked)."""
    out = io.BytesIO()
    # A card has few colours (paper, inks, their anti-aliased edges): a 64-colour palette keeps
    # every shade a reader can tell apart at under half the RGB file's size, and is quicker to
    # compress. Fast octree quantizing without dithering is deterministic (the same pixels give
    # the same palette) and ten times quicker than median cut; level 6 compresses as well as 9 in
    # a tenth of the time here.
    palette = image.quantize(64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    palette.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()


def draw_event(card: EventCard) -> bytes:
    image, draw = _canvas()
    y = 52
    label = font("Semibold", 30)
    date = fit(card.date, label, TEXT_WIDTH / 2)
    draw.text((MARGIN, y), date, font=label, fill=ACCENT)
    if card.unconfirmed:
        flag = "  ·  Unconfirmed report"
        draw.text((MARGIN + label.getlength(date), y), flag, font=label, fill=INK_SOFT)
    y += 58
    headline = font("Display-Semibold", 56)
    title_lines = wrap(card.title, headline, TEXT_WIDTH, 3)
    for line in title_lines:
        draw.text((MARGIN, y), line, font=headline, fill=INK)
        y += 64
    if card.quote:
        y += 22
        body = font("Regular", 32)
        quote_lines = wrap(f"“{card.quote}”", body, TEXT_WIDTH - 24, min(4, 6 - len(title_lines)))
        top = y
        for line in quote_lines:
            draw.text((MARGIN + 24, y), line, font=body, fill=INK)
            y += 44
        draw.rectangle((MARGIN, top + 6, MARGIN + 5, y - 6), fill=ACCENT)  # a quote's rule
        y += 10
        reliability = f"{card.reliability.capitalize()} reliability"
        small = font("Regular", 28)
        gap = "  ·  "
        tail = small.getlength(gap + reliability)
        name = fit(f"— {card.source}", small, TEXT_WIDTH - 24 - tail)
        draw.text((MARGIN + 24, y), name, font=small, fill=INK_SOFT)
        x = MARGIN + 24 + small.getlength(name)
        draw.text((x, y), gap, font=small, fill=INK_FAINT)
        ink = RELIABILITY_INK.get(card.reliability, INK_SOFT)
        draw.text((x + small.getlength(gap), y), reliability, font=font("Semibold", 28), fill=ink)
    _footer(draw, card.site, "A sourced timeline")
    return _png(image)


def draw_site(card: SiteCard) -> bytes:
    image, draw = _canvas()
    y = 120
    headline = font("Display-Semibold", 64)
    for line in wrap(card.title, headline, TEXT_WIDTH, 3):
        draw.text((MARGIN, y), line, font=headline, fill=INK)
        y += 76
    y += 24
    body = font("Regular", 34)
    for line in wrap(card.description, body, TEXT_WIDTH, max(1, 7 - (y - 120) // 76 - 2)):
        draw.text((MARGIN, y), line, font=body, fill=INK_SOFT)
        y += 48
    _footer(draw, "Every event quotes its archived source", card.address)
    return _png(image)


class Drawn:
    """Cards already drawn, by name (the hash of what they show): kept by the preview across saves
    (in its `render.Memo`), so a save redraws only the cards whose text changed. Each pass keeps
    only the cards it used, so it never holds more than one site's cards."""

    def __init__(self) -> None:
        self._kept: dict[str, bytes] = {}
        self._used: dict[str, bytes] = {}
        self.drawn = 0  # cards drawn in the last pass; the rest were reused

    def start(self) -> None:
        self._kept, self._used, self.drawn = self._used or self._kept, {}, 0

    def get(self, name: str, draw: Callable[[], bytes], previous: Path | None) -> bytes:
        png = self._used.get(name) or self._kept.get(name) or _previous(previous, name)
        if png is None:
            png = draw()
            self.drawn += 1
        self._used[name] = png
        return png


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _previous(site: Path | None, name: str) -> bytes | None:
    """The card `name` as the previous build of this site published it, if it did: the same name
    holds the same PNG. Read only from a folder the build made (the caller checks its marker),
    never through a link, and only a whole PNG (a build cut short may have left half a file)."""
    if site is None:
        return None
    try:
        handle = os.open(site / FOLDER / name.removeprefix(f"{FOLDER}/"), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as file:
        if (site / FOLDER).is_symlink():
            return None
        png = file.read(4 * 1024 * 1024)
    return png if png.startswith(PNG_SIGNATURE) and png.endswith(PNG_END) else None


def files(
    events: tuple[Event, ...],
    sources: dict[str, Source],
    site: Site,
    drawn: Drawn | None = None,
    previous: Path | None = None,
) -> dict[str, bytes]:
    """Every card of the site, path → PNG: each drawn, or reused from `drawn` (the preview's) or
    from `previous` (the site this build replaces)."""
    drawn = drawn or Drawn()
    drawn.start()
    site_card = SiteCard.of(site)
    cards = {site_card.path: drawn.get(site_card.path, lambda: draw_site(site_card), previous)}
    for event in events:
        card = EventCard.of(event, sources, site)
        cards[card.path] = drawn.get(card.path, lambda c=card: draw_event(c), previous)
    return cards
