"""Synthetic projects for the benchmarks: N events over N/20 sources.

    .venv/bin/python bench/generate.py N FOLDER

Each source is a few thousand words of plain prose built from a fixed
vocabulary (seeded, so the same N always gives the same project); every
event quotes one or two sentences that really occur in its source, so the
check does all its real work. Topics, actors and eras are shared the way the
real data shares them: a few broad ones on most events, many narrow ones.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

WORDS = (  # noqa: SIM905 - a sentence reads better than a list of 70 strings
    "energy sanctions liquefied natural gas oil price cap ministers officials said Tokyo Moscow "
    "Washington imports exports pipeline project stake trading companies government statement "
    "summit talks islands dispute treaty security supply market analysts estimate percent barrels "
    "exception agreement pressure allies coalition invasion deployment exercises warships protest "
    "dialogue negotiations investment consortium shipments cargo tanker insurance services rules "
    "budget inflation reactors restart demand winter reserves contract buyers sellers premium"
).split()
TOPICS = [
    "sanctions",
    "lng",
    "oil",
    "price-cap",
    "diplomacy",
    "islands",
    "military",
    "g7",
    "markets",
    "nuclear",
]
ACTORS = [f"actor-{i:02d}" for i in range(30)]
ERAS = ["era-one", "era-two", "era-three", "era-four"]


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
    return f"{words[0].capitalize()} {' '.join(words[1:])} ({n})."


def source_text(rng: random.Random, index: int) -> tuple[str, list[str]]:
    sentences = [sentence(rng, index * 1000 + i) for i in range(rng.randint(150, 250))]
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    text = "Page header and navigation\n\n" + "\n\n".join(paragraphs) + "\n\nComments are closed.\n"
    return text, sentences


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(count: int, folder: Path) -> None:
    rng = random.Random(count)
    seeds = folder / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    source_count = max(1, count // 20)
    sentences = {}
    lines = [
        "site:",
        "  title: Synthetic timeline",
        "  description: A generated project for benchmarks.",
        "  base_url: https://example.org/bench/",
        "topics:",
        *[f"  {t}: Topic {t}" for t in TOPICS],
        "actors:",
        *[f"  {a}: Actor {a}" for a in ACTORS],
        "eras:",
        *[
            f"  - id: {e}\n    title: Era {e}\n    summary: The {e} chapter, in **two** sentences. Fine."
            for e in ERAS
        ],
        "sources:",
    ]
    for s in range(source_count):
        text, sentences[s] = source_text(rng, s)
        name = f"{s:05d}_source.txt"
        (seeds / name).write_text(text, encoding="utf-8")
        lines += [
            f"  - id: source-{s:05d}",
            f"    file: {name}",
            f"    title: Source number {s}",
            "    publisher: Synthetic Wire",
            f"    published: {2014 + s % 12}-{1 + s % 12:02d}-{1 + s % 28:02d}",
            f"    reliability: {('high', 'medium', 'low')[s % 3]}",
            "    assessment: A generated source; its *sentences* are quoted by events.",
            "    body:",
            '      first: "' + sentences[s][0][:30] + '"',
            '      last: "Comments are closed."',
        ]
    lines.append("events:")
    for e in range(count):
        s = e % source_count
        year = 2014 + (e * 12) // count
        picks = rng.sample(range(1, len(sentences[s])), 2)
        quote = sentences[s][picks[0]]
        head = sentences[s][min(picks)][:40].rsplit(" ", 1)[0]
        elided = head + " … " + sentences[s][max(picks)][-30:].split(" ", 1)[-1]
        topics = sorted({TOPICS[e % 3], rng.choice(TOPICS)})
        actors = sorted({ACTORS[e % 2], rng.choice(ACTORS), rng.choice(ACTORS)})
        lines += [
            f"  - id: event-{e:06d}",
            f"    date: {year}-{1 + e % 12:02d}-{1 + e % 28:02d}",
            f"    era: {ERAS[min(3, (e * 4) // count)]}",
            f"    title: Synthetic event {e} about {topics[0]} and {actors[0]}",
            f"    summary: Event {e} happened; the source says so in the sentence quoted below.",
            f"    topics: [{', '.join(topics)}]",
            f"    actors: [{', '.join(actors)}]",
            "    citations:",
            f"      - source: source-{s:05d}",
            f"        quote: {quoted(quote)}",
            f"      - source: source-{s:05d}",
            f"        quote: {quoted(elided)}",
        ]
    (folder / "events.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
