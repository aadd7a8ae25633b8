"""COCO instances files: ModaNet, Fashionpedia, and any COCO detection or segmentation set.

An instances file is one JSON object::

    {"images": [{"id", "file_name", "width", "height", ...}],
     "annotations": [{"id", "image_id", "category_id", "segmentation", "bbox", "iscrowd",
                      "attribute_ids"?, "keypoints"?, ...}],
     "categories": [{"id", "name", "supercategory", ...}],
     "attributes"?: [{"id", "name", "supercategory", ...}]}

``segmentation`` is a list of polygons ``[x1, y1, x2, y2, ...]``, a compressed RLE
``{"size": [h, w], "counts": str}`` or an uncompressed RLE (``counts`` a list of
run lengths, usually with ``iscrowd`` 1). A results file is a JSON list of such
annotations with a ``score`` each.

On first use the file is indexed once per version (paths, sizes and modification
times) into a persistent SQLite index (``loaders.coco_store``), which stores the image
records, filter columns and each annotation's byte span. Later processes open that
index instead of the file, so an annotation is read, parsed and turned into an
Instance only when its image is shown. Files whose layout the index cannot handle
are parsed whole instead. An annotation's geometry is validated
(``loaders.coco_geometry``) before pycocotools receives it, so a bad record becomes
a Problem naming the image and annotation ids instead of a crash. Results files
are read by ``loaders.coco_results``.

Usage::

    coco = CocoInstances(Path("instances_val.json"), image_dir=Path("val"))
    sample = coco.load_sample(coco.image_ids()[0])
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from loaders.coco_geometry import (
    BOX_TOLERANCE,
    boxes_differ,
    check_bbox,
    check_segmentation,
    geometry_box,
    integer_id,
    is_int,
    is_number,
)
from loaders.coco_index import MISSING
from loaders.coco_store import (
    BOX_COLUMNS,
    CocoStore,
    StoredImages,
    box_row,
    index_images,
    json_error_text,
    open_store,
    parse_json,
    quoted_ids_problem,
    text_position,
)
from loaders.model import ImageSource, Instance, KeypointSchema, Problem, Sample, Visibility, box_from_points

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Label:
    """One entry of a ``categories`` or ``attributes`` list."""

    id: int
    name: str
    supercategory: str = ""
    level: int | None = None
    keypoints: tuple[str, ...] = ()
    # Skeleton edges as 1-based keypoint index pairs, as COCO writes them.
    skeleton: tuple[tuple[int, int], ...] = ()

    @property
    def tag(self) -> str:
        """Return ``name (supercategory)``, or only the name when it has no supercategory."""
        return f"{self.name} ({self.supercategory})" if self.supercategory else self.name


def read_labels(entries: object, file_name: str, key: str, problems: list[Problem]) -> dict[int, Label]:
    """Index a ``categories`` or ``attributes`` list by id and report entries without an integer id."""
    labels: dict[int, Label] = {}
    if entries is not None and not isinstance(entries, list):
        problems.append(Problem(file_name, f"'{key}' is a JSON {type(entries).__name__}, not a list; it is ignored.",
                                key, severity="error"))
    if not isinstance(entries, list):
        return labels
    for position, entry in enumerate(entries):
        label_id = integer_id(entry.get("id")) if isinstance(entry, dict) else None
        if label_id is None:
            problems.append(Problem(file_name, f"{key} entry {position} has no integer id; it is skipped.",
                                    f"{key}[{position}]"))
            continue
        if not is_int(entry["id"]):
            problems.append(Problem(file_name, f"{key} id {entry['id']!r} is a string; it is read as {label_id}.",
                                    f"{key}[{position}]", severity="info"))
        if label_id in labels:
            problems.append(Problem(file_name, f"{key} id {label_id} is listed twice; the first entry is used.",
                                    f"{key}[{position}]"))
            continue
        skeleton = entry.get("skeleton") if isinstance(entry.get("skeleton"), list) else []
        labels[label_id] = Label(
            id=label_id, name=str(entry.get("name", label_id)), supercategory=str(entry.get("supercategory") or ""),
            level=entry.get("level") if is_int(entry.get("level")) else None,
            keypoints=tuple(str(name) for name in entry.get("keypoints") or [] if isinstance(name, str | int)),
            skeleton=tuple(tuple(edge) for edge in skeleton if isinstance(edge, list) and len(edge) == 2
                           and all(is_int(value) for value in edge)))
    return labels


def table_labels(path: Path) -> tuple[dict[int, Label], dict[int, Label]]:
    """Read the categories and attributes of a project table (or of any COCO-style JSON object)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"top level is a JSON {type(data).__name__}, not an object with 'categories'")
    problems: list[Problem] = []
    return (read_labels(data.get("categories"), str(path), "categories", problems),
            read_labels(data.get("attributes"), str(path), "attributes", problems))


