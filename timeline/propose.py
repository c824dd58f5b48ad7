"""An event proposed from the issue form: the form itself, generated from events.yaml, and the
issue's Markdown turned into an event (and a new source) inserted into events.yaml.

Everything in an issue is untrusted: anyone can open one. The text is only ever data here. Each
value is written into events.yaml by a YAML emitter (double-quoted, one line: no quote, colon,
`#`, new line or tag in it can change the file's structure) and read back to prove it; the file
is changed only by inserting whole lines, so every other byte stays as it was; and the result
must pass the same check as any edit, in a copy of the project, before anything is written.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .check import InputError, check
from .dates import DateError, PartialDate
from .loader import decode, load
from .problems import Problem, plural, visible

FORM = Path(".github") / "ISSUE_TEMPLATE" / "propose-event.yml"
NEW_SOURCE = "A new document: give its details and full text below"
NO_RESPONSE = "_No response_"  # what GitHub writes for a field left empty

# The form's fields in order: (key, label, kind). The label is the heading GitHub writes in the
# issue body ("### Title"), which is what the parser finds. The document's full text comes last:
# it is the one field whose text may itself hold Markdown headings, and nothing is read after it.
FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("date", "Date"),
    ("date_note", "How the date was worked out"),
    ("era", "Chapter"),
    ("summary", "Summary"),
    ("topics", "Topics"),
    ("actors", "Actors"),
    ("source", "Source"),
    ("quote", "Quote"),
    ("new_title", "New document: title"),
    ("new_publisher", "New document: publisher"),
    ("new_published", "New document: date published"),
    ("new_reliability", "New document: reliability"),
    ("new_assessment", "New document: assessment"),
    ("new_address", "New document: where it was found"),
    ("new_text", "New document: full text"),
)
LABELS = dict(FIELDS)
_NEW_FIELDS = ("new_title", "new_publisher", "new_published", "new_reliability", "new_assessment", "new_text")
_REQUIRED = ("title", "date", "era", "summary", "topics", "actors", "source", "quote")
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DATE = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?")
# An option of a dropdown is "Label (id)": the id is what goes into events.yaml.
_OPTION_ID = re.compile(r"\(([a-z0-9]+(?:-[a-z0-9]+)*)\)\s*\Z")
_SEED_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\.txt")
_SEED_NUMBER = re.compile(r"([0-9]+)_")
MAX_BODY = 1024 * 1024  # GitHub caps an issue body at 65,536 characters; a seed text may be long


# --------------------------------------------------------------------------- the form


def _option(label: Any, ident: str) -> str:
    return f"{' '.join(str(label).split())} ({ident})"


def form_yaml(data: dict[str, Any]) -> str:
    """The issue form, its dropdowns listing the chapters, topics, actors and sources declared in
    events.yaml (`data`): `python build.py propose --form` writes it; a test keeps it current."""
    eras = [_option(e.get("title", e["id"]), e["id"]) for e in data.get("eras", []) if isinstance(e, dict)]
    topics = [_option(label, ident) for ident, label in (data.get("topics") or {}).items()]
    actors = [_option(label, ident) for ident, label in (data.get("actors") or {}).items()]
    sources = [
        _option(f"{s.get('title', '')} — {s.get('publisher', '')}, {s.get('published', '')}", s["id"])
        for s in data.get("sources", [])
        if isinstance(s, dict)
    ]

    def text(key: str, description: str, required: bool, *, area: bool = False, **extra: Any) -> dict:
        item: dict[str, Any] = {
            "type": "textarea" if area else "input",
            "id": key,
            "attributes": {"label": LABELS[key], "description": description, **extra},
        }
        if required:
            item["validations"] = {"required": True}
        return item

    def dropdown(key: str, description: str, options: list[str], multiple: bool) -> dict:
        return {
            "type": "dropdown",
            "id": key,
            "attributes": {
                "label": LABELS[key],
                "description": description,
                "multiple": multiple,
                "options": options,
            },
            "validations": {"required": key in _REQUIRED},
        }

    body = [
        {
            "type": "markdown",
            "attributes": {
                "value": "Propose an event for the timeline without Git. When a maintainer labels this "
                "issue `propose-event`, a robot turns it into a pull request, runs the same check as "
                'for every change, and answers here. The handbook\'s section "Without Git" '
                "(/contribute/) explains each field; every event quotes the sentence of a document "
                "that supports it.\n"
            },
        },
        text("title", "A neutral, specific headline in sentence case.", True),
        text(
            "date",
            "As precise as the source: 2014-03-04 (a day), 2014-03 (a month) or 2014 (a year).",
            True,
            placeholder="2014-03-04",
        ),
        text(
            "date_note",
            'Only when the source dates it relatively ("on Tuesday", "last month"): how you worked it out.',
            False,
            area=True,
        ),
        dropdown("era", "The chapter of the timeline the event belongs to.", eras, False),
        text(
            "summary",
            "One to three sentences in your own words, claiming nothing the quote does not support.",
            True,
            area=True,
        ),
        dropdown("topics", "One or more.", topics, True),
        dropdown("actors", "The countries, organisations, companies and people involved.", actors, True),
        dropdown(
            "source",
            "The archived document that supports the event, or a new one.",
            [*sources, NEW_SOURCE],
            False,
        ),
        text(
            "quote",
            "The document's own words that support the event, copied exactly (' … ' may join parts).",
            True,
            area=True,
        ),
        {
            "type": "markdown",
            "attributes": {
                "value": "Only for a new document: leave these empty when you chose a document above.\n"
            },
        },
        text("new_title", "The document's own headline.", False),
        text("new_publisher", "The publisher as the document names it.", False),
        text("new_published", "When it was published: YYYY-MM-DD, YYYY-MM or YYYY.", False),
        dropdown(
            "new_reliability",
            "high: a named, established outlet; medium: unnamed or derivative; low: errors or claims "
            "no other source supports.",
            ["high", "medium", "low"],
            False,
        ),
        text("new_assessment", "Why this rating, and how you know the date.", False, area=True),
        text("new_address", "Where you found it (a reviewer confirms it before it is published).", False),
        text(
            "new_text",
            "The whole document as plain text, copied from the page: it is archived verbatim.",
            False,
            area=True,
            render="text",
        ),
    ]
    form = {
        "name": "Propose an event",
        "description": "Add an event to the timeline, with the document that supports it, without Git.",
        "title": "Proposed event: ",
        "labels": ["event-proposal"],
        "body": body,
    }
    header = (
        "# Generated from events.yaml by `python build.py propose --form` (make form): do not edit.\n"
        "# The dropdowns list the chapters, topics, actors and sources events.yaml declares;\n"
        "# tests/test_propose.py fails when this file is out of date.\n"
    )
    return header + yaml.safe_dump(form, sort_keys=False, allow_unicode=True, width=100)


# --------------------------------------------------------------------------- the issue body


@dataclass(frozen=True)
class Proposal:
    values: dict[str, str]  # by key of FIELDS, as written (stripped); absent when left empty
    problems: list[tuple[str, str]] = field(default_factory=list)  # (label, message)


def parse_body(body: str) -> Proposal:
    """The fields of the issue form's Markdown: each under its "### Label" heading, in order.

    Fields are looked for in the form's order, each after the one before; the full text of a new
    document is everything after its heading (less the fence GitHub puts around it).
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    values: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    found: list[tuple[str, int, int]] = []  # key, start of heading, start of value
    position = 0
    for key, label in FIELDS:
        match = re.compile(rf"^###[ \t]+{re.escape(label)}[ \t]*\n", re.M).search(body, position)
        if match:
            found.append((key, match.start(), match.end()))
            position = match.end()
    for n, (key, _, start) in enumerate(found):
        end = found[n + 1][1] if n + 1 < len(found) else len(body)
        value = body[start:end]
        value = _unfence(value) if key == "new_text" else value.strip()
        if value and value.strip() != NO_RESPONSE:
            values[key] = value
    if not found:
        problems.append(("Form", 'this issue was not written with the "Propose an event" form'))
    return Proposal(values, problems)


