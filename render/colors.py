"""Stable colours from the project's fixed palette, so screenshots compare between runs."""

from __future__ import annotations

import functools
import json
from pathlib import Path

PALETTES_FILE = Path(__file__).resolve().parent.parent / "assets" / "tables" / "palettes.json"


@functools.cache
def palette(name: str = "default") -> tuple[tuple[int, int, int], ...]:
    """Return the named RGB palette from assets/tables/palettes.json."""
    table = json.loads(PALETTES_FILE.read_text(encoding="utf-8"))
    return tuple(tuple(color) for color in table[name])


def color_for(key: int) -> tuple[int, int, int]:
    """Return the palette colour for a category id or an instance index."""
    colors = palette()
    return colors[key % len(colors)]


def hex_color(rgb: tuple[int, int, int]) -> str:
    """Return ``#rrggbb`` for an RGB triple, for charts and legends in the UI."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)