# --- annotations to instances ---------------------------------------------------------------------

# A hook that turns the flat COCO keypoints of one annotation into K x 3 keypoints and a schema.
# It raises ValueError for keypoints it cannot read, and the message is reported on the instance.
KeypointReader = Callable[[np.ndarray, Label | None], tuple[np.ndarray, KeypointSchema | None]]
# COCO keypoint visibility is 0 not labelled, 1 labelled but not visible, 2 visible, as in the model.
COCO_VISIBILITY = {0: Visibility.NOT_LABELLED, 1: Visibility.OCCLUDED, 2: Visibility.VISIBLE}
# Annotation keys that the reader handles itself. Other scalar keys are shown as fields.
KNOWN_KEYS = {"id", "image_id", "category_id", "segmentation", "bbox", "area", "iscrowd", "attribute_ids",
              "keypoints", "num_keypoints", "score"}


def coco_keypoints(flat: np.ndarray, category: Label | None) -> tuple[np.ndarray, KeypointSchema | None]:
    """Return K x 3 keypoints from a flat COCO list, with the category's names and 1-based skeleton."""
    triplets = flat.reshape(-1, 3)
    points = np.empty((len(triplets), 3), dtype=np.float32)
    points[:, :2] = triplets[:, :2]
    points[:, 2] = [COCO_VISIBILITY.get(int(code), Visibility.NOT_LABELLED) for code in triplets[:, 2]]
    # COCO stores unlabelled points as 0, 0, 0: they have no position.
    points[points[:, 2] == Visibility.NOT_LABELLED, :2] = np.nan
    schema = None
    if category is not None and len(category.keypoints) == len(points):
        edges = tuple((a - 1, b - 1) for a, b in category.skeleton)
        schema = KeypointSchema(category.name, category.keypoints, edges)
    return points, schema


@dataclass
class CocoOptions:
    """Reading options that a dataset wrapper passes to the COCO reader."""

    # Name of the group an instance is shown in, from its category (e.g. "garment part").
    group_of: Callable[[Label | None], str] | None = None
    keypoint_reader: KeypointReader = coco_keypoints
    # Which box becomes Instance.bbox when the file's bbox differs from the geometry's box.
    box_source: str = "geometry"  # or "file"


def annotation_instance(record: dict, image: dict | None, categories: dict[int, Label],
                        attributes: dict[int, Label], file_name: str, options: CocoOptions) -> Instance:
    """Turn one annotation (ground truth or result) into an Instance, reporting problems instead of raising."""
    annotation_id = record.get("id")
    image_id = record.get("image_id")
    where = f"image {image_id}, annotation {annotation_id}"
    instance = Instance(id=str(annotation_id))
    width = image.get("width") if image and is_int(image.get("width")) else None
    height = image.get("height") if image and is_int(image.get("height")) else None

    def report(message: str, severity: str = "warning", hint: str = "") -> None:
        instance.problems.append(Problem(file_name, message, where, hint, severity))

    category_id = integer_id(record.get("category_id"))
    category = categories.get(category_id) if category_id is not None else None
    instance.category_id = category_id
    if category is not None:
        instance.category_name = category.name
    else:
        instance.category_name = f"category {category_id}"
        report(f"category_id {record.get('category_id')!r} is not in the categories list.",
               hint="Check that the annotations and the categories come from the same release.")
    if options.group_of is not None:
        instance.group = options.group_of(category)

    _read_attributes(record.get("attribute_ids"), attributes, instance, report)

    geometry = check_segmentation(record.get("segmentation"), width, height)
    for message in geometry.problems:
        report(message, severity="warning" if geometry.polygons or geometry.rle else "error")
    for message in geometry.notes:
        report(message, severity="info")
    instance.polygons = geometry.polygons
    instance.rle = geometry.rle

    file_box, reason = check_bbox(record.get("bbox"))
    if reason:
        report(reason)
    drawn_box = geometry_box(geometry.polygons, geometry.rle)
    instance.bbox = drawn_box if drawn_box is not None else file_box
    if file_box is not None and drawn_box is not None:
        instance.fields["file bbox"] = file_box
        if boxes_differ(file_box, drawn_box):
            instance.fields["bbox differs"] = True
            report(_box_mismatch_text(file_box, drawn_box, geometry.polygons), severity="info")
            if options.box_source == "file":
                instance.bbox = file_box
    if instance.bbox is None and not instance.polygons and instance.rle is None:
        report("annotation has no usable segmentation and no bbox; nothing can be drawn.", severity="error")

    if record.get("keypoints") is not None:
        _read_keypoints(record["keypoints"], category, instance, report, options)
    score = record.get("score")
    if score is not None:
        if is_number(score) and math.isfinite(score):
            instance.score = float(score)
        else:
            report(f"score {score!r} is not a finite number.")
    instance.fields["iscrowd"] = record.get("iscrowd", 0)
    if "area" in record:
        area = record["area"]
        if is_number(area) and math.isfinite(area) and area >= 0:
            instance.fields["area"] = area
        else:
            # The area is only shown, so a bad value is reported and left out.
            report(f"area {area!r} is not a finite number of at least 0.")
    for key, value in record.items():
        if key not in KNOWN_KEYS and isinstance(value, int | float | str | bool):
            instance.fields[key] = value
    return instance