def _unfence(value: str) -> str:
    """The text of a field GitHub fences as ```text … ```: what was typed, verbatim."""
    lines = value.strip("\n").split("\n")
    if len(lines) >= 2 and lines[0].startswith("```") and lines[-1].strip() == "```":
        lines = lines[1:-1]
    text = "\n".join(lines)
    return "" if text.strip() in ("", NO_RESPONSE) else text.rstrip("\n") + "\n"


def _ids(value: str) -> list[str]:
    """The ids of a dropdown's chosen options: "Oil (oil), Group of Seven (G7) (g7)" gives
    [oil, g7]. An option typed in by hand is kept as written, for the check to judge."""
    ids = []
    for item in re.split(r"(?<=\)),\s*", value):
        item = item.strip()
        if not item:
            continue
        match = _OPTION_ID.search(item)
        ids.append(match.group(1) if match else item)
    return ids


def slug(text: str, limit: int = 60) -> str:
    """Lowercase ASCII words joined by hyphens, at most `limit` characters, cut at a word."""
    text = re.sub(r"['’]", "", text)  # "Japan's" is "japans", not "japan-s"
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    result = ""
    for word in words:
        candidate = f"{result}-{word}" if result else word
        if len(candidate) > limit:
            break
        result = candidate
    # "…-visit-russia-in-the" reads better without the words left dangling by the cut
    while re.search(r"-(a|an|and|at|by|for|in|of|on|or|the|to|with)$", result):
        result = result.rsplit("-", 1)[0]
    return result


