"""UT-Zappos50K: catalogue shoes in a Category/SubCategory/Brand tree, meta-data and pairwise comparisons.

Layout under the root (the data files may also sit directly in the root)::

    ut-zap50k-images/<Category>/<SubCategory>/<Brand>/<ProductID>.<ColorID>.jpg
    ut-zap50k-data/meta-data.csv          CID, Category, SubCategory, HeelHeight, Insole, ...
    ut-zap50k-data/image-path.mat         imagepath: 50025 x 1 cell of image paths
    ut-zap50k-data/zappos-labels.mat      mturkOrder, mturkEqual: 1 x 4 cells of N x 6 matrices
    ut-zap50k-data/zappos-labels-fg.mat   mturkHard: 1 x 4 cell of N x 6 matrices

Images are numbered by their row in ``imagepath``, starting at 1, and the comparison
matrices refer to images by that number. The square variant of the images lives in
``ut-zap50k-images-square`` with the same tree.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import logging
import os
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.model import ImageSource, Problem, Related, Sample
from loaders.qa import Check, Flag
from loaders.stats import DatasetTables, dataset_tables

log = logging.getLogger(__name__)

DATA_FOLDER = "ut-zap50k-data"
IMAGE_FOLDERS = ("ut-zap50k-images", "ut-zap50k-images-square")
META_FILE = "meta-data.csv"
PATH_FILE = "image-path.mat"
META_COLUMNS = ("CID", "Category", "SubCategory", "HeelHeight", "Insole", "Closure", "Gender", "Material",
                "ToeStyle")

ATTRIBUTES = {1: "open", 2: "pointy", 3: "sporty", 4: "comfort"}
# Column 4 of a comparison row: how image 1 compares with image 2.
COMPARISONS = {1: "more", 2: "less", 3: "equal"}
# Column 5 is the mean of the workers' confidence: 1 very, 2 somewhat, 3 not confident.
CONFIDENCE = {1: "very confident", 2: "somewhat confident", 3: "not confident"}
# Label set name -> (file, MATLAB variable).
LABEL_SETS = {
    "ordered": ("zappos-labels.mat", "mturkOrder"),
    "equal": ("zappos-labels.mat", "mturkEqual"),
    "fine-grained": ("zappos-labels-fg.mat", "mturkHard"),
}
COMPARISON_COLUMNS = ["row", "image1", "image2", "attribute_id", "comparison", "confidence", "agreement"]
# Trademark signs that the disk spells as HTML entities (Levi's&#174;) and the path list may omit.
TRADEMARK_SIGNS = str.maketrans("", "", "®™©")


# ---------------------------------------------------------------------------------------------
# MATLAB files


class MatReadError(ValueError):
    """A .mat file that is missing, malformed, or lacks a requested variable."""


def is_hdf5_mat(path: Path) -> bool:
    """Return True when ``path`` is a MATLAB v7.3 file: an HDF5 file after a 512-byte text header."""
    with path.open("rb") as handle:
        handle.seek(512)
        return handle.read(8) == b"\x89HDF\r\n\x1a\n"


def read_mat(path: Path, names: tuple[str, ...]) -> dict[str, object]:
    """Read the named variables of a .mat file, v5 through scipy and v7.3 through h5py.

    Cells become flat lists in MATLAB's column-major order, char arrays ``str`` and
    numeric arrays float64 arrays with MATLAB's rows and columns. Raises MatReadError
    naming the file and what went wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise MatReadError(f"{path}: file not found.")
    try:
        hdf5 = is_hdf5_mat(path)
    except OSError as error:
        raise MatReadError(f"{path}: could not be read: {error}.") from error
    values = _read_hdf5(path, names) if hdf5 else _read_v5(path, names)
    missing = [name for name in names if name not in values]
    if missing:
        raise MatReadError(f"{path}: variable {missing[0]!r} not found in the file.")
    return values


def _read_v5(path: Path, names: tuple[str, ...]) -> dict[str, object]:
    import scipy.io

    try:
        raw = scipy.io.loadmat(path, variable_names=list(names), squeeze_me=False, chars_as_strings=True)
    except NotImplementedError as error:
        raise MatReadError(f"{path}: MATLAB v7.3 file that scipy cannot read ({error}).") from error
    except (ValueError, TypeError, OSError, EOFError) as error:
        raise MatReadError(f"{path}: not a readable MATLAB file: {error}.") from error
    return {name: _convert_v5(raw[name]) for name in names if name in raw}


