"""The TrueType font used for labels, legends and tiles: a CJK-capable font when installed."""

from __future__ import annotations

import functools

from PIL import ImageFont

# Noto Sans CJK covers Latin and Chinese; DejaVu Sans covers Latin, Greek and Cyrillic.
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Return the first installed font of FONT_FILES at ``size`` pixels, else Pillow's built-in font."""
    for path in FONT_FILES:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)