def _read_attributes(raw: object, attributes: dict[int, Label], instance: Instance, report) -> None:
    if raw is None:
        return
    if not isinstance(raw, list) or not all(is_int(value) for value in raw):
        report(f"attribute_ids {raw!r} is not a list of integers.")
        return
    for attribute_id in raw:
        label = attributes.get(attribute_id)
        instance.attribute_ids.append(attribute_id)
        if label is None:
            instance.attributes.append(f"attribute {attribute_id}")
            report(f"attribute id {attribute_id} is not in the attributes list (ids have gaps: look up by id).")
        else:
            instance.attributes.append(label.name)


def _read_keypoints(raw: object, category: Label | None, instance: Instance, report, options: CocoOptions) -> None:
    if not isinstance(raw, list) or len(raw) % 3 or not all(is_number(value) for value in raw):
        report("keypoints is not a flat list of x, y, v numbers.")
        return
    flat = np.asarray(raw, dtype=np.float64)
    if not np.isfinite(flat).all():
        report("keypoints contains NaN or infinite values.")
        return
    try:
        instance.keypoints, instance.keypoint_schema = options.keypoint_reader(flat, category)
    except ValueError as error:
        report(f"{error}")


def _box_mismatch_text(file_box: np.ndarray, drawn_box: np.ndarray, polygons: list[np.ndarray]) -> str:
    shown = ", ".join(f"{value:.0f}" for value in file_box)
    computed = ", ".join(f"{value:.0f}" for value in drawn_box)
    text = f"file bbox (xyxy {shown}) differs from the box of the mask (xyxy {computed})"
    if len(polygons) > 1 and np.abs(box_from_points(polygons[-1]) - file_box).max() <= BOX_TOLERANCE:
        return text + f": it covers only the last of the {len(polygons)} polygons."
    return text + "."


def orphan_record(position: int, annotation_id: int, image_id: int) -> str:
    """Return the record text of an annotation whose image is not listed, from its position and integer keys."""
    shown = [f"annotations[{position}]"]
    shown.append(f"id {annotation_id}" if annotation_id != MISSING else "no integer id")
    shown.append(f"image_id {image_id}" if image_id != MISSING else "no integer image_id")
    return ", ".join(shown)


# --- one instances file ---------------------------------------------------------------------------

