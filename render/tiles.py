"""Grey tiles that stand in for images that cannot be shown."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from render.fonts import font


def placeholder(width: int, height: int, text_lines: list[str] | None = None, size: int = 15) -> np.ndarray:
    """Return a grey RGB tile of the given size with lines of text (any script the font has)."""
    tile = Image.new("RGB", (max(width, 1), max(height, 1)), (60, 60, 60))
    draw = ImageDraw.Draw(tile)
    y = 10
    for line in text_lines or []:
        draw.text((10, y), line[:80], fill=(230, 230, 230), font=font(size))
        y += size + 7
    return np.asarray(tile).copy()


def side_by_side(pictures: list[np.ndarray], height: int) -> np.ndarray:
    """Return RGB pictures scaled to one height and joined left to right, for a pair's PNG export."""
    scaled = [np.asarray(Image.fromarray(picture).resize((max(1, picture.shape[1] * height // picture.shape[0]),
                                                          height), Image.Resampling.LANCZOS))
              for picture in pictures]
    return np.hstack(scaled)
