"""The files of site_src/assets/ the site publishes: an allow-list of kinds, and SVG without script.

An asset is served as it is, by a host that adds none of our headers and whose media type follows
the file's extension. A `help.html` or a `logo.svg` holding a <script> would run on the site's
origin when opened directly, outside the pages' Content Security Policy; a `.htaccess` could
reconfigure an Apache host (serve every archived .txt as HTML). So an asset must be one of the
kinds the pages load, none of which a browser runs as a document: stylesheets and scripts (code,
reviewed as code: the README's "Security"), images and a web font. SVG is the one image that is
a document: it is published only without script, event handlers, foreignObject, declarations
or references outside itself. HTML is never an asset: pages come from templates and site_src/*.md.

A refused asset is refused, not skipped, like a link (files.Refused, exit status 2): a site
quietly missing its stylesheet would be published broken.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from . import files

# What the pages load (.css, .js, .svg) and the images and font a design may add; a browser shows
# each as a resource, never as a page, whatever it holds. Lower case only: a host that maps
# ".SVG" as ".svg" would serve an unchecked SVG.
KINDS = (".css", ".js", ".svg", ".png", ".webp", ".ico", ".woff2")

# No dotfile (.htaccess, .well-known), no space or other character a host or shell reads apart.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

SVG, XHTML, MATHML = (
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/1998/Math/MathML",
)

# Elements that run or embed a document: script (in any namespace: XHTML script runs in SVG),
# foreignObject (HTML inside SVG), and the embedding elements XHTML would bring.
ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"}
# The animation elements that can set an attribute, an href among them, to a script address.
ANIMATIONS = {"set", "animate", "animatemotion", "animatetransform", "animatecolor"}
SCHEME = re.compile(r"(?:javascript|vbscript|data):", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import", re.IGNORECASE)
XML_DECLARATION = re.compile(r"\A\ufeff?<\?xml\s[^<>]*\?>")
# Markup declarations (<!DOCTYPE, <!ENTITY ...) are refused before parsing: an entity can expand
# to anything, and refer outside the file. Comments and CDATA sections are plain XML.
DECLARATION = re.compile(r"<!(?!--|\[CDATA\[)")


def published(folder: Path, name: str) -> Iterator[tuple[str, bytes]]:
    """(path relative to `folder`, content) of every asset; files.Refused for the first file,
    in sorted order, that may not be published."""
    for relative, path in files.files_under(folder, name):
        where = f"{name}/{relative}"
        for part in relative.split("/"):
            if not NAME.fullmatch(part):
                raise files.Refused(
                    f"{where}: an asset's name must start with a letter or digit and hold only letters, "
                    "digits, '.', '_' and '-'; rename or remove it"
                )
        suffix = PurePosixPath(relative).suffix
        if suffix not in KINDS:
            raise files.Refused(
                f"{where}: an asset must be a {', '.join(KINDS[:-1])} or {KINDS[-1]} file "
                "(pages come from templates/ and the Markdown of site_src/); remove it"
            )
        content = path.read_bytes()
        if suffix == ".svg":
            problem = svg_problem(content)
            if problem:
                raise files.Refused(
                    f"{where}: an SVG asset may not contain {problem}; remove it from the file"
                )
        yield relative, content


def svg_problem(content: bytes) -> str | None:
    """What in this SVG could run or fetch anything when it is opened as a page; None if nothing."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return "anything but UTF-8 text"
    rest = XML_DECLARATION.sub("", text, count=1)
    if DECLARATION.search(rest):
        return "a DOCTYPE or ENTITY declaration"
    if "<?" in rest:  # <?xml-stylesheet?> would apply a style sheet or an XSLT transform
        return "a processing instruction (<?...?>)"
    # The declared encoding is ignored: the bytes are read as the UTF-8 they were checked as.
    parser = ElementTree.XMLParser(encoding="utf-8")
    try:
        root = ElementTree.fromstring(content, parser=parser)
    except ElementTree.ParseError as exc:
        return f"malformed XML ({exc})"
    if root.tag != f"{{{SVG}}}svg":
        return "anything but an <svg> root element in the SVG namespace"
    for element in root.iter():
        local = _local(element.tag).lower()
        if element.tag.startswith((f"{{{XHTML}}}", f"{{{MATHML}}}")):  # rendered as a page would be
            return f"an HTML or MathML element (<{_local(element.tag)}>)"
        if local in ELEMENTS:
            return f"a <{_local(element.tag)}> element"
        if local == "style" and element.text and CSS_URL.search(element.text):
            return "a style that loads anything (url(...) outside the file, @import)"
        for attribute, value in element.attrib.items():
            key = _local(attribute).lower()
            if key.startswith("on"):
                return f"an event handler attribute ({_local(attribute)})"
            if key in ("href", "src") and not value.strip().startswith("#"):
                return f"a reference outside the file ({_local(attribute)}={value!r})"
            animated = _local(value).lower()
            if (
                local in ANIMATIONS
                and key == "attributename"
                and (animated in ("href", "src") or animated.startswith("on"))
            ):
                return f"an animation of {value}"
            if SCHEME.search("".join(value.split())):
                return f"a script or data address ({_local(attribute)})"
            if CSS_URL.search(value):
                return f"a style that loads anything ({_local(attribute)} with url(...) outside the file)"
    return None


def _local(name: str) -> str:
    """The name without its namespace: "{http://www.w3.org/2000/svg}script" -> "script"."""
    return name.rpartition("}")[2].rpartition(":")[2]