def _convert_v5(value: object) -> object:
    if not isinstance(value, np.ndarray):
        return value
    if value.dtype == object:
        return [_convert_v5(element) for element in value.flatten(order="F")]
    if value.dtype.kind == "U":
        return "".join(str(part) for part in value.flatten(order="F"))
    return np.asarray(value, dtype=np.float64)


def _read_hdf5(path: Path, names: tuple[str, ...]) -> dict[str, object]:
    try:
        import h5py
    except ImportError as error:
        raise MatReadError(f"{path}: MATLAB v7.3 (HDF5) file, and h5py is not installed. Install h5py, "
                           "or save the file again in MATLAB with save(..., '-v7').") from error
    try:
        with h5py.File(path, "r") as handle:
            return {name: _convert_hdf5(handle, handle[name]) for name in names if name in handle}
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise MatReadError(f"{path}: MATLAB v7.3 (HDF5) file that could not be read: {error}.") from error


def _convert_hdf5(handle, dataset) -> object:
    matlab_class = dataset.attrs.get("MATLAB_class", b"")
    matlab_class = matlab_class.decode() if isinstance(matlab_class, bytes) else str(matlab_class)
    empty = bool(dataset.attrs.get("MATLAB_empty", 0))
    if matlab_class == "cell":
        # HDF5 keeps MATLAB's dims reversed, so C order over them is MATLAB's column-major order.
        return [_convert_hdf5(handle, handle[reference]) for reference in dataset[()].flatten()]
    if matlab_class == "char":
        return "" if empty else "".join(chr(code) for code in dataset[()].flatten())
    if empty:
        return np.zeros((0, 0))
    # An N x 6 MATLAB matrix is stored as a 6 x N HDF5 dataset.
    return np.asarray(dataset[()], dtype=np.float64).T


# ---------------------------------------------------------------------------------------------
# Paths


def name_key(name: str) -> str:
    """Return the spelling-independent form of a folder or file name, for matching listed paths to the disk.

    It undoes HTML entities (``&#174;``) and percent escapes (``%2E``), drops trademark
    signs, trailing dots and spaces, and case.
    """
    text = urllib.parse.unquote(html.unescape(name)).translate(TRADEMARK_SIGNS)
    return text.rstrip(". ").casefold()


def cid_from_file(file_name: str) -> str:
    """Return the CID ``100627-72`` of the image file ``100627.72.jpg``."""
    stem = file_name.rsplit(".", 1)[0] if file_name.lower().endswith(".jpg") else file_name
    return stem.replace(".", "-", 1)


@dataclass
class Resolution:
    """The file on disk found for a listed image path, and whether its spelling differed."""

    listed: str
    path: Path | None
    # "exact", "spelling" (found under another spelling) or "missing".
    match: str


class PathResolver:
    """Finds listed image paths on disk, tolerating the spelling differences of the image archive."""

    def __init__(self, image_dir: Path):
        self.image_dir = image_dir
        self._listings: dict[Path, dict[str, str]] = {}

    def _listing(self, folder: Path) -> dict[str, str]:
        if folder not in self._listings:
            try:
                with os.scandir(folder) as entries:
                    self._listings[folder] = {name_key(entry.name): entry.name for entry in entries}
            except OSError:
                self._listings[folder] = {}
        return self._listings[folder]

    def resolve(self, listed: str) -> Resolution:
        parts = [part for part in listed.replace("\\", "/").split("/") if part]
        if parts and parts[0] in IMAGE_FOLDERS:
            parts = parts[1:]
        exact = self.image_dir.joinpath(*parts)
        if parts and exact.is_file():
            return Resolution(listed, exact, "exact")
        folder = self.image_dir
        for part in parts:
            if (folder / part).exists():
                folder = folder / part
                continue
            actual = self._listing(folder).get(name_key(part))
            if actual is None:
                return Resolution(listed, None, "missing")
            folder = folder / actual
        if not parts or not folder.is_file():
            return Resolution(listed, None, "missing")
        return Resolution(listed, folder, "spelling")


# ---------------------------------------------------------------------------------------------
# The dataset


@dataclass
class Comparisons:
    """The rows of one label set and attribute, with the problems found in them."""

    table: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)


