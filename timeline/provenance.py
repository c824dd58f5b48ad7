"""Links out of the site: into a live original at the quoted passage, and to the issue form.

Both are built here, once, so that every page and export writes them the same way.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

# Words at each end of a quote that make a text fragment: enough to be unique in an article,
# few enough that a small difference of wording in the middle does not break the link.
FRAGMENT_WORDS = 5
_ELISION = re.compile(r"\s*(?:…|\.\.\.)\s*")
_QUOTE_MARKS = "\"'“”‘’"
ISSUE_TEMPLATE = "report-problem.yml"


def _fragment_part(text: str) -> str:
    """Percent-encoded for a text directive. Besides what a URL reserves, the Text Fragments spec
    gives '-', ',' and '&' a meaning in the directive, so they are encoded too."""
    return quote(text, safe="").replace("-", "%2D")


def text_fragment(url: str, quote_text: str) -> str:
    """`url` with a text fragment (#:~:text=start,end) that highlights the quoted passage in the
    live page. A quote with elisions runs from its first part to its last."""
    parts = [part.strip(_QUOTE_MARKS + " ") for part in _ELISION.split(quote_text.strip())]
    words = [part.split() for part in parts if part.split()]
    if not words:
        return url
    first, last = words[0], words[-1]
    if len(words) == 1 and len(first) <= 2 * FRAGMENT_WORDS:
        directive = _fragment_part(" ".join(first))
    else:
        start = " ".join(first[:FRAGMENT_WORDS])
        end = " ".join(last[-FRAGMENT_WORDS:])
        directive = f"{_fragment_part(start)},{_fragment_part(end)}"
    return f"{url.split('#', 1)[0]}#:~:text={directive}"


def report_problem_url(repository: str, event_id: str, title: str) -> str:
    """The address of a new issue on `repository`, from the report-problem issue form, with the
    event's id filled in (GitHub fills an issue form's field from the query parameter named
    after the field's id) and a title naming the event."""
    query = urlencode(
        {"template": ISSUE_TEMPLATE, "event": event_id, "title": f"Problem with event: {title}"},
        quote_via=quote,
    )
    return f"{repository}/issues/new?{query}"


def issue_form_url(repository: str, template: str = ISSUE_TEMPLATE) -> str:
    """An issue form with nothing filled in: by default the report-problem form, the footer's way
    to report an error; the handbook also links to the "Propose an event" form."""
    return f"{repository}/issues/new?{urlencode({'template': template}, quote_via=quote)}"
