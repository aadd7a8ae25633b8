"""Image reading: every awkward kind of file gives pixels or a clear message, never an exception."""

import io
import json

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from loaders.images import read_image
from loaders.model import ImageSource


def gradient(width=40, height=30) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 6, y * 8, np.full_like(x, 90)], axis=2).astype(np.uint8)


def save(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return ImageSource(path=path)


def pil_bytes(picture: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def test_plain_jpeg(tmp_path):
    loaded = read_image(save(tmp_path, "a.jpg", pil_bytes(Image.fromarray(gradient()), "JPEG", quality=95)))
    assert loaded.problems == []
    assert loaded.pixels.shape == (30, 40, 3)
    assert abs(int(loaded.pixels[0, 39, 0]) - 234) < 8


def test_truncated_jpeg_drawn_with_warning(tmp_path):
    data = pil_bytes(Image.fromarray(gradient(200, 200)), "JPEG", quality=95)
    loaded = read_image(save(tmp_path, "cut.jpg", data[: len(data) // 2]))
    assert loaded.pixels is not None
    assert [p.message for p in loaded.problems] == ["image file is truncated; the missing part is drawn grey."]


def test_truncated_png_reported(tmp_path):
    data = pil_bytes(Image.fromarray(gradient(200, 200)), "PNG")
    loaded = read_image(save(tmp_path, "cut.png", data[: len(data) // 2]))
    assert loaded.pixels is None
    assert [p.message for p in loaded.problems] == ["image file is truncated and could not be decoded."]


def test_not_an_image(tmp_path):
    loaded = read_image(save(tmp_path, "x.jpg", b"<html>not found</html>"))
    assert loaded.pixels is None
    assert loaded.problems[0].message == "image file is corrupt or not an image."
    assert loaded.problems[0].severity == "error"


def test_cmyk_jpeg_converted(tmp_path):
    rgb = Image.fromarray(np.full((20, 20, 3), (200, 30, 30), dtype=np.uint8))
    loaded = read_image(save(tmp_path, "cmyk.jpg", pil_bytes(rgb.convert("CMYK"), "JPEG", quality=95)))
    assert loaded.pixels.shape == (20, 20, 3)
    red, green, blue = loaded.pixels[10, 10].astype(int)
    assert red > 150 and green < 80 and blue < 80


def test_sixteen_bit_png(tmp_path):
    array = (np.arange(100, dtype=np.uint16).reshape(10, 10) * 600)
    ok, data = cv2.imencode(".png", array)
    loaded = read_image(save(tmp_path, "deep.png", data.tobytes()))
    assert loaded.pixels.dtype == np.uint8
    assert loaded.pixels[9, 9, 0] == (99 * 600) >> 8
    assert "16-bit image shown with 8 bits per channel." in [p.message for p in loaded.problems]


def test_palette_png(tmp_path):
    picture = Image.fromarray(gradient()).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    loaded = read_image(save(tmp_path, "palette.png", pil_bytes(picture, "PNG")))
    expected = np.asarray(picture.convert("RGB"))
    assert np.array_equal(loaded.pixels, expected)


def test_alpha_png_on_grey(tmp_path):
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    rgba[:, :5] = (255, 0, 0, 255)
    loaded = read_image(save(tmp_path, "alpha.png", pil_bytes(Image.fromarray(rgba), "PNG")))
    assert tuple(loaded.pixels[0, 0]) == (255, 0, 0)
    assert tuple(loaded.pixels[0, 9]) == (200, 200, 200)
    assert "image has transparent pixels; they are drawn on grey." in [p.message for p in loaded.problems]


def test_greyscale_jpeg(tmp_path):
    grey = Image.fromarray(np.full((8, 8), 77, dtype=np.uint8))
    loaded = read_image(save(tmp_path, "grey.jpg", pil_bytes(grey, "JPEG", quality=100)))
    assert loaded.pixels.shape == (8, 8, 3)
    assert abs(int(loaded.pixels[4, 4, 1]) - 77) <= 2


@pytest.mark.parametrize("orientation", range(2, 9))
def test_exif_orientation_matches_pillow(tmp_path, orientation):
    picture = Image.fromarray(gradient(40, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = pil_bytes(picture, "JPEG", quality=100, exif=exif.tobytes())
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    loaded = read_image(save(tmp_path, "r.jpg", data), annotated_size=expected.shape[1::-1])
    assert loaded.pixels.shape == expected.shape
    assert np.abs(loaded.pixels.astype(int) - expected.astype(int)).max() <= 2
    assert any(f"EXIF orientation {orientation} applied" in p.message for p in loaded.problems)


def test_exif_rotation_ignored_when_annotations_match_stored(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    data = pil_bytes(Image.fromarray(gradient(40, 30)), "JPEG", quality=100, exif=exif.tobytes())
    loaded = read_image(save(tmp_path, "r.jpg", data), annotated_size=(40, 30))
    assert loaded.pixels.shape == (30, 40, 3)
    assert any("EXIF orientation 6 ignored" in p.message for p in loaded.problems)


def test_decompression_bomb_refused(tmp_path):
    picture = Image.new("L", (3000, 3000))
    loaded = read_image(save(tmp_path, "big.png", pil_bytes(picture, "PNG")), max_pixels=1_000_000)
    assert loaded.pixels is None
    assert loaded.problems[0].message == "image is 3000x3000 pixels, above the limit of 1,000,000."


def test_size_differs_from_annotations(tmp_path):
    loaded = read_image(save(tmp_path, "a.png", pil_bytes(Image.fromarray(gradient()), "PNG")),
                        annotated_size=(80, 60))
    assert loaded.pixels.shape == (30, 40, 3)
    assert ("image is 40x30 but the annotations are for 80x60; annotations are drawn in their own coordinates."
            in [p.message for p in loaded.problems])


def test_missing_file_names_url(tmp_path):
    loaded = read_image(ImageSource(path=tmp_path / "gone.jpg", url="http://127.0.0.1/gone.jpg"))
    assert loaded.pixels is None
    assert loaded.problems[0].hint == "Download it from http://127.0.0.1/gone.jpg."


@pytest.mark.parametrize("escape", ["../outside.png", "/etc/passwd", "link/inside.png"])
def test_path_leaving_root_not_read(tmp_path, escape):
    root = tmp_path / "root"
    (root / "images").mkdir(parents=True)
    outside = tmp_path / "outside.png"
    outside.write_bytes(pil_bytes(Image.fromarray(gradient()), "PNG"))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "inside.png").write_bytes(outside.read_bytes())
    (root / "link").symlink_to(tmp_path / "elsewhere")
    loaded = read_image(ImageSource(path=root / escape, root=root))
    assert loaded.pixels is None
    assert "image path leaves the dataset root" in loaded.problems[0].message


def test_nested_path_inside_root_read(tmp_path):
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "x.png").write_bytes(pil_bytes(Image.fromarray(gradient()), "PNG"))
    loaded = read_image(ImageSource(path=root / "a" / "b" / ".." / "b" / "x.png", root=root))
    assert loaded.pixels is not None
    assert loaded.problems == []


def test_coco_file_name_leaving_root_not_read(tmp_path):
    from loaders.fashionpedia import FashionpediaDataset

    root = tmp_path / "fashionpedia"
    (root / "train").mkdir(parents=True)
    secret = tmp_path / "secret.png"
    secret.write_bytes(pil_bytes(Image.fromarray(gradient()), "PNG"))
    document = {"images": [{"id": 1, "width": 40, "height": 30, "file_name": "../../secret.png"}],
                "annotations": [], "categories": [{"id": 0, "name": "shirt, blouse"}]}
    (root / "instances_attributes_train2020.json").write_text(json.dumps(document))
    dataset = FashionpediaDataset(root)
    sample = dataset.open(dataset.splits()[0]).load_sample(1)
    assert sample.image.path.name == "secret.png"
    loaded = read_image(sample.image)
    assert loaded.pixels is None
    assert "image path leaves the dataset root" in loaded.problems[0].message
