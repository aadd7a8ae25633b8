"""Fashion-MNIST in its IDX files.

Layout: ``<root>/data/fashion/<split>-images-idx3-ubyte[.gz]`` and
``<split>-labels-idx1-ubyte[.gz]`` (the files may also sit directly in the root).
Official splits are ``train`` (60,000) and ``t10k`` (10,000); any other prefix is
taken as a user's subset. IDX is big-endian: two zero bytes, a type byte (0x08 =
uint8), a dimension count, one uint32 per dimension, then the data.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from loaders.model import ImageSource, Problem, Sample
from loaders.qa import Check, Flag

log = logging.getLogger(__name__)

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
IMAGES_MAGIC = 2051  # 00 00 08 03
LABELS_MAGIC = 2049  # 00 00 08 01
GZIP_AS_IDX_MAGIC = 0x1F8B0808  # the gzip header read as an IDX magic number
# Published per-class counts of the official splits (the classes are exactly balanced).
PUBLISHED_PER_CLASS = {"train": 6000, "t10k": 1000}
# md5 of the official .gz files, from the Fashion-MNIST README.
PUBLISHED_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
FILE_PATTERN = re.compile(r"^(?P<split>.+)-(?P<kind>images-idx3|labels-idx1)-ubyte(?P<gz>\.gz)?$")


class IdxError(ValueError):
    """An IDX file that fails a check: ``path`` is the file, ``reason`` the failed check."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Read a (possibly gzipped) IDX file of uint8 values into an array of its dimensions."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise IdxError(path, f"could not be read ({error}). Download the file again.") from error
    if len(data) < 8:
        raise IdxError(path, f"{len(data)} bytes is too short for an IDX header.")
    magic = int.from_bytes(data[:4], "big")
    if magic == GZIP_AS_IDX_MAGIC:
        raise IdxError(path, "this is a gzip file read as raw IDX (magic 0x1F8B0808). "
                       "Name it with a .gz suffix or decompress it.")
    if magic != expected_magic:
        raise IdxError(path, f"magic number {magic} (0x{magic:08X}), expected {expected_magic} "
                       f"(0x{expected_magic:08X}). Is this the right file?")
    if data[2] != 0x08:
        raise IdxError(path, f"element type 0x{data[2]:02X}; only 0x08 (unsigned byte) is supported.")
    dims = data[3]
    header_size = 4 + 4 * dims
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    expected_size = header_size + int(np.prod(shape))
    if len(data) != expected_size:
        raise IdxError(path, f"{len(data)} bytes, but the header {shape} needs {expected_size}. "
                       "The file is truncated or has extra bytes; download it again.")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class SplitFiles:
    """The images and labels files found for one split prefix."""

    name: str
    images: Path | None = None
    labels: Path | None = None


@dataclass
class SplitData:
    """One split read into memory: N x 28 x 28 images and N labels, with the checks' findings."""

    name: str
    images: np.ndarray | None
    labels: np.ndarray | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.images is not None and self.labels is not None