class ZapposDataset:
    """Lazy reader of one UT-Zappos50K root; see the module docstring for the layout."""

    def __init__(self, root: Path, image_folder: str | None = None):
        self.root = Path(root)
        self.data_dir = self.root / DATA_FOLDER if (self.root / DATA_FOLDER).is_dir() else self.root
        self.image_folders = [name for name in IMAGE_FOLDERS if (self.root / name).is_dir()]
        chosen = image_folder if image_folder in self.image_folders else None
        self.image_dir = self.root / (chosen or (self.image_folders[0] if self.image_folders else IMAGE_FOLDERS[0]))
        self.resolver = PathResolver(self.image_dir)
        self.problems: list[Problem] = []
        self._catalogue: pd.DataFrame | None = None
        self._metadata: pd.DataFrame | None = None
        self._comparisons: dict[tuple[str, int], Comparisons] = {}
        self._rows_by_cid: dict[str, dict] | None = None
        self._metadata_rows: dict[str, dict[str, str]] | None = None

    def file(self, name: str) -> Path:
        return self.data_dir / name

    def missing_files(self) -> Problem | None:
        """Return an error when the root contains none of the dataset's files, else None."""
        present = [name for name in (META_FILE, PATH_FILE, *(file for file, _ in LABEL_SETS.values()))
                   if self.file(name).is_file()]
        if present or self.image_folders:
            return None
        return Problem(str(self.root), "no UT-Zappos50K dataset files found: expected "
                       f"{DATA_FOLDER}/{META_FILE}, {DATA_FOLDER}/{PATH_FILE} and {IMAGE_FOLDERS[0]}/.",
                       hint="Extract ut-zap50k-data.zip and ut-zap50k-images.zip from the project page into "
                            "this folder.", severity="error")

    def has_comparisons(self) -> list[str]:
        """Return the label sets whose file exists."""
        return [name for name, (file, _) in LABEL_SETS.items() if self.file(file).is_file()]

    # -- catalogue -----------------------------------------------------------------------------

    def catalogue(self) -> pd.DataFrame:
        """Return one row per image: index (1-based, or 0 without image-path.mat), listed path, tree, CID."""
        if self._catalogue is None:
            self._catalogue = self._read_catalogue()
        return self._catalogue

    def _read_catalogue(self) -> pd.DataFrame:
        listed: list[str] | None = None
        path_file = self.file(PATH_FILE)
        if path_file.is_file():
            try:
                paths = read_mat(path_file, ("imagepath",))["imagepath"]
                if isinstance(paths, list):
                    listed = self._listed_paths(paths, path_file)
                else:
                    self.problems.append(Problem(str(path_file), "imagepath is not a cell array of paths.",
                                                 severity="error"))
            except MatReadError as error:
                self.problems.append(Problem(str(path_file), str(error).split(": ", 1)[-1], severity="error",
                                             hint="Download ut-zap50k-data.zip again."))
        else:
            self.problems.append(Problem(str(path_file), "file not found, so images are listed from the image "
                                         "folder and comparisons cannot be shown.", severity="warning"))
        if listed is None:
            listed = self._walk_images()
            indices = [0] * len(listed)
        else:
            # Row i of imagepath is image number i, counted from 1.
            indices = list(range(1, len(listed) + 1))
        rows = []
        for index, path in zip(indices, listed):
            parts = [part for part in path.replace("\\", "/").split("/") if part]
            if parts and parts[0] in IMAGE_FOLDERS:
                parts = parts[1:]
            padded = (parts[:-1] + ["", "", ""])[:3]
            # An entry that is no path still keeps its image number, and gets a CID from it.
            cid = cid_from_file(parts[-1]) if parts else f"image {index}"
            rows.append((index, path, *padded, cid))
        return pd.DataFrame(rows, columns=["index", "listed", "Category", "SubCategory", "Brand", "CID"])

    def _listed_paths(self, entries: list, path_file: Path) -> list[str]:
        """Return the paths of imagepath, with "" for an entry that is not text, which is reported."""
        listed = []
        for number, entry in enumerate(entries, start=1):
            if isinstance(entry, str):
                listed.append(entry)
                continue
            # The row still counts, so the image numbers after it stay aligned with the comparisons.
            listed.append("")
            kind = f"a numeric array of shape {entry.shape}" if isinstance(entry, np.ndarray) else type(entry).__name__
            self.problems.append(Problem(str(path_file), f"entry {number} of imagepath is {kind}, not a path.",
                                         record=f"imagepath{{{number}}}", hint="The image is shown as not found."))
        return listed

    def _walk_images(self) -> list[str]:
        found = []
        for folder, _, files in os.walk(self.image_dir):
            relative = Path(folder).relative_to(self.image_dir)
            found.extend((relative / name).as_posix() for name in files if name.lower().endswith(".jpg"))
        return sorted(found)

    def image_number(self, index: int) -> pd.Series | None:
        """Return the catalogue row of 1-based image number ``index``, or None when out of range."""
        table = self.catalogue()
        if table.empty or table["index"].iloc[0] != 1 or not 1 <= index <= len(table):
            return None
        return table.iloc[index - 1]

    def resolve(self, listed: str) -> Resolution:
        return self.resolver.resolve(listed)

    def unresolved_paths(self) -> pd.DataFrame:
        """Return the listed paths that no spelling finds on disk, and count those found under another spelling."""
        rows = []
        for index, listed in zip(self.catalogue()["index"], self.catalogue()["listed"]):
            found = self.resolve(listed)
            if found.match == "exact":
                continue
            on_disk = "" if found.path is None else found.path.relative_to(self.image_dir).as_posix()
            rows.append({"index": index, "listed path": listed, "found": found.match, "on disk": on_disk})
        return pd.DataFrame(rows, columns=["index", "listed path", "found", "on disk"])

    def sample(self, row: pd.Series | dict) -> Sample:
        """Return the Sample of one catalogue row, with its image resolved and its meta-data as labels."""
        found = self.resolve(row["listed"])
        image = ImageSource(path=found.path or self.image_dir / row["listed"], root=self.root)
        sample = Sample(id=row["CID"], image=image)
        sample.fields = {"index": int(row["index"]), "listed path": row["listed"], "found": found.match}
        if found.path is not None and found.match == "spelling":
            sample.fields["on disk"] = found.path.relative_to(self.image_dir).as_posix()
        if found.path is None:
            sample.problems.append(Problem(str(self.image_dir / row["listed"]), "image not found under any "
                                           "spelling of the path.", record=f"image {row['index']}",
                                           hint="Check that ut-zap50k-images is extracted completely."))
        sample.labels = self.metadata_of(row["CID"])
        return sample

    def shoe_sample(self, split: str, cid: str) -> Sample:
        """Return the Sample of the first catalogue row with this CID; ``split`` is unused, shoes have none."""
        if self._rows_by_cid is None:
            # Plain dicts: a quality run reads every shoe, and pandas row look-ups made it ten times slower.
            records = self.catalogue().to_dict("records")
            self._rows_by_cid = {record["CID"]: record for record in reversed(records)}
        row = self._rows_by_cid.get(cid)
        if row is None:
            return Sample(id=cid, split=split, problems=[Problem(str(self.file(PATH_FILE)), "CID not in the image "
                                                                 "list.", record=cid, severity="error")])
        return self.sample(row)

    # -- meta-data -----------------------------------------------------------------------------

    def metadata(self) -> pd.DataFrame:
        """Return meta-data.csv indexed by CID, every cell as text ("" when empty)."""
        if self._metadata is None:
            path = self.file(META_FILE)
            try:
                table = self._read_metadata(path)
                table.columns = [column.strip() for column in table.columns]
                if "CID" not in table.columns:
                    raise ValueError("there is no CID column")
                table = self._check_metadata(table, path)
                table = table.drop_duplicates("CID").set_index("CID")
            except FileNotFoundError:
                self.problems.append(Problem(str(path), "file not found, so shoes are shown without meta-data."))
                table = pd.DataFrame(columns=list(META_COLUMNS[1:]), index=pd.Index([], name="CID"))
            except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
                self.problems.append(Problem(str(path), f"could not be parsed: {error}.", severity="error",
                                             hint="Download ut-zap50k-data.zip again."))
                table = pd.DataFrame(columns=list(META_COLUMNS[1:]), index=pd.Index([], name="CID"))
            self._metadata = table
        return self._metadata

    def _read_metadata(self, path: Path) -> pd.DataFrame:
        """Read meta-data.csv as text, reporting bytes that are not UTF-8 and rows of the wrong field count."""
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            self.problems.append(Problem(str(path), "bytes that are not UTF-8, read as U+FFFD.",
                                         record=f"line {line}", hint="Download ut-zap50k-data.zip again."))
            text = data.decode("utf-8", "replace")
        extra = self._report_field_counts(text, path)
        if extra:
            # Rows with more fields than the header cannot be aligned with its columns, so they are dropped.
            text = "".join(line for number, line in enumerate(text.splitlines(keepends=True), start=1)
                           if number not in extra)
        # index_col=False: pandas would otherwise take the CID column as the index of rows one field too long.
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True,
                           index_col=False)

    def _report_field_counts(self, text: str, path: Path) -> set[int]:
        """Report rows with fewer or more fields than the header line; return the line numbers of the longer ones."""
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
        wrong: dict[str, list[int]] = {"fewer": [], "more": []}
        for row in reader:
            if row and len(row) != len(header):
                wrong["fewer" if len(row) < len(header) else "more"].append(reader.line_num)
        for kind, lines in wrong.items():
            if not lines:
                continue
            outcome = "their missing fields are empty" if kind == "fewer" else "they are skipped"
            hint = "" if kind == "fewer" else "The header line may lack a column."
            self.problems.append(Problem(str(path), f"{len(lines)} rows have {kind} fields than the header line "
                                         f"({len(header)}), so {outcome}. Lines: "
                                         f"{', '.join(map(str, lines[:10]))}{' ...' if len(lines) > 10 else ''}.",
                                         record=f"line {lines[0]}", hint=hint))
        return set(wrong["more"])

    def _check_metadata(self, table: pd.DataFrame, path: Path) -> pd.DataFrame:
        """Report missing columns and CIDs not written ProductID-ColorID; accept ProductID.ColorID."""
        missing = [column for column in META_COLUMNS if column not in table.columns]
        if missing:
            self.problems.append(Problem(str(path), f"columns {', '.join(missing)} are missing.", record="line 1",
                                         hint="Shoes are shown without these fields."))
        cids = table["CID"].str.strip()
        # A CID written as a number (7646396.136485) is the ProductID.ColorID file-name stem.
        dotted = cids.str.fullmatch(r"\d+\.\d+")
        if dotted.any():
            self.problems.append(Problem(str(path), f"CIDs on {int(dotted.sum())} rows are written as numbers "
                                         "(ProductID.ColorID) and are read as ProductID-ColorID.",
                                         record=f"line {int(dotted.idxmax()) + 2}", severity="info"))
            cids = cids.where(~dotted, cids.str.replace(".", "-", n=1, regex=False))
        invalid = table.index[~cids.str.fullmatch(r"\d+-\d+")].tolist()
        for row in invalid[:20]:
            self.problems.append(Problem(str(path), f"CID {cids[row]!r} is not ProductID-ColorID, so no image "
                                         "matches it.", record=f"line {row + 2}"))
        return table.assign(CID=cids)

    def metadata_of(self, cid: str) -> dict[str, list[str]]:
        """Return the meta-data fields of one shoe, each split into its values at ';'."""
        if self._metadata_rows is None:
            self._metadata_rows = self.metadata().to_dict("index")
        row = self._metadata_rows.get(cid)
        if row is None:
            return {}
        return {column: [value.strip() for value in str(text).split(";") if value.strip()]
                for column, text in row.items() if str(text).strip()}

    # -- comparisons ---------------------------------------------------------------------------

    def comparisons(self, label_set: str, attribute_id: int) -> Comparisons:
        """Return the comparison rows of one label set and attribute, checked against the image list."""
        key = (label_set, attribute_id)
        if key not in self._comparisons:
            self._comparisons[key] = self._read_comparisons(label_set, attribute_id)
        return self._comparisons[key]

    def _read_comparisons(self, label_set: str, attribute_id: int) -> Comparisons:
        file_name, variable = LABEL_SETS[label_set]
        path = self.file(file_name)
        empty = pd.DataFrame(columns=COMPARISON_COLUMNS)
        try:
            cells = read_mat(path, (variable,))[variable]
        except MatReadError as error:
            return Comparisons(empty, [Problem(str(path), str(error).split(": ", 1)[-1], record=variable,
                                               severity="error")])
        if not isinstance(cells, list) or len(cells) != len(ATTRIBUTES):
            return Comparisons(empty, [Problem(str(path), "is not a 1 x 4 cell (one matrix per attribute).",
                                               record=variable, severity="error")])
        record = f"{variable}{{{attribute_id}}}"
        try:
            matrix = np.asarray(cells[attribute_id - 1], dtype=np.float64)
        except (ValueError, TypeError):
            kind = type(cells[attribute_id - 1]).__name__
            return Comparisons(empty, [Problem(str(path), f"contains {kind}, not an N x 6 matrix of numbers.",
                                               record=record, severity="error")])
        if matrix.size == 0:
            return Comparisons(empty)
        if matrix.ndim != 2 or matrix.shape[1] != 6:
            return Comparisons(empty, [Problem(str(path), f"matrix is {matrix.shape}, not N x 6.", record=record,
                                               severity="error")])
        table = pd.DataFrame(matrix, columns=COMPARISON_COLUMNS[1:])
        table.insert(0, "row", np.arange(1, len(table) + 1))
        problems: list[Problem] = []
        not_whole: set[int] = set()
        for column in ("image1", "image2", "attribute_id", "comparison"):
            values = table[column].to_numpy()
            bad = ~np.isfinite(values) | (np.round(values) != values)
            for row_number, value in zip(table["row"][bad].head(20), values[bad][:20]):
                problems.append(Problem(str(path), f"{column} = {value:g} is not a whole number.",
                                        record=f"{record} row {int(row_number)}",
                                        hint="The row is kept, with 0 in that column."))
            not_whole.update(table["row"][bad].tolist())
            # Codes and image numbers are whole numbers; NaN, infinity and fractions become 0, which none of them is.
            table[column] = np.where(bad, 0, np.round(values)).astype(np.int64)
        problems += self._check_rows(table[~table["row"].isin(not_whole)], str(path), record, attribute_id)
        return Comparisons(table, problems)

    def _check_rows(self, table: pd.DataFrame, file_name: str, record: str, attribute_id: int) -> list[Problem]:
        problems = []
        image_count = len(self.catalogue()) if self.catalogue()["index"].gt(0).all() else 0
        if image_count == 0:
            return [Problem(file_name, f"image numbers cannot be looked up without a readable {PATH_FILE}.",
                            record=record, severity="error")]
        for column in ("image1", "image2"):
            # Image numbers count from 1; 0 or a number past the list is a broken reference.
            bad = table[(table[column] < 1) | (table[column] > image_count)]
            for row_number, number in zip(bad["row"].head(20), bad[column].head(20)):
                problems.append(Problem(file_name, f"{column} = {int(number)} is not an image number in "
                                        f"1..{image_count} of {PATH_FILE}.", record=f"{record} row {int(row_number)}"))
        wrong_attribute = table[table.attribute_id != attribute_id]
        if len(wrong_attribute):
            found_ids = sorted({int(v) for v in wrong_attribute.attribute_id})
            problems.append(Problem(file_name, f"{len(wrong_attribute)} rows have attribute id {found_ids} in the "
                                    f"cell of attribute {attribute_id}.", record=record))
        unknown = table[~table.comparison.isin(list(COMPARISONS))]
        if len(unknown):
            problems.append(Problem(file_name, f"{len(unknown)} rows have comparison codes "
                                    f"{sorted({int(v) for v in unknown.comparison})}, not 1, 2 or 3.", record=record))
        return problems

    def pair_sample(self, key: str, sample_id: str) -> Sample:
        """Return comparison row ``sample_id`` of ``<label set>.<attribute>`` as a Sample.

        The sample has no image of its own. Both shoes are in ``related``, their image
        numbers and how they were found in ``fields``, and the outcome and confidence
        in ``labels``.
        """
        label_set, attribute_id = parse_pair_key(key)
        sample = Sample(id=sample_id, split=key)
        table = self.comparisons(label_set, attribute_id).table
        number = int(sample_id) if sample_id.isdigit() else 0
        if not 1 <= number <= len(table):
            sample.problems.append(Problem(LABEL_SETS[label_set][0], f"row {sample_id} not found.", record=key,
                                           severity="error"))
            return sample
        row = table.iloc[number - 1]
        outcome = COMPARISONS.get(int(row["comparison"]), f"code {int(row['comparison'])}")
        sample.labels = {"outcome": [outcome], "confidence": [confidence_text(float(row["confidence"]))[1]]}
        sample.fields = {"comparison": outcome, "confidence": float(row["confidence"]),
                         "agreement": float(row["agreement"])}
        for side in ("image1", "image2"):
            image = int(row[side])
            sample.fields[side] = image
            listed = self.image_number(image)
            if listed is None:
                sample.fields[f"{side} found"] = "out of range"
                sample.related.append(Related(side, "", "", f"image number {image} not in {PATH_FILE}"))
                continue
            sample.fields[f"{side} found"] = self.resolve(listed["listed"]).match
            sample.related.append(Related(side, listed["CID"], "", listed["listed"]))
        return sample