def _unique(base: str, taken: set[str]) -> str:
    ident, n = base, 2
    while ident in taken:
        ident = f"{base}-{n}"
        n += 1
    return ident


# --------------------------------------------------------------------------- YAML text


def quoted(value: str) -> str:
    """`value` as one double-quoted YAML scalar: PyYAML's emitter escapes what must be escaped
    (quotes, backslashes, new lines, control characters), so no text can leave its value."""
    text = yaml.dump(value, default_style='"', allow_unicode=True, width=float("inf"))
    return text.rstrip("\n").removesuffix("\n...")


def scalar(value: str) -> str:
    """An id or date plain, as the file writes them; anything else quoted."""
    if _DATE.fullmatch(value):
        return value  # the loader keeps a date as text (a bare year as a number the rules accept)
    if (_ID.fullmatch(value) or _SEED_FILE.fullmatch(value)) and yaml.safe_load(value) == value:
        return value  # not "null", "true", "no" or "2014", which YAML reads as other than text
    return quoted(value)


@dataclass(frozen=True)
class Block:
    """Lines to insert into events.yaml, each with the form field it was written from."""

    lines: tuple[tuple[str, str], ...]  # (text without new line, key of FIELDS or "")


def event_block(event: dict[str, Any], dash: int, keys: dict[str, str]) -> Block:
    """The event as YAML lines, a list item indented as the file's events are (`dash`)."""
    pad = " " * dash
    lines: list[tuple[str, str]] = []
    first = True
    for key, value in event.items():
        lead = f"{pad}- " if first else f"{pad}  "
        first = False
        origin = keys.get(key, "")
        if key in ("topics", "actors"):
            lines.append((f"{lead}{key}: [{', '.join(scalar(v) for v in value)}]", origin))
        elif key == "citations":
            lines.append((f"{lead}citations:", "source"))
            for citation in value:
                lines.append((f"{pad}    - source: {scalar(citation['source'])}", "source"))
                lines.append((f"{pad}      quote: {quoted(citation['quote'])}", "quote"))
        elif key in ("id", "date", "era", "file", "published", "reliability"):
            lines.append((f"{lead}{key}: {scalar(value)}", origin))
        else:
            lines.append((f"{lead}{key}: {quoted(value)}", origin))
    return Block(tuple(lines))


