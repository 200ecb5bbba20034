"""A tiny document model the report is built in once and rendered twice (Markdown and HTML).

Text fields accept two inline marks only: `code` and **bold**; renderers escape everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Para:
    text: str
    muted: bool = False


@dataclass
class Callout:
    """A highlighted note; tone is "good", "bad", "warn" or "info"."""

    text: str
    tone: str = "info"


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric_cols: tuple[int, ...] = ()  # right-aligned columns
    compact: bool = False  # as wide as its content (field/value lists), not the full page


@dataclass
class Figure:
    path: Path
    caption: str


@dataclass
class Code:
    text: str


@dataclass
class Details:
    """Collapsed in HTML (a <details> element); plain in Markdown."""

    summary: str
    blocks: list


@dataclass
class Card:
    """One headline figure in the summary box."""

    title: str
    value: str
    note: str = ""
    tone: str = "neutral"  # good, bad, warn, neutral


@dataclass
class Section:
    id: str
    title: str
    blocks: list = field(default_factory=list)
    empty: bool = False  # nothing to show: rendered muted, listed as such in the contents


@dataclass
class Document:
    title: str
    facts: list[tuple[str, str]]  # header line: model, stages, generated...
    cards: list[Card]
    sections: list[Section]
