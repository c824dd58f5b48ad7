"""Finding an editor's quote in a source's text.

Matching ignores differences of whitespace and of straight versus curly
quotes and apostrophes, nothing else. " … " (or "...") inside a quote elides:
each fragment must occur, in order. Everything here is linear in the size of
the source: one normalization per source, `str.find` per fragment, and a
word-pair index for the closest-passage hint.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

_QUOTE_STYLES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
     "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"'}
)  # fmt: skip
_SPACE = re.compile(r"\s+")
_RUN = re.compile(r"\s{2,}")
_ELISION = re.compile(r"\s*(?:\u2026|\.\.\.)\s*")
_WORD = re.compile(r"\S+")
_NOT_WORD = re.compile(r"[\W_]+")
# Words this common in one source say little about where a quote came from.
_COMMON = 64
_HINT_CHARS = 400


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_QUOTE_STYLES)).strip()


def fragments(quote: str) -> list[str]:
    """The parts of a quote between elisions, normalized; empty parts dropped."""
    return [part for part in (normalize(p) for p in _ELISION.split(quote)) if part]


def _word_key(word: str) -> str:
    return _NOT_WORD.sub("", word.lower())


@dataclass(frozen=True)
class Match:
    """Where a quote was found: spans of the original text, one per fragment."""

    spans: tuple[tuple[int, int], ...]

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]


@dataclass(frozen=True)
class Miss:
    """Why a quote was not found, and the passage of the source closest to it."""

    message: str
    closest: str | None


class SourceText:
    """A source's text, normalized once, with a map back to the original."""

    def __init__(self, original: str) -> None:
        self.original = original
        translated = original.translate(_QUOTE_STYLES)  # one character for one: offsets stay
        self.text = _SPACE.sub(" ", translated)
        # Only runs of two or more whitespace characters move what follows them.
        # _starts[k] is the first normalized index after the k-th such run and
        # _shifts[k] how far the original is ahead of the normalized text from there.
        starts, shifts, total = [0], [0], 0
        for run in _RUN.finditer(translated):
            total += run.end() - run.start() - 1
            starts.append(run.end() - total)
            shifts.append(total)
        self._starts, self._shifts = starts, shifts
        self._found: dict[str, Match] = {}

    def _original(self, index: int) -> int:
        return index + self._shifts[bisect_right(self._starts, index) - 1]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original text behind normalized characters [start, end)."""
        return self._original(start), self._original(end - 1) + 1

    def find(self, quote: str, name: str = "the source") -> Match | Miss:
        """Where `quote` occurs; `name` is how messages call the source."""
        # The check finds each quote and the reading views need its place again: found once.
        # (A miss is not kept: its message names the source, and misses stop the build anyway.)
        found = self._found.get(quote)
        if found is None:
            found = self._find(quote, name)
            if isinstance(found, Match):
                self._found[quote] = found
        return found

    def _find(self, quote: str, name: str) -> Match | Miss:
        parts = fragments(quote)
        if not parts:
            return Miss("quote is empty", None)
        spans = []
        position = 0
        for number, part in enumerate(parts):
            found = self.text.find(part, position)
            if found < 0:
                anywhere = self.text.find(part)
                if len(parts) > 1 and anywhere >= 0:
                    return Miss(
                        f"the parts of this elided quote occur, but part {number + 1} comes "
                        "before the part it follows in the quote",
                        None,
                    )
                label = f"part {number + 1} of this elided quote" if len(parts) > 1 else "quote"
                return Miss(f"{label} not found in {name}", self.closest(part))
            spans.append(self.original_span(found, found + len(part)))
            position = found + len(part)
        return Match(tuple(spans))

    @cached_property
    def _words(self) -> list[tuple[int, int, str]]:
        return [(m.start(), m.end(), _word_key(m.group())) for m in _WORD.finditer(self.text)]

    @cached_property
    def _index(self) -> tuple[dict[str, list[int]], dict[tuple[str, str], list[int]]]:
        singles: dict[str, list[int]] = {}
        pairs: dict[tuple[str, str], list[int]] = {}
        keys = [key for _, _, key in self._words]
        for i, key in enumerate(keys):
            singles.setdefault(key, []).append(i)
            if i + 1 < len(keys):
                pairs.setdefault((key, keys[i + 1]), []).append(i)
        return singles, pairs

    def closest(self, part: str) -> str | None:
        """The passage of the source that shares most words, in order, with `part`.

        Each pair of neighbouring words in the quote votes for where the quote
        would start if that pair is where it occurs in the source; the start
        with most votes wins. Single words vote only when no pair matches.
        """
        keys = [_word_key(w) for w in part.split(" ")]
        if not self._words or not keys:
            return None
        singles, pairs = self._index
        votes: Counter[int] = Counter()
        for i in range(len(keys) - 1):
            for j in pairs.get((keys[i], keys[i + 1]), ())[:_COMMON]:
                votes[j - i] += 1
        if not votes:
            for i, key in enumerate(keys):
                for j in singles.get(key, ())[:_COMMON]:
                    votes[j - i] += 1
        if not votes:
            return None
        start = max(votes, key=lambda s: (votes[s], -s))
        # A little context on each side shows the editor where the words differ.
        pad = max(3, len(keys) // 4)
        first = max(start - pad, 0)
        last = min(start + len(keys) + pad, len(self._words)) - 1
        if last < first:
            return None
        text = self.text[self._words[first][0] : self._words[last][1]]
        if len(text) > _HINT_CHARS:
            text = text[:_HINT_CHARS].rsplit(" ", 1)[0] + " …"
        prefix = "… " if first > 0 else ""
        suffix = " …" if last < len(self._words) - 1 and not text.endswith("…") else ""
        return f"{prefix}{text}{suffix}"

    def locate(self, text: str) -> tuple[int, int] | None:
        """The span of the original where `text` first occurs, matched like a quote."""
        needle = normalize(text)
        found = self.text.find(needle) if needle else -1
        return None if found < 0 else self.original_span(found, found + len(needle))