def _items(text: str, key: str) -> tuple[list[Any], Any] | None:
    """The items of the top-level list `key` as PyYAML's composer sees them (with their marks),
    and the list's node; None when the file has no such list."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    for k, v in root.value:
        if k.value == key and isinstance(v, yaml.SequenceNode):
            return v.value, v
    return None


def _last_line(lines: list[str], start: int, stop: int) -> int:
    """The last line in [start, stop) that is not blank or a comment: where an item ends."""
    last = start
    for n in range(start, stop):
        stripped = lines[n].strip()
        if stripped and not stripped.startswith("#"):
            last = n
    return last


def _field(item: Any, key: str) -> str | None:
    if not isinstance(item, yaml.MappingNode):
        return None
    for k, v in item.value:
        if k.value == key and isinstance(v, yaml.ScalarNode):
            return v.value
    return None


def _dash_column(lines: list[str], item: Any) -> int:
    line = lines[item.start_mark.line]
    return line.index("-") if "-" in line[: item.start_mark.column] else max(item.start_mark.column - 2, 0)


def insertion(text: str, key: str, after: int | None) -> tuple[int, int]:
    """Where to insert a new item into the top-level list `key`: the index of the line after
    item `after` (or after the last item when None), and the column of the items' dash."""
    found = _items(text, key)
    if not found or not found[0]:
        raise InputError(f"events.yaml has no '{key}:' list to add to")
    items, node = found
    lines = text.split("\n")
    index = len(items) - 1 if after is None else after
    if index + 1 < len(items):
        stop = items[index + 1].start_mark.line
    else:  # a block list ends where the next key (or the end of the file) begins
        stop = node.end_mark.line + (1 if node.end_mark.column else 0)
    stop = min(stop, len(lines))
    return _last_line(lines, items[index].start_mark.line, stop) + 1, _dash_column(lines, items[index])


def event_position(text: str, era: str, date: PartialDate | None) -> tuple[int, int, bool]:
    """Where a new event of `era` dated `date` goes: before the first event of its chapter that
    starts later (after those of the same date: ties keep the file's order), else after the
    chapter's last event, else (a chapter without events) after the last event. The line index,
    the dash column, and whether the block goes before an item (set off below) or after one."""
    found = _items(text, "events")
    if not found or not found[0]:
        raise InputError("events.yaml has no 'events:' list to add to")
    items = found[0]
    lines = text.split("\n")
    same = [n for n, item in enumerate(items) if _field(item, "era") == era]
    if not same:
        line, dash = insertion(text, "events", None)
        return line, dash, False
    later = None
    for n in same:
        try:
            when = PartialDate.parse(_field(items[n], "date") or "")
        except DateError:
            continue
        if date is not None and when.first_day > date.first_day:
            later = n
            break
    if later is None:
        line, dash = insertion(text, "events", same[-1])
        return line, dash, False
    if later == same[0]:  # the chapter's first: below any comment that heads the chapter
        return items[later].start_mark.line, _dash_column(lines, items[later]), True
    line, dash = insertion(text, "events", later - 1)  # above any comment that heads the next one
    return line, dash, False


def insert(text: str, line: int, block: Block, before_item: bool) -> str:
    """`text` with the block's lines inserted at line index `line`, set off by a blank line as
    the file's items are; every other line untouched."""
    lines = text.split("\n")
    new = [t for t, _ in block.lines]
    chunk = [*new, ""] if before_item else ["", *new]
    return "\n".join([*lines[:line], *chunk, *lines[line:]])


# --------------------------------------------------------------------------- the proposal


@dataclass(frozen=True)
class Result:
    ok: bool
    problems: list[tuple[str, str]]  # (where: a field's label or "events.yaml:LINE", message)
    text: str = ""  # the new events.yaml
    seed: tuple[str, str] | None = None  # (file name, text) of a new document
    event_id: str = ""
    address: str = ""  # where the proposer found a new document, for the reviewer


