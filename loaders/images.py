"""Reading image files into RGB uint8 arrays, with problems reported instead of raised."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from loaders.model import ImageSource, Problem

log = logging.getLogger(__name__)

# Images above this many pixels are not decoded (decompression bombs), unless the
# environment variable FASHIONVIZ_MAX_PIXELS sets another limit.
DEFAULT_MAX_PIXELS = 80_000_000


def max_pixels_setting() -> int:
    """Return the pixel limit from FASHIONVIZ_MAX_PIXELS, or the default when unset or invalid."""
    value = os.environ.get("FASHIONVIZ_MAX_PIXELS", "")
    try:
        return int(value) if value else DEFAULT_MAX_PIXELS
    except ValueError:
        log.warning("FASHIONVIZ_MAX_PIXELS=%r is not a whole number; using %d", value, DEFAULT_MAX_PIXELS)
        return DEFAULT_MAX_PIXELS


@dataclass
class LoadedImage:
    """Pixels ready to draw on (H x W x 3 uint8 RGB), or None, with the problems met."""

    pixels: np.ndarray | None
    problems: list[Problem] = field(default_factory=list)


def to_rgb(array: np.ndarray) -> np.ndarray:
    """Return an H x W x 3 uint8 RGB copy of a grey, RGB or RGBA array."""
    if array.dtype != np.uint8:
        # 16-bit and float images are scaled to 8 bits for display.
        top = float(array.max()) if array.size else 1.0
        array = (array.astype(np.float32) * (255.0 / max(top, 1.0))).clip(0, 255).astype(np.uint8)
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    if array.shape[2] == 4:
        return np.ascontiguousarray(array[:, :, :3])
    return np.ascontiguousarray(array)


def read_image(source: ImageSource, max_pixels: int | None = None) -> LoadedImage:
    """Decode the image of a sample to RGB; a missing or broken file gives a Problem."""
    max_pixels = max_pixels_setting() if max_pixels is None else max_pixels
    if source.array is not None:
        return LoadedImage(to_rgb(source.array))
    if source.path is None:
        where = source.url or "this sample"
        return LoadedImage(None, [Problem(where, "no image file is known for this sample.")])

    path = Path(source.path)
    if not path.is_file():
        hint = f"Download it from {source.url}." if source.url else "Check that the image folder is complete."
        return LoadedImage(None, [Problem(str(path), "image file not found.", hint=hint, severity="error")])
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        return LoadedImage(None, [Problem(str(path), f"image file could not be read: {error}.", severity="error")])

    header_ok, width, height = _peek_size(data)
    if header_ok and width * height > max_pixels:
        return LoadedImage(None, [Problem(
            str(path), f"image is {width}x{height} pixels, above the limit of {max_pixels:,}.",
            hint="Raise FASHIONVIZ_MAX_PIXELS if you trust this file.", severity="error")])

    decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if decoded is None:
        return LoadedImage(None, [Problem(str(path), "image file is corrupt or not an image.",
                                          hint="Download the file again.", severity="error")])
    if decoded.ndim == 3:
        code = cv2.COLOR_BGRA2RGBA if decoded.shape[2] == 4 else cv2.COLOR_BGR2RGB
        decoded = cv2.cvtColor(decoded, code)
    return LoadedImage(to_rgb(decoded))


def _peek_size(data: np.ndarray) -> tuple[bool, int, int]:
    """Read width and height from a PNG or JPEG header without decoding the pixels."""
    raw = data[:65536].tobytes()
    if raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) >= 24:
        return True, int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
    if raw[:2] == b"\xff\xd8":
        position = 2
        while position + 9 < len(raw):
            if raw[position] != 0xFF:
                break
            marker = raw[position + 1]
            length = int.from_bytes(raw[position + 2:position + 4], "big")
            # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(raw[position + 5:position + 7], "big")
                width = int.from_bytes(raw[position + 7:position + 9], "big")
                return True, width, height
            position += 2 + length
    return False, 0, 0


def placeholder(width: int, height: int, text_lines: list[str] | None = None) -> np.ndarray:
    """Return a grey tile of the given size, for a sample whose image is missing."""
    tile = np.full((max(height, 1), max(width, 1), 3), 60, dtype=np.uint8)
    y = 30
    for line in text_lines or []:
        cv2.putText(tile, line[:60], (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (230, 230, 230), 1, cv2.LINE_AA)
        y += 22
    return tile