def pair_key(label_set: str, attribute_id: int) -> str:
    """Return the split name of a set's comparison rows in flags and verdicts: ``ordered.open``."""
    return f"{label_set}.{ATTRIBUTES[attribute_id]}"


def parse_pair_key(key: str) -> tuple[str, int]:
    label_set, _, attribute = key.rpartition(".")
    return label_set, {name: number for number, name in ATTRIBUTES.items()}[attribute]


def confidence_text(value: float) -> tuple[str, str]:
    """Return the mean confidence as text and the label of its nearest code: ``("1.4", "very confident")``."""
    if not np.isfinite(value):
        return f"{value:g}", "unknown"
    return f"{value:g}", CONFIDENCE.get(int(round(value)), "unknown")


# ---------------------------------------------------------------------------------------------
# Quality checks and statistics


def check_listed_path(sample: Sample) -> list[Flag]:
    """Flag a shoe whose listed path is not on disk, or is there only under another spelling."""
    listed = sample.fields.get("listed path", "")
    if sample.fields.get("found") == "missing":
        return [Flag("path_not_found", sample.split, sample.id, "", listed)]
    if sample.fields.get("found") == "spelling":
        return [Flag("path_spelling", sample.split, sample.id, "", f"{listed} is {sample.fields.get('on disk')}")]
    return []