def propose(body: str, data_text: str, seeds_folder: Path) -> Result:
    """The new events.yaml (and seed) for the issue's proposal, checked; or what to fix."""
    proposal = parse_body(body)
    values = proposal.values
    problems = list(proposal.problems)
    if problems:
        return Result(False, problems)
    for key in _REQUIRED:
        if key not in values:
            problems.append((LABELS[key], "is empty; fill it in"))
    source_choice = values.get("source", "")
    new_document = source_choice.strip() == NEW_SOURCE
    given = [k for k in _NEW_FIELDS if k in values]
    if new_document:
        for key in _NEW_FIELDS:
            if key not in values:
                problems.append(
                    (LABELS[key], "is empty; a new document needs it (or choose a document above)")
                )
    elif given and source_choice:
        problems.append(
            (LABELS["source"], "a document is chosen and a new document's details are filled in; choose "
             f"\"{NEW_SOURCE}\" or empty the fields of the new document")
        )  # fmt: skip
    date_text = values.get("date", "")
    date: PartialDate | None = None
    if date_text:
        try:
            date = PartialDate.parse(date_text)
        except DateError as exc:
            problems.append((LABELS["date"], f"'{date_text}' {exc}"))
    if problems:
        return Result(False, problems)

    document, _ = load(decode(data_text.encode("utf-8"))[0] or "")
    if document is None:
        raise InputError("events.yaml does not load; run `python build.py check`")
    data = document.data
    taken_events = {e.get("id") for e in data.get("events", []) if isinstance(e, dict)}
    taken_events |= {w.get("id") for w in data.get("withdrawn", []) or [] if isinstance(w, dict)}
    title = values["title"]
    event_id = _unique(f"{slug(title) or 'event'}-{date.year if date else ''}".strip("-"), taken_events)

    source_id = _OPTION_ID.search(source_choice)
    seed: tuple[str, str] | None = None
    text = data_text
    source_lines: dict[int, str] = {}
    if new_document:
        sources = [s for s in data.get("sources", []) if isinstance(s, dict)]
        taken_sources = {s.get("id") for s in sources}
        published = values["new_published"]
        cited = _unique(
            f"{slug(values['new_publisher'], 40) or 'source'}-{slug(published, 10) or 'undated'}",
            taken_sources,
        )
        seed_text = values["new_text"]
        seed = (_seed_name(seed_text, seeds_folder), seed_text)
        source = {
            "id": cited,
            "file": seed[0],
            "title": values["new_title"],
            "publisher": values["new_publisher"],
            "published": published,
            "reliability": values["new_reliability"],
            "assessment": values["new_assessment"],
        }
        origins = {
            "title": "new_title",
            "publisher": "new_publisher",
            "published": "new_published",
            "reliability": "new_reliability",
            "assessment": "new_assessment",
            "file": "new_text",
        }
        line, dash = insertion(text, "sources", None)
        block = event_block(source, dash, origins)
        text = insert(text, line, block, False)
        source_lines = {line + 1 + n: origin for n, (_, origin) in enumerate(block.lines)}
    else:
        cited = source_id.group(1) if source_id else source_choice

    event: dict[str, Any] = {"id": event_id, "date": date_text}
    if "date_note" in values:
        event["date_note"] = values["date_note"]
    event.update(
        era=_ids(values["era"])[0] if _ids(values["era"]) else values["era"],
        title=title,
        summary=values["summary"],
        topics=_ids(values["topics"]),
        actors=_ids(values["actors"]),
        citations=[{"source": cited, "quote": values["quote"]}],
    )
    line, dash, before = event_position(text, event["era"], date)
    block = event_block(event, dash, {k: k for k in event})
    text = insert(text, line, block, before)
    event_lines = {line + (0 if before else 1) + n: origin for n, (_, origin) in enumerate(block.lines)}
    _prove(text, event, seed and source)

    checked = _check_copy(text, seeds_folder, seed)
    if checked:
        origin_of = {**source_lines, **event_lines}
        where = [(_where(p, origin_of), p) for p in checked]
        return Result(False, [(w, _message(p)) for w, p in where], event_id=event_id)
    return Result(True, [], text, seed, event_id, values.get("new_address", ""))


def _where(problem: Problem, origin_of: dict[int, str]) -> str:
    origin = origin_of.get(problem.line - 1)
    return LABELS.get(origin or "", f"events.yaml:{problem.line}")


