"""The timeline arranged for reading: order, lookups, neighbours, related events.

Everything a page needs is computed here once, from the model, so templates
only look things up. Nothing here scans all events per event: related events
come from each tag's neighbours in time, previous/next from one ordering.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from .cite import Cited, DataVersion, cite, event_work, source_work
from .model import Citation, Era, Event, HistoryEntry, Source, Term, Timeline
from .quotes import Match
from .seeds import Seeds

RELATED_COUNT = 5
# An index card shows at most this many tags; a tag on more than COMMON_SHARE of the events
# (Japan, Russia) tells a reader nothing there, and stays on the event's own page.
CARD_TAGS = 3
COMMON_SHARE = 0.5
# How many events on each side of an event, in each of its tags' lists, are
# considered for "related": enough to fill RELATED_COUNT, and linear in the
# number of events however common a tag is.
RELATED_REACH = 6


def _placed(events: list[Event]) -> tuple[Event, ...]:
    """`events` in their sorted order, except that each event with `sort_after` comes right after
    the event it names (several after one: in the given order). The check guarantees the named
    event exists, sorts beside it and forms no loop."""
    ids = {event.id for event in events}
    followers: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event.sort_after in ids:
            followers[event.sort_after].append(event)
    placed: list[Event] = []

    def emit(event: Event) -> None:
        placed.append(event)
        for follower in followers.get(event.id, ()):
            emit(follower)

    for event in events:
        if event.sort_after not in ids:
            emit(event)
    return tuple(placed)


def _negated(day: tuple[int, int, int]) -> tuple[int, int, int]:
    return (-day[0], -day[1], -day[2])


def _tags(event: Event) -> set[tuple[str, str]]:
    """An event's topics and actors, kept apart: a topic and an actor may share an id."""
    return {("t", key) for key in event.topics} | {("a", key) for key in event.actors}


@dataclass(frozen=True)
class CitedPassage:
    """One citation of one event, found in its source."""

    event: Event
    number: int  # 1-based, in the event's list of citations
    citation: Citation
    spans: tuple[tuple[int, int], ...]

    @property
    def anchor(self) -> str:
        return f"q-{self.event.id}-{self.number}"