def path_checks() -> list[Check]:
    """Return the checks of shoe samples: listed paths not found, or found under another spelling."""
    return [Check("path_not_found", "Path of image-path.mat not found on disk under any spelling.",
                  check_listed_path),
            Check("path_spelling", "Path of image-path.mat found only under another spelling "
                  "(HTML entity, %2E, trailing dot or case).", check_listed_path)]


def check_pair_images(sample: Sample) -> list[Flag]:
    """Flag a comparison row whose image number is outside image-path.mat, or whose image is not on disk."""
    flags = []
    for side in ("image1", "image2"):
        found = sample.fields.get(f"{side} found")
        number = sample.fields.get(side)
        if found == "out of range":
            flags.append(Flag("pair_image_out_of_range", sample.split, sample.id, "", f"{side} = {number}"))
        elif found == "missing":
            flags.append(Flag("pair_image_not_found", sample.split, sample.id, "", f"{side} = {number}"))
    return flags


def pair_checks() -> list[Check]:
    """Return the checks of comparison row samples: image numbers out of range, images not on disk."""
    return [Check("pair_image_out_of_range", f"Image number of the pair is 0 or past the end of {PATH_FILE}.",
                  check_pair_images),
            Check("pair_image_not_found", "Image of the pair not found on disk under any spelling.",
                  check_pair_images)]


def _label_tables(labels: pd.DataFrame) -> DatasetTables:
    return dataclasses.replace(dataset_tables([]), labels=labels)


def catalogue_tables(catalogue: pd.DataFrame, column: str) -> DatasetTables:
    """Return statistics tables whose labels are one catalogue column (Category, SubCategory, Brand) per shoe."""
    return _label_tables(pd.DataFrame({"split": "", "sample_id": catalogue["CID"], "group": column,
                                       "label": catalogue[column]}))


def comparison_tables(table: pd.DataFrame, key: str) -> DatasetTables:
    """Return statistics tables whose labels are the outcome and the confidence of each comparison row."""
    sample_ids = table["row"].astype(str)
    outcomes = [COMPARISONS.get(int(code), f"code {int(code)}") for code in table["comparison"]]
    confidences = [confidence_text(float(value))[1] for value in table["confidence"]]
    return _label_tables(pd.concat([
        pd.DataFrame({"split": key, "sample_id": sample_ids, "group": "outcome", "label": outcomes}),
        pd.DataFrame({"split": key, "sample_id": sample_ids, "group": "confidence", "label": confidences})],
        ignore_index=True))