def _message(problem: Problem) -> str:
    return "\n".join([problem.message, *problem.details])


def _prove(text: str, event: dict[str, Any], source: dict[str, Any] | None) -> None:
    """Read the new file back: the event (and source) must be exactly what was meant. A value
    the emitter wrote wrong would be a bug here, never the editor's to fix: so it is an error."""
    document, problems = load(decode(text.encode("utf-8"))[0] or "")
    if problems:
        return  # a character no text may hold: the check refuses the proposal, at its field
    ok = document is not None
    if ok:
        assert document is not None
        events = [
            e for e in document.data.get("events", []) if isinstance(e, dict) and e.get("id") == event["id"]
        ]
        ok = len(events) == 1 and {k: str(v) if k == "date" else v for k, v in events[0].items()} == event
        if ok and source:
            sources = [
                s
                for s in document.data.get("sources", [])
                if isinstance(s, dict) and s.get("id") == source["id"]
            ]
            ok = len(sources) == 1 and {k: str(v) for k, v in sources[0].items()} == source
    if not ok:
        raise AssertionError("the proposed event did not read back as written")


def _seed_name(text: str, folder: Path) -> str:
    """NNN_<16 hex digits of the text's SHA-256>.txt, numbered after the highest in seeds/: the
    file names the check accepts, and those the archive already uses."""
    numbers = [int(m.group(1)) for p in folder.iterdir() if (m := _SEED_NUMBER.match(p.name))]
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"{max(numbers, default=-1) + 1:03d}_{digest}.txt"


def _check_copy(text: str, seeds_folder: Path, seed: tuple[str, str] | None) -> list[Problem]:
    """The check, strict, on a copy of the project holding the new file (and the new document):
    the real files are written only when it passes."""
    with tempfile.TemporaryDirectory(prefix="propose-") as tmp:
        folder = Path(tmp)
        (folder / "events.yaml").write_text(text, encoding="utf-8")
        shutil.copytree(seeds_folder, folder / "seeds", symlinks=True)
        if seed:
            (folder / "seeds" / seed[0]).write_text(seed[1], encoding="utf-8")
        return check(folder / "events.yaml", folder / "seeds").problems


def write(result: Result, data_file: Path, seeds_folder: Path) -> None:
    """Write the checked proposal: the new document first, then events.yaml in one rename."""
    if result.seed:
        (seeds_folder / result.seed[0]).write_text(result.seed[1], encoding="utf-8")
    staged = data_file.with_name(f".{data_file.name}.propose-{os.getpid()}")
    staged.write_text(result.text, encoding="utf-8")
    os.replace(staged, data_file)


# --------------------------------------------------------------------------- what the editor reads


def _fenced(text: str) -> str:
    """`text` in a fenced code block that no run of backticks in it can close: nothing of it is
    read as Markdown (no link, image, HTML or @mention)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def report(result: Result, summary: str = "") -> str:
    """The comment for the issue (and the pull request): GitHub-flavoured Markdown in which the
    editor's text appears only inside a code block."""
    if result.ok:
        lines = [
            "<!-- propose-event -->",
            "**The check passed.** The event was added to `events.yaml` in date order within its "
            "chapter" + (", with the new document in `seeds/`" if result.seed else "") + ".",
            "",
            summary.strip(),
        ]
        if result.address:
            lines += [
                "",
                "Where the proposer found the new document (a reviewer confirms it before adding it "
                "as the source's `url`):",
                "",
                _fenced(visible(result.address)),
            ]
        return "\n".join(lines).strip() + "\n"
    problems = "\n".join(
        "\n".join(visible(line) for line in f"{where}: {message}".split("\n"))
        for where, message in result.problems
    )
    return (
        "<!-- propose-event -->\n"
        f"**Your proposal cannot be added yet: {plural(len(result.problems), 'problem')} "
        "to fix.** Nothing was changed. Edit the issue (its ⋯ menu, then Edit), correct each field "
        'named below, and save: the check runs again. The handbook\'s section "Without Git" '
        "explains each message.\n\n" + _fenced(problems) + "\n"
    )