class CocoInstances:
    """Lazy reader of one COCO instances file (layout in the module docstring).

    ``categories`` and ``attributes`` are the built-in tables used only when the file
    has no list of its own: a file's own lists always win, because sample files and
    older releases number their categories and attributes differently.
    """

    TABLE_COLUMNS = ["image_id", "annotation_id", "category_id", "attribute_ids", "iscrowd"]

    def __init__(self, path: Path, image_dir: Path | None = None, categories: dict[int, Label] | None = None,
                 attributes: dict[int, Label] | None = None, options: CocoOptions | None = None,
                 image_name: Callable[[dict], str] | None = None, byte_index: bool = True):
        self.path = Path(path)
        # False parses the whole file at once instead of using the persistent index (loaders.coco_store).
        self.byte_index = byte_index
        self.image_dir = Path(image_dir) if image_dir is not None else self.path.parent
        self.options = options or CocoOptions()
        self._fallback_categories = categories or {}
        self._fallback_attributes = attributes or {}
        self._image_name = image_name
        self._loaded = False
        # Split name that samples carry (set by CocoDataset.open), for flags and verdicts.
        self.split = ""
        # Folder image paths must stay inside (set by CocoDataset.open to the dataset root).
        self.root: Path | None = None
        self.problems: list[Problem] = []
        # A dict when the file is parsed whole, a StoredImages view of the index otherwise.
        self.images: Mapping[int, dict] = {}
        self.categories: dict[int, Label] = {}
        self.attributes: dict[int, Label] = {}
        # "file" when the file has its own list, "table" when the built-in table is used, "none" otherwise.
        self.label_source = {"categories": "none", "attributes": "none"}
        # "present", "empty" ([] in the file) or "absent" (no key), and "unreadable" when parsing failed.
        self.annotations_state = "absent"
        # The persistent index, or for files it cannot index (irregular layouts) the parsed records.
        self._store: CocoStore | None = None
        self._records: list = []
        self._count = 0
        self._by_image: dict[int, np.ndarray] = {}
        self._table = pd.DataFrame(columns=self.TABLE_COLUMNS)

    # Indexing (or parsing) happens once, on the first call that needs it.
    def load(self) -> CocoInstances:
        if self._loaded:
            return self
        self._loaded = True
        name = str(self.path)
        if not self.path.is_file():
            self._fail(Problem(name, "annotation file not found.", severity="error"))
            return self
        if self.byte_index and self._open_store():
            return self
        try:
            data = self._read_whole()
        except FileNotFoundError:
            self._fail(Problem(name, "annotation file not found.", severity="error"))
            return self
        except OSError as error:
            self._fail(Problem(name, f"file could not be read: {error}.", severity="error"))
            return self
        except orjson.JSONDecodeError as error:
            self._fail(Problem(name, f"file could not be parsed as JSON: "
                                     f"{json_error_text(error, self.path.stat().st_size)}.",
                               f"line {error.lineno}, column {error.colno}",
                               hint="Download or extract the file again.", severity="error"))
            return self
        if not isinstance(data, dict):
            self._fail(Problem(name, f"top level is a JSON {type(data).__name__}, not an object with 'images'.",
                               hint="A list of annotations is a results file: open it as predictions.",
                               severity="error"))
            return self

        self.images, problems = index_images(data.get("images"), name)
        self.problems.extend(problems)
        self._read_labels(data)
        self._index_annotations(data)
        log.info("%s: %d images, %d annotations (parsed whole), %d categories (%s), %d attributes (%s)", name,
                 len(self.images), self._count, len(self.categories), self.label_source["categories"],
                 len(self.attributes), self.label_source["attributes"])
        return self

    def _open_store(self) -> bool:
        """Use the persistent index when the file's layout allows one; return whether it is used."""
        try:
            store = open_store(self.path)
        except (OSError, sqlite3.Error) as error:
            log.error("%s: index could not be built or opened (%s); parsing the file whole", self.path, error)
            return False
        if not store.indexable:
            store.connection.close()
            return False
        self._store = store
        self.images = StoredImages(store.connection)
        self.problems.extend(store.problems())
        self._read_labels(store.top_level())
        self._count = int(store.meta["annotation_count"])
        self.annotations_state = "present" if self._count else "empty"
        orphans = int(store.meta["orphans"])
        first = orphan_record(int(store.column("orphan_position")[0]), int(store.column("orphan_id")[0]),
                              int(store.column("orphan_image_id")[0])) if orphans else ""
        self._annotation_problems(orphans, int(store.meta["duplicates"]), first)
        log.info("%s: %d annotations, index %s", self.path, self._count, store.index_file)
        return True

    def _read_labels(self, data: dict) -> None:
        self.categories, self.label_source["categories"] = self._labels(data, "categories",
                                                                        self._fallback_categories)
        self.attributes, self.label_source["attributes"] = self._labels(data, "attributes",
                                                                        self._fallback_attributes)

    def _read_whole(self) -> object:
        data, problems = parse_json(self.path.read_bytes(), str(self.path))
        self.problems.extend(problems)
        return data

    def _fail(self, problem: Problem) -> None:
        self.annotations_state = "unreadable"
        self.problems.append(problem)
        log.error("%s", problem)

    def _labels(self, data: dict, key: str, fallback: dict[int, Label]) -> tuple[dict[int, Label], str]:
        own = read_labels(data.get(key), str(self.path), key, self.problems)
        if own:
            return own, "file"
        return dict(fallback), "table" if fallback else "none"

    def _index_annotations(self, data: dict) -> None:
        name = str(self.path)
        if "annotations" not in data:
            self.annotations_state = "absent"
            self.problems.append(Problem(name, f"the file has no 'annotations' key; its {len(self.images)} "
                                         "images are shown without annotations.", severity="info"))
            return
        if not isinstance(data["annotations"], list):
            self.annotations_state = "unreadable"
            self.problems.append(Problem(name, "'annotations' is not a list.", severity="error"))
            return
        self._records = data["annotations"]
        self._count = len(self._records)
        self.annotations_state = "present" if self._count else "empty"
        table = self._scalar_table()
        quoted = [record for record in self._records if isinstance(record, dict) and any(
            isinstance(record.get(key), str) and integer_id(record[key]) is not None
            for key in ("id", "image_id", "category_id", "iscrowd"))]
        if quoted:
            first_id = integer_id(quoted[0].get("id"))
            self.problems.append(quoted_ids_problem(name, len(quoted), MISSING if first_id is None else first_id))
        known = table.image_id.isin(list(self.images))
        ids = table.annotation_id[table.annotation_id != MISSING]
        orphans = table[~known]
        first = orphan_record(int(orphans.index[0]), int(orphans.annotation_id.iloc[0]),
                              int(orphans.image_id.iloc[0])) if len(orphans) else ""
        self._annotation_problems(len(orphans), int(ids.duplicated().sum()), first)
        self._table = table[known]
        self._by_image = {int(image_id): positions for image_id, positions in
                          self._table.groupby("image_id", sort=False).indices.items()}
        # Positions in the groups are rows of the filtered table; map them back to file positions.
        file_positions = self._table.index.to_numpy()
        self._by_image = {image_id: file_positions[rows] for image_id, rows in self._by_image.items()}

    def _annotation_problems(self, orphans: int, duplicates: int, first_orphan: str) -> None:
        name = str(self.path)
        if self.annotations_state == "empty":
            self.problems.append(Problem(name, f"'annotations' is empty; its {len(self.images)} images are "
                                         "shown without annotations.", severity="info"))
        if orphans:
            self.problems.append(Problem(name, f"{orphans} annotations name an image_id that is not in 'images'; "
                                         "they are not shown.", f"first: {first_orphan}"))
        if duplicates:
            self.problems.append(Problem(name, f"{duplicates} annotations reuse an id of an earlier annotation.",
                                         hint="Older copies of some datasets had duplicate ids; use the "
                                              "re-issued file if there is one."))

    def _scalar_table(self) -> pd.DataFrame:
        """Return the filter keys of every parsed annotation, indexed by its position in the file."""
        rows = []
        for record in self._records:
            record = record if isinstance(record, dict) else {}
            raw = record.get("attribute_ids")
            keys = [integer_id(record.get(key)) for key in ("image_id", "id", "category_id", "iscrowd")]
            # The byte index keeps only lists of integers, so other lists become () here too.
            attribute_ids = tuple(raw) if isinstance(raw, list) and all(is_int(value) for value in raw) else ()
            rows.append(tuple(MISSING if value is None else value for value in keys[:3])
                        + (attribute_ids, 0 if keys[3] is None else keys[3]))
        return pd.DataFrame(rows, columns=self.TABLE_COLUMNS)

    def image_ids(self) -> list[int]:
        """Return the image ids in file order."""
        return list(self.load().images)

    def annotation_count(self) -> int:
        return self.load()._count

    def annotation_records(self, image_id: int) -> list[dict]:
        """Return the annotation records of one image in file order, parsing them from the file if needed."""
        return [record for record, _ in self._records_of(image_id) if isinstance(record, dict)]

    def _records_of(self, image_id: int) -> list[tuple[object, list[Problem]]]:
        """Return one image's annotation records with the problems met parsing them (None when unparsable)."""
        self.load()
        if self._store is None:
            return [(self._records[int(position)], []) for position in self._by_image.get(image_id, ())]
        spans = self._store.spans(image_id)
        return [self._parse_record(text, image_id, annotation_id, start) for (_, annotation_id, start, _), text
                in zip(spans, self._store.read_spans(spans))]

    def _parse_record(self, text: bytes, image_id: int, annotation_id: int,
                      start: int) -> tuple[object, list[Problem]]:
        where = f"image {image_id}, annotation {annotation_id if annotation_id != MISSING else '?'}"
        try:
            record, problems = parse_json(text, str(self.path), lambda offset: self._text_position(start + offset))
        except orjson.JSONDecodeError as error:
            # orjson counts lines and columns from the annotation's "{": convert them to the file's.
            line, column = self._text_position(start)
            if error.lineno > 1:
                line, column = line + error.lineno - 1, error.colno
            else:
                column += error.colno - 1
            return None, [Problem(str(self.path), f"annotation is not valid JSON: {error.msg} at line {line}, "
                                                  f"column {column}.", where,
                                  hint="Download or extract the file again.", severity="error")]
        return record, [dataclasses.replace(problem, record=where) for problem in problems]

    def _text_position(self, offset: int) -> tuple[int, int]:
        with self.path.open("rb") as handle:
            return text_position(handle, offset)

    def image_path(self, record: dict) -> Path:
        """Return where the image file of an image record is expected."""
        name = self._image_name(record) if self._image_name else str(record.get("file_name") or "")
        return self.image_dir / name

    def load_sample(self, image_id: int) -> Sample:
        """Build the Sample of one image, converting only that image's annotations."""
        self.load()
        record = self.images.get(image_id)
        if record is None:
            sample = Sample(id=str(image_id), split=self.split)
            sample.problems.append(Problem(str(self.path), "image id not found in 'images'.", f"image {image_id}",
                                           severity="error"))
            return sample
        url = str(record.get("coco_url") or record.get("original_url") or "")
        image = ImageSource(path=self.image_path(record), url=url, root=self.root)
        sample = Sample(id=str(image_id), split=self.split, image=image)
        file_name = record.get("file_name")
        if self._image_name is None and (not isinstance(file_name, str) or not file_name):
            sample.problems.append(Problem(str(self.path), f"image file_name {file_name!r} is not a file name, so "
                                           "the image cannot be found.", f"image {image_id}", severity="error"))

        for key in ("width", "height"):
            value = record.get(key)
            if is_int(value) and value > 0:
                setattr(sample, key, value)
            elif value is not None:
                sample.problems.append(Problem(str(self.path), f"image {key} {value!r} is not a positive integer; "
                                               "the size of the image file is used.", f"image {image_id}"))
        # Geometry checks compare with the image size only when both sides are valid.
        record = {**record, "width": sample.width, "height": sample.height}
        sample.fields = {key: value for key, value in record.items() if key not in ("id", "width", "height")
                         and isinstance(value, int | float | str) and value != ""}

        for annotation, problems in self._records_of(image_id):
            sample.problems.extend(problems)
            if annotation is None:
                continue
            if not isinstance(annotation, dict):
                sample.problems.append(Problem(str(self.path), "annotation is not a JSON object.",
                                               f"image {image_id}"))
                continue
            instance = annotation_instance(annotation, record, self.categories, self.attributes, str(self.path),
                                           self.options)
            sample.instances.append(instance)
            sample.problems.extend(instance.problems)
        return sample

    def table(self) -> pd.DataFrame:
        """Return one row per annotation of a listed image, for filters.

        Columns: image_id, annotation_id, category_id, attribute_ids (tuple), iscrowd.
        Integer keys missing from an annotation are MISSING. Geometry is not validated.
        """
        self.load()
        if self._store is not None and self._table.empty and self._count:
            self._table = self._store.table()
        return self._table

    def boxes(self, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
        """Return per annotation the file box, the mask's box and whether they differ (``BOX_COLUMNS``).

        Parses every segmentation once; with the persistent index the result is stored too.
        """
        self.load()
        if self._store is not None:
            return self._store.boxes(progress)
        table = self._table
        rows = [(position, image_id, category_id, *box_row(self._records[position])) for position, image_id,
                category_id in zip(table.index.tolist(), table.image_id.tolist(), table.category_id.tolist())]
        return pd.DataFrame(rows, columns=BOX_COLUMNS)

    def orphans(self) -> pd.DataFrame:
        """Return position, annotation_id and image_id of the annotations whose image_id is not in 'images'."""
        self.load()
        if self._store is not None:
            return self._store.orphans()
        table = self._scalar_table() if self._records else pd.DataFrame(columns=self.TABLE_COLUMNS)
        orphans = table[~table.image_id.isin(list(self.images))]
        return pd.DataFrame({"position": orphans.index.to_numpy(dtype=np.int64),
                             "annotation_id": orphans.annotation_id.to_numpy(dtype=np.int64),
                             "image_id": orphans.image_id.to_numpy(dtype=np.int64)})

    def duplicate_positions(self) -> set[int]:
        """Return the file positions of annotations whose id an earlier annotation already has."""
        self.load()
        if self._store is not None:
            return self._store.duplicate_ids()
        ids = self._scalar_table().annotation_id if self._records else pd.Series(dtype="int64")
        return set(ids.index[ids.duplicated() & (ids != MISSING)].tolist())


def matching_images(table: pd.DataFrame, category_ids: Sequence[int] = (), attribute_ids: Sequence[int] = (),
                    require_all: bool = False) -> list[int]:
    """Return the ids of images with at least one annotation that matches every given filter.

    The filters apply to the same annotation: category in ``category_ids`` (when given)
    and carrying any (or, with ``require_all``, all) of ``attribute_ids`` (when given).
    """
    keep = instance_matches_table(table, category_ids, attribute_ids, require_all)
    return list(dict.fromkeys(table.image_id[keep]))


def instance_matches_table(table: pd.DataFrame, category_ids: Sequence[int], attribute_ids: Sequence[int],
                           require_all: bool) -> pd.Series:
    keep = pd.Series(True, index=table.index)
    if category_ids:
        keep &= table.category_id.isin(list(category_ids))
    if attribute_ids:
        requested = set(attribute_ids)
        test = requested.issubset if require_all else requested.intersection
        keep &= table.attribute_ids.map(lambda ids: bool(test(ids)))
    return keep


def instance_matches(instance: Instance, category_ids: Sequence[int], attribute_ids: Sequence[int],
                     require_all: bool) -> bool:
    """Return whether one instance passes the category and attribute filters of ``matching_images``."""
    if category_ids and instance.category_id not in category_ids:
        return False
    if attribute_ids:
        requested = set(attribute_ids)
        have = set(instance.attribute_ids)
        return requested <= have if require_all else bool(requested & have)
    return True


# --- DeepFashion2 in the layout of its official COCO converter ------------------------------------

def read_deepfashion2_coco(path: Path, image_dir: Path | None = None) -> CocoInstances:
    """Open a DeepFashion2 file written by the official ``deepfashion2_to_coco.py`` converter.

    Each annotation has 294 keypoint slots; the instances this reader returns carry
    only their category's slice (e.g. slots 219..255 for category 11) with that
    category's landmark names and skeleton, plus ``pair_id`` and ``style`` in
    ``Instance.fields``. Categories are named from the DeepFashion2 table by id,
    because the converter's underscore names differ from the per-image files.
    """
    from loaders import deepfashion2

    table = {entry_id: Label(entry_id, entry["name"], "clothes") for entry_id, entry in
             deepfashion2.categories().items()}

    def slice_keypoints(flat: np.ndarray, category: Label | None) -> tuple[np.ndarray, KeypointSchema | None]:
        points, _ = coco_keypoints(flat, None)
        entry = deepfashion2.categories().get(category.id) if category is not None else None
        if entry is None:
            return points, None
        start = entry["slot_start"]
        if len(points) < start + entry["num_keypoints"]:
            raise ValueError(f"keypoints has {len(points)} slots, but category {category.id} uses slots "
                             f"{start + 1}..{start + entry['num_keypoints']} of the converter's 294; "
                             "they are not drawn.")
        return points[start:start + entry["num_keypoints"]], deepfashion2.keypoint_schema(category.id)

    # DeepFashion2 boxes are annotated, not derived from the polygons, so the file's box is drawn.
    options = CocoOptions(keypoint_reader=slice_keypoints, box_source="file")
    coco = CocoInstances(path, image_dir=image_dir, options=options)
    coco.load()
    # Names by id from the project table win over the converter's names (short_sleeved_shirt, ...).
    coco.categories = {**coco.categories, **table}
    return coco


# --- finding files under a dataset root -----------------------------------------------------------

class CocoDataset:
    """A dataset root with one COCO instances file per split; subclasses find the files and image folders."""

    # Split names in display order; others follow, sorted by name.
    split_order: tuple[str, ...] = ("train", "val", "test")

    def __init__(self, root: Path):
        self.root = Path(root)
        self._files: dict[str, Path] | None = None
        self._opened: dict[str, CocoInstances] = {}

    def find_files(self) -> dict[str, Path]:
        """Return the annotation files under the root by split name (unordered)."""
        raise NotImplementedError

    def open_file(self, name: str, path: Path) -> CocoInstances:
        """Return an unparsed CocoInstances for one annotation file, with its tables and image folder."""
        raise NotImplementedError

    def annotation_files(self) -> dict[str, Path]:
        """Return the annotation file of each split, in ``split_order``."""
        if self._files is None:
            order = {name: index for index, name in enumerate(self.split_order)}
            found = self.find_files()
            self._files = dict(sorted(found.items(), key=lambda item: (order.get(item[0], 99), item[0])))
        return self._files

    def splits(self) -> list[str]:
        return list(self.annotation_files())

    def open(self, name: str, progress: Callable[[int, int], None] | None = None) -> CocoInstances:
        """Return the reader of split ``name``, created once per dataset object.

        ``progress(done, total)`` reports the steps of building the file's index when it has none yet.
        """
        if name not in self._opened:
            if progress is not None:
                self._build_index(self.annotation_files()[name], progress)
            self._opened[name] = self.open_file(name, self.annotation_files()[name])
            self._opened[name].split = name
            self._opened[name].root = self.root
        return self._opened[name]

    @staticmethod
    def _build_index(path: Path, progress: Callable[[int, int], None]) -> None:
        try:
            open_store(path, progress).connection.close()
        except (OSError, sqlite3.Error) as error:
            log.error("%s: index could not be built (%s); the reader reports it when it opens the file", path, error)


def json_kind(path: Path) -> str:
    """Return "object", "list" or "other" from the first non-blank byte of a JSON file, without parsing it."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return "other"
    return {b"{": "object", b"[": "list"}.get(head[:1], "other")


def find_image_dir(candidates: Sequence[Path], file_names: Sequence[str]) -> Path | None:
    """Return the first existing candidate folder that contains any of ``file_names``, else the first existing one."""
    existing = [folder for folder in candidates if folder.is_dir()]
    for folder in existing:
        if any((folder / name).is_file() for name in file_names):
            return folder
    return existing[0] if existing else None


def instance_table(instances: list[Instance], attributes: dict[int, Label] | None = None) -> pd.DataFrame:
    """Return one row per instance for the page's table: ids, category, group, boxes, attributes with groups."""
    rows = []
    for instance in instances:
        row = {"id": instance.id, "category": f"{instance.category_id} {instance.category_name}"}
        if instance.group:
            row["group"] = instance.group
        if instance.score is not None:
            row["score"] = round(instance.score, 3)
        row["mask"] = "RLE" if instance.rle is not None else f"{len(instance.polygons)} polygons"
        row["box drawn (xyxy)"] = _box_text(instance.bbox)
        file_box = instance.fields.get("file bbox")
        row["file bbox (xyxy)"] = _box_text(file_box if isinstance(file_box, np.ndarray) else None)
        row["bbox differs"] = bool(instance.fields.get("bbox differs"))
        if attributes is not None:
            row["attributes (group)"] = "; ".join(
                attributes[attribute_id].tag if attribute_id in attributes else f"attribute {attribute_id}"
                for attribute_id in instance.attribute_ids)
        for key, value in instance.fields.items():
            if key not in ("file bbox", "bbox differs"):
                row[key] = value
        rows.append(row)
    return pd.DataFrame(rows)


def _box_text(box: np.ndarray | None) -> str:
    return "" if box is None else ", ".join(f"{value:.0f}" for value in box)