@dataclass
class SiteData:
    timeline: Timeline
    seeds: Seeds
    # The version of the data citations name; render() finds it (cite.data_version) when not given.
    version: DataVersion | None = None
    eras: dict[str, Era] = field(init=False)
    sources: dict[str, Source] = field(init=False)
    topics: dict[str, Term] = field(init=False)
    actors: dict[str, Term] = field(init=False)

    def __post_init__(self) -> None:
        t = self.timeline
        self.eras = {e.id: e for e in t.eras}
        self.sources = {s.id: s for s in t.sources}
        self.topics = {term.id: term for term in t.topics}
        self.actors = {term.id: term for term in t.actors}

    def prepare(self) -> None:
        """Compute every derived view now: before a fork, so no process computes them again."""
        for name, member in vars(type(self)).items():
            if isinstance(member, cached_property):
                getattr(self, name)

    @cached_property
    def ordered(self) -> tuple[Event, ...]:
        """Reading order: era by era; within one, background first, then by date, ties by file order."""
        era_rank = {era.id: i for i, era in enumerate(self.timeline.eras)}
        file_order = {event.id: i for i, event in enumerate(self.timeline.events)}
        return _placed(
            sorted(
                self.timeline.events,
                key=lambda e: (era_rank[e.era], not e.background, e.date.first_day, file_order[e.id]),
            )
        )

    @cached_property
    def chronological(self) -> tuple[Event, ...]:
        """Strict date order across eras (exports, feed, overview); ties by file order."""
        file_order = {event.id: i for i, event in enumerate(self.timeline.events)}
        return _placed(sorted(self.timeline.events, key=lambda e: (e.date.first_day, file_order[e.id])))

    @cached_property
    def events_by_id(self) -> dict[str, Event]:
        return {event.id: event for event in self.timeline.events}

    @cached_property
    def corrections(self) -> list[tuple[Event, int, HistoryEntry]]:
        """Every history entry of every event, newest first (ties: reading order, then entry order,
        newest entry first), with its 1-based number in the event's history."""
        rank = {event.id: i for i, event in enumerate(self.ordered)}
        entries = [
            (event, number, entry)
            for event in self.timeline.events
            for number, entry in enumerate(event.history, start=1)
        ]
        return sorted(entries, key=lambda x: (_negated(x[2].date.first_day), rank[x[0].id], -x[1]))

    @cached_property
    def by_era(self) -> dict[str, list[Event]]:
        groups: dict[str, list[Event]] = {era.id: [] for era in self.timeline.eras}
        for event in self.ordered:
            groups[event.era].append(event)
        return groups

    @cached_property
    def by_topic(self) -> dict[str, list[Event]]:
        return self._group("topics")

    @cached_property
    def by_actor(self) -> dict[str, list[Event]]:
        return self._group("actors")

    def _group(self, attribute: str) -> dict[str, list[Event]]:
        groups: dict[str, list[Event]] = defaultdict(list)
        for event in self.chronological:
            for key in getattr(event, attribute):
                groups[key].append(event)
        return dict(groups)

    @cached_property
    def neighbours(self) -> dict[str, tuple[Event | None, Event | None]]:
        """Previous and next event in reading order."""
        order = self.ordered
        return {
            event.id: (order[i - 1] if i else None, order[i + 1] if i + 1 < len(order) else None)
            for i, event in enumerate(order)
        }

    @cached_property
    def related(self) -> dict[str, list[Event]]:
        """Events sharing most topics and actors, nearest in time first among equals."""
        rank = self._chronological_rank
        groups = {("t", key): events for key, events in self.by_topic.items()}
        groups |= {("a", key): events for key, events in self.by_actor.items()}
        index_in = {tag: {e.id: i for i, e in enumerate(events)} for tag, events in groups.items()}
        result: dict[str, list[Event]] = {}
        for event in self.chronological:
            own = _tags(event)
            candidates: dict[str, Event] = {}
            for tag in own:
                i = index_in[tag][event.id]
                for other in groups[tag][max(i - RELATED_REACH, 0) : i + RELATED_REACH + 1]:
                    if other.id != event.id:
                        candidates[other.id] = other

            def score(other: Event, own: set[tuple[str, str]] = own, at: int = rank[event.id]) -> tuple:
                return (-len(own & _tags(other)), abs(rank[other.id] - at), rank[other.id])

            result[event.id] = sorted(candidates.values(), key=score)[:RELATED_COUNT]
        return result

    @cached_property
    def passages(self) -> dict[str, list[CitedPassage]]:
        """Every citation found in its source, grouped by source id, in text order."""
        found: dict[str, list[CitedPassage]] = {source.id: [] for source in self.timeline.sources}
        for event in self.chronological:
            for number, citation in enumerate(event.citations, start=1):
                source = self.sources[citation.source]
                match = self.seeds.text(source.file).find(citation.quote)
                assert isinstance(match, Match), "the check guarantees every quote is found"
                found[source.id].append(CitedPassage(event, number, citation, match.spans))
        for passages in found.values():
            passages.sort(key=lambda p: (p.spans[0][0], p.anchor))
        return found

    @cached_property
    def _chronological_rank(self) -> dict[str, int]:
        return {event.id: i for i, event in enumerate(self.chronological)}

    def event_citation(self, event: Event) -> Cited:
        assert self.version is not None
        return cite(event_work(self.timeline.site, event, self.version))

    def source_citation(self, source: Source) -> Cited:
        assert self.version is not None
        return cite(source_work(self.timeline.site, source, self.version))

    def source_refs(self, event: Event) -> list[tuple[Source, int]]:
        """The event's sources, each once in citation order, with the number of its first citation."""
        return [(source, cited[0][0]) for source, cited in self.source_groups(event)]

    def source_groups(self, event: Event) -> list[tuple[Source, list[tuple[int, Citation]]]]:
        """The event's sources, each once in order of first citation, with its citations under it
        (each with its 1-based number in the event's list, which its anchors use)."""
        groups: dict[str, list[tuple[int, Citation]]] = {}
        for number, citation in enumerate(event.citations, start=1):
            groups.setdefault(citation.source, []).append((number, citation))
        return [(self.sources[key], cited) for key, cited in groups.items()]

    @cached_property
    def common_tags(self) -> frozenset[tuple[str, str]]:
        """Topics and actors on more than COMMON_SHARE of the events."""
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for event in self.timeline.events:
            for tag in _tags(event):
                counts[tag] += 1
        limit = COMMON_SHARE * len(self.timeline.events)
        return frozenset(tag for tag, count in counts.items() if count > limit)

    def card_tags(self, event: Event) -> list[tuple[str, Term]]:
        """At most CARD_TAGS of the event's tags for its index card, topics first, common ones left out."""
        tags = [("topic", self.topics[key]) for key in event.topics if ("t", key) not in self.common_tags]
        tags += [("actor", self.actors[key]) for key in event.actors if ("a", key) not in self.common_tags]
        return tags[:CARD_TAGS]

    @cached_property
    def chapters(self) -> dict[str, tuple[list[Event], list[Event], list[Event]]]:
        """Each era's events as a reader meets them: its own confirmed events, then (folded) the
        background it refers to and the unconfirmed reports, each group in reading order."""
        groups = {}
        for era_id, events in self.by_era.items():
            # A key event is never folded away, even when it is background (the invasion of Ukraine).
            background = [e for e in events if e.background and not e.key]
            unconfirmed = [e for e in events if e.unconfirmed and not e.background]
            own = [e for e in events if (e.key or not e.background) and not e.unconfirmed]
            groups[era_id] = (own, background, unconfirmed)
        return groups

    def citing_events(self, source_id: str) -> list[Event]:
        seen: dict[str, Event] = {}
        for passage in self.passages[source_id]:
            seen.setdefault(passage.event.id, passage.event)
        return sorted(seen.values(), key=lambda e: self._chronological_rank[e.id])

    @cached_property
    def era_spans(self) -> dict[str, tuple[tuple[int, int, int], tuple[int, int, int]] | None]:
        """First and last day of each era's own (not background) events."""
        spans: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]] | None] = {}
        for era in self.timeline.eras:
            own = [e for e in self.by_era[era.id] if not e.background]
            if not own:
                spans[era.id] = None
                continue
            first = min(e.date.first_day for e in own)
            last = max((e.end or e.date).last_day for e in own)
            spans[era.id] = (first, last)
        return spans
