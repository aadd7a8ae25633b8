"""Persistent COCO index: equal to a direct parse on the real files, reuse, rebuild, interrupted builds, boxes."""

import json
import multiprocessing
import os
import shutil
import time

import numpy as np
import pytest

from loaders import coco_store
from loaders.coco import CocoInstances
from loaders.coco_geometry import boxes_differ, check_bbox
from loaders.index_store import cache_dir
from loaders.model import box_from_points

REAL_FILES = ["modanet/annotations/modanet2018_instances_train.json",
              "modanet/annotations/modanet2018_instances_val.json",
              "modanet-first-release/annotations/modanet2018_instances_val.json",
              "fashionpedia/data/sample.json"]


def coco_indexes():
    return sorted(path.name for path in cache_dir().glob("coco-*.sqlite"))


@pytest.mark.parametrize("relative", REAL_FILES)
def test_index_equals_direct_parse(realdata, relative):
    path = realdata / relative
    raw = json.loads(path.read_text())
    indexed = CocoInstances(path)
    if "annotations" not in raw:
        # No annotations key: the index cannot find the array, so the file is parsed whole.
        assert indexed.load()._store is None
        assert indexed.annotations_state == "absent"
        return
    assert indexed.load()._store is not None
    assert indexed.image_ids() == [image["id"] for image in raw["images"]]
    assert len(indexed.images) == len(raw["images"])
    for image in raw["images"]:
        assert indexed.images[image["id"]] == image
    assert indexed.annotation_count() == len(raw["annotations"])
    for image in raw["images"]:
        expected = [annotation for annotation in raw["annotations"] if annotation["image_id"] == image["id"]]
        records = indexed.annotation_records(image["id"])
        assert records == expected
        sample = indexed.load_sample(image["id"])
        assert [instance.category_id for instance in sample.instances] == [a["category_id"] for a in expected]
        assert [instance.attribute_ids for instance in sample.instances] == \
            [a.get("attribute_ids", []) for a in expected]
    table = indexed.table()
    assert table.annotation_id.tolist() == [annotation["id"] for annotation in raw["annotations"]]
    assert table.attribute_ids.tolist() == [tuple(a.get("attribute_ids", ())) for a in raw["annotations"]]
    assert set(indexed.categories) == {category["id"] for category in raw["categories"]}


def test_second_open_reads_the_index(realdata, monkeypatch):
    path = realdata / REAL_FILES[0]
    CocoInstances(path).load()
    built = coco_indexes()
    assert len(built) == 1

    def no_build(output, source, progress=None):
        raise AssertionError("the index was built again")

    monkeypatch.setattr(coco_store, "build_store", no_build)
    again = CocoInstances(path)
    assert len(again.load_sample(3).instances) == 2
    assert coco_indexes() == built


def test_touched_file_rebuilds(realdata, tmp_path):
    path = tmp_path / "instances.json"
    shutil.copy(realdata / REAL_FILES[0], path)
    first = CocoInstances(path).load()._store.index_file
    later = time.time() + 5
    os.utime(path, (later, later))
    second = CocoInstances(path).load()._store.index_file
    assert first != second
    assert first.is_file() and second.is_file()


def test_replaced_file_gives_new_records(realdata, tmp_path):
    path = tmp_path / "instances.json"
    raw = json.loads((realdata / REAL_FILES[0]).read_text())
    path.write_text(json.dumps(raw))
    assert CocoInstances(path).annotation_records(3)[0]["category_id"] == 8
    raw["annotations"][0]["category_id"] = 9
    path.write_text(json.dumps(raw, indent=1))
    reread = CocoInstances(path)
    assert reread.annotation_records(3)[0]["category_id"] == 9
    assert reread.table().category_id.iloc[0] == 9