class FashionMnistDataset:
    """Reader of one Fashion-MNIST root; see the module docstring for the layout."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.problems: list[Problem] = []
        self.files = self._find_files()

    def _find_files(self) -> dict[str, SplitFiles]:
        found: dict[str, SplitFiles] = {}
        for folder in (self.root / "data" / "fashion", self.root):
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                match = FILE_PATTERN.match(path.name)
                if not match or not path.is_file():
                    continue
                entry = found.setdefault(match["split"], SplitFiles(match["split"]))
                kind = "images" if match["kind"].startswith("images") else "labels"
                if getattr(entry, kind) is None:
                    setattr(entry, kind, path)
        for entry in found.values():
            if entry.images is None:
                self.problems.append(Problem(
                    str(entry.labels), f"labels file without its images file {entry.name}-images-idx3-ubyte.gz.",
                    hint="Download the images file to browse this split."))
            elif entry.labels is None:
                self.problems.append(Problem(
                    str(entry.images), f"images file without its labels file {entry.name}-labels-idx1-ubyte.gz.",
                    hint="Download the labels file to browse this split."))
        return found

    def splits(self) -> list[str]:
        """Return the prefixes with both an images and a labels file, official ones first."""
        complete = [name for name, entry in self.files.items() if entry.images and entry.labels]
        return sorted(complete, key=lambda name: (name not in PUBLISHED_PER_CLASS, name))

    def read_split(self, split: str) -> SplitData:
        """Read and check one split; failed checks become Problems naming the file."""
        entry = self.files[split]
        data = SplitData(split, None, None)
        try:
            data.labels = read_idx(entry.labels, LABELS_MAGIC)
            data.images = read_idx(entry.images, IMAGES_MAGIC)
        except IdxError as error:
            data.problems.append(Problem(str(error.path), error.reason, severity="error"))
            data.images = data.labels = None
            return data
        self._check(data, entry)
        return data

    def _check(self, data: SplitData, entry: SplitFiles) -> None:
        labels, images = data.labels, data.images
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            data.problems.append(Problem(str(entry.images), f"images are {images.shape[1:]}, expected 28 x 28."))
        if len(images) != len(labels):
            data.problems.append(Problem(
                str(entry.labels), f"{len(labels)} labels for {len(images)} images; only the first "
                f"{min(len(images), len(labels))} are shown.", severity="error"))
            count = min(len(images), len(labels))
            data.images, data.labels = images[:count], labels[:count]
        if labels.size and labels.max() > 9:
            data.problems.append(Problem(str(entry.labels), f"label {int(labels.max())} is outside 0..9."))
        data.problems.extend(balance_problems(data.name, labels, entry.labels))
        for path in (entry.images, entry.labels):
            published = PUBLISHED_MD5.get(path.name)
            if published and md5_of(path) != published:
                data.problems.append(Problem(str(path), "md5 differs from the published value.",
                                             hint="Download the file again from the official source."))

    def labels_only(self) -> list[str]:
        """Return the prefixes that have a labels file but no images file."""
        return sorted(name for name, entry in self.files.items() if entry.labels and not entry.images)

    def read_labels(self, split: str) -> tuple[np.ndarray | None, list[Problem]]:
        """Read only the labels file of a prefix, with the class-balance check."""
        path = self.files[split].labels
        try:
            labels = read_idx(path, LABELS_MAGIC)
        except IdxError as error:
            return None, [Problem(str(error.path), error.reason, severity="error")]
        return labels, balance_problems(split, labels, path)

    def sample(self, data: SplitData, index: int) -> Sample:
        """Return image ``index`` (0-based, as in the file) of a read split as a Sample."""
        label = int(data.labels[index])
        name = CLASSES[label] if label < len(CLASSES) else str(label)
        return Sample(id=str(index), split=data.name, image=ImageSource(array=data.images[index]),
                      width=28, height=28, labels={"class": [f"{label} {name}"]})


def duplicate_of(images: np.ndarray) -> dict[int, int]:
    """Return, for every image that repeats an earlier one pixel for pixel, the index of the first copy.

    The official files have such repeats: 43 pairs inside train and 1 inside test.
    """
    rows = np.ascontiguousarray(images.reshape(len(images), -1))
    _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    firsts = first[inverse.ravel()]
    return {int(index): int(earlier) for index, earlier in enumerate(firsts) if earlier != index}


def duplicate_check(data: SplitData) -> Check:
    """Return the check that flags images identical to an earlier image of the split."""
    repeats = duplicate_of(data.images) if data.usable else {}

    def run(sample: Sample) -> list[Flag]:
        earlier = repeats.get(int(sample.id))
        if earlier is None:
            return []
        return [Flag("duplicate_image", sample.split, sample.id, "", f"same pixels as image {earlier}")]

    return Check("duplicate_image", "Image identical to an earlier image of the split.", run)


def balance_problems(split: str, labels: np.ndarray, path: Path) -> list[Problem]:
    """Compare the class counts of an official split with the published balance."""
    expected = PUBLISHED_PER_CLASS.get(split)
    counts = np.bincount(labels, minlength=10)[:10]
    if expected is None or (counts == expected).all():
        return []
    return [Problem(str(path), f"class counts {counts.tolist()} do not match the published {expected} per class.",
                    hint="The file may be another dataset (e.g. MNIST digits) or a partial copy; check its md5.")]


def file_problems_for_missing(root: Path) -> list[Problem]:
    """Return a problem when a root contains no IDX file at all."""
    return [Problem(str(root), "no Fashion-MNIST IDX files found here or in data/fashion.",
                    hint="Point the root at the folder that holds the *-idx*-ubyte.gz files.", severity="error")]
