"""Reading image files into RGB uint8 arrays, with problems reported instead of raised."""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from loaders.model import ImageSource, Problem
from loaders.roots import PathOutsideRoots, confine
from render.tiles import placeholder  # noqa: F401  # TODO: import it from render.tiles in the pages

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


TRANSPARENT_BACKGROUND = 200.0  # grey level behind transparent pixels
EXIF_ORIENTATION = 0x0112
# EXIF orientation -> (mirror left-right first, then quarter turns clockwise).
ORIENTATION_STEPS = {1: (False, 0), 2: (True, 0), 3: (False, 2), 4: (True, 2),
                     5: (True, 3), 6: (False, 1), 7: (True, 1), 8: (False, 3)}


@dataclass
class LoadedImage:
    """Pixels ready to draw on (H x W x 3 uint8 RGB), or None, with the problems met."""

    pixels: np.ndarray | None
    problems: list[Problem] = field(default_factory=list)


def to_rgb(array: np.ndarray) -> np.ndarray:
    """Return an H x W x 3 uint8 RGB copy of a grey, RGB or RGBA array (RGBA over light grey)."""
    if array.dtype == np.uint16:
        array = (array >> 8).astype(np.uint8)
    elif array.dtype != np.uint8:
        top = float(np.nanmax(array)) if array.size else 1.0
        array = (np.nan_to_num(array.astype(np.float32)) * (255.0 / max(top, 1.0))).clip(0, 255).astype(np.uint8)
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    if array.shape[2] == 4:
        alpha = array[:, :, 3:4].astype(np.float32) / 255.0
        return (array[:, :, :3].astype(np.float32) * alpha + TRANSPARENT_BACKGROUND * (1.0 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(array)


def _orientation(data: bytes) -> int:
    """Return the EXIF orientation (1..8) of JPEG bytes, 1 when there is none."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            return int(picture.getexif().get(EXIF_ORIENTATION, 1))
    except (OSError, ValueError, SyntaxError):
        return 1


def _truncated(data: bytes) -> bool:
    if data[:2] == b"\xff\xd8":
        return not data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return b"IEND" not in data[-16:]
    return False


def read_image(source: ImageSource, max_pixels: int | None = None,
               annotated_size: tuple[int, int] | None = None) -> LoadedImage:
    """Decode the image of a sample to RGB, reporting anything a reviewer should know.

    ``annotated_size`` is the (width, height) the annotation file gives. It decides
    whether an EXIF rotation is applied: the image is drawn in the orientation whose
    size matches the annotations. A missing, corrupt or oversized file gives pixels
    None and an error Problem; truncated, rotated, transparent, 16-bit and resized
    images are drawn with a warning.
    """
    max_pixels = max_pixels_setting() if max_pixels is None else max_pixels
    if source.array is not None:
        return LoadedImage(to_rgb(source.array))
    if source.path is None:
        where = source.url or "this sample"
        return LoadedImage(None, [Problem(where, "no image file is known for this sample.")])

    path = Path(source.path)
    name = str(path)
    if source.root is not None:
        try:
            confine(path, [Path(source.root)])
        except PathOutsideRoots:
            return LoadedImage(None, [Problem(name, f"image path leaves the dataset root {source.root}; not read.",
                                              hint="Check the file name in the annotation file.",
                                              severity="error")])
    if not path.is_file():
        hint = f"Download it from {source.url}." if source.url else "Check that the image folder is complete."
        return LoadedImage(None, [Problem(name, "image file not found.", hint=hint, severity="error")])
    try:
        data = path.read_bytes()
    except OSError as error:
        return LoadedImage(None, [Problem(name, f"image file could not be read: {error}.", severity="error")])

    header_ok, width, height = _peek_size(np.frombuffer(data[:65536], dtype=np.uint8))
    if header_ok and width * height > max_pixels:
        return LoadedImage(None, [Problem(
            name, f"image is {width}x{height} pixels, above the limit of {max_pixels:,}.",
            hint="Set FASHIONVIZ_MAX_PIXELS higher if you trust this file.", severity="error")])

    buffer = np.frombuffer(data, dtype=np.uint8)
    is_png = data[:8] == b"\x89PNG\r\n\x1a\n"
    # PNGs keep 16 bits and alpha; JPEGs are decoded to BGR (this also converts CMYK and
    # greyscale). EXIF orientation is handled below, against the annotated size.
    flags = cv2.IMREAD_UNCHANGED if is_png else cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    decoded = cv2.imdecode(buffer, flags)
    truncated = _truncated(data)
    if decoded is None and truncated and not is_png:
        # libjpeg decodes a cut-off file up to where it ends once the end marker is there.
        decoded = cv2.imdecode(np.frombuffer(data + b"\xff\xd9", dtype=np.uint8), flags)
    if decoded is None:
        reason = "image file is truncated and could not be decoded." if truncated else \
            "image file is corrupt or not an image."
        return LoadedImage(None, [Problem(name, reason, hint="Download the file again.", severity="error")])
    problems = []
    if truncated:
        problems.append(Problem(name, "image file is truncated; the missing part is drawn grey.",
                                hint="Download the file again."))
    if decoded.ndim == 3:
        code = cv2.COLOR_BGRA2RGBA if decoded.shape[2] == 4 else cv2.COLOR_BGR2RGB
        decoded = cv2.cvtColor(decoded, code)
        if decoded.shape[2] == 4 and (decoded[:, :, 3] < 255).any():
            problems.append(Problem(name, "image has transparent pixels; they are drawn on grey.", severity="info"))
    if decoded.dtype == np.uint16:
        problems.append(Problem(name, "16-bit image shown with 8 bits per channel.", severity="info"))
    pixels = to_rgb(decoded)
    pixels = _apply_orientation(pixels, _orientation(data) if not is_png else 1, annotated_size, name, problems)
    if annotated_size and annotated_size[0] and annotated_size[1] and pixels.shape[1::-1] != tuple(annotated_size):
        problems.append(Problem(
            name, f"image is {pixels.shape[1]}x{pixels.shape[0]} but the annotations are for "
            f"{annotated_size[0]}x{annotated_size[1]}; annotations are drawn in their own coordinates.",
            hint="Check that this is the image the annotations were made for."))
    return LoadedImage(pixels, problems)


def _apply_orientation(pixels: np.ndarray, orientation: int, annotated_size: tuple[int, int] | None,
                       name: str, problems: list[Problem]) -> np.ndarray:
    if orientation not in ORIENTATION_STEPS or orientation == 1:
        return pixels
    rotated = pixels
    flip, turns = ORIENTATION_STEPS[orientation]
    if flip:
        rotated = rotated[:, ::-1]
    rotated = np.ascontiguousarray(np.rot90(rotated, k=-turns))
    stored_size = pixels.shape[1::-1]
    if annotated_size and tuple(annotated_size) == stored_size and rotated.shape[1::-1] != stored_size:
        problems.append(Problem(name, f"EXIF orientation {orientation} ignored: the annotations are for the image "
                                "as stored, so it is drawn unrotated.", severity="info"))
        return pixels
    problems.append(Problem(name, f"EXIF orientation {orientation} applied: the image is drawn rotated as a "
                            "viewer shows it, and the annotations are taken to be for that orientation.",
                            severity="info"))
    return rotated


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
            # Markers C0..CF are start-of-frame headers with the size (ITU-T T.81, table B.1),
            # except C4 (DHT), C8 (JPG) and CC (DAC).
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(raw[position + 5:position + 7], "big")
                width = int.from_bytes(raw[position + 7:position + 9], "big")
                return True, width, height
            position += 2 + length
    return False, 0, 0