def test_interrupted_build_leaves_no_index(realdata, tmp_path, monkeypatch):
    path = tmp_path / "instances.json"
    shutil.copy(realdata / REAL_FILES[0], path)

    def broken_insert(output, source, progress=None):
        output.execute("CREATE TABLE meta (key, value)")
        raise KeyboardInterrupt

    monkeypatch.setattr(coco_store, "build_store", broken_insert)
    with pytest.raises(KeyboardInterrupt):
        CocoInstances(path).load()
    assert coco_indexes() == []
    assert list(cache_dir().glob("*.tmp-*")) == []
    monkeypatch.undo()
    assert CocoInstances(path).annotation_count() == 228


def test_duplicate_ids_and_orphans_in_index(tmp_path):
    annotations = [{"id": 5, "image_id": 7, "category_id": 1, "segmentation": [[1, 1, 9, 1, 9, 9]]},
                   {"id": 5, "image_id": 7, "category_id": 1, "segmentation": [[1, 1, 9, 1, 9, 9]]},
                   {"id": 6, "image_id": 8, "category_id": 1, "segmentation": [[1, 1, 9, 1, 9, 9]]}]
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({"images": [{"id": 7, "width": 20, "height": 20, "file_name": "7.jpg"}],
                                "annotations": annotations, "categories": [{"id": 1, "name": "top"}]}))
    coco = CocoInstances(path)
    assert coco.duplicate_positions() == {1}
    messages = [problem.message for problem in coco.load().problems]
    assert "1 annotations name an image_id that is not in 'images'; they are not shown." in messages
    assert "1 annotations reuse an id of an earlier annotation." in messages


def test_boxes_equal_direct_computation(realdata):
    path = realdata / REAL_FILES[0]
    raw = json.loads(path.read_text())
    boxes = CocoInstances(path).boxes()
    assert len(boxes) == 228
    for row, annotation in zip(boxes.itertuples(), raw["annotations"]):
        file_box, _ = check_bbox(annotation["bbox"])
        points = np.concatenate([np.reshape(polygon, (-1, 2)) for polygon in annotation["segmentation"]])
        mask_box = box_from_points(points.astype(float))
        assert [row.file_x1, row.file_y1, row.file_x2, row.file_y2] == file_box.tolist()
        assert [row.mask_x1, row.mask_y1, row.mask_x2, row.mask_y2] == mask_box.tolist()
        assert bool(row.differs) == boxes_differ(file_box, mask_box)
    assert int(boxes.differs.sum()) == 70
    # The same numbers from the whole-file parse.
    parsed = CocoInstances(path, byte_index=False).boxes()
    assert parsed.reset_index(drop=True).equals(boxes.reset_index(drop=True))


def _open_and_count(path_text, results):
    from pathlib import Path

    results.put(CocoInstances(Path(path_text)).annotation_count())


def test_concurrent_opens_build_once(realdata, tmp_path, monkeypatch):
    path = tmp_path / "instances.json"
    shutil.copy(realdata / REAL_FILES[0], path)
    build = coco_store.build_store

    def marked_build(output, source, progress=None):
        (tmp_path / f"built-{os.getpid()}").touch()
        time.sleep(0.3)  # keeps the first build running while the others ask for the lock
        build(output, source, progress)

    # Forked workers inherit the patched module.
    monkeypatch.setattr(coco_store, "build_store", marked_build)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_open_and_count, args=(str(path), results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    assert [results.get(timeout=5) for _ in workers] == [228, 228, 228]
    assert len(list(tmp_path.glob("built-*"))) == 1
    assert len(coco_indexes()) == 1
    assert list(cache_dir().glob("*.tmp-*")) == []


def test_dataset_open_reports_build_steps(realdata):
    from loaders.modanet import ModaNetDataset

    steps = []
    coco = ModaNetDataset(realdata / "modanet").open("train", lambda done, total: steps.append((done, total)))
    assert steps == [(1, 3), (2, 3), (3, 3)]
    assert coco.annotation_count() == 228
    again = []
    ModaNetDataset(realdata / "modanet").open("train", lambda done, total: again.append((done, total)))
    assert again == []
