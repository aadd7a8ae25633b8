"""Quality checks: each flags a minimal bad record and passes a good one; real files."""

from pathlib import Path

import numpy as np
import pytest

from loaders.deepfashion2 import DeepFashion2Dataset
from loaders.model import ImageSource, Instance, KeypointSchema, Problem, Sample, Visibility
from loaders.qa import GENERIC_CHECKS, duplicate_instance_ids, run_checks

SQUARE = np.array([[10.0, 10.0], [50.0, 10.0], [50.0, 50.0], [10.0, 50.0]])
SCHEMA = KeypointSchema("pair", ("a", "b"), ((0, 1),))


def good_instance(**changes) -> Instance:
    values = {"id": "i1", "category_id": 1, "category_name": "top", "bbox": np.array([10.0, 10.0, 50.0, 50.0]),
              "polygons": [SQUARE.copy()], "keypoint_schema": SCHEMA,
              "keypoints": np.array([[20, 20, Visibility.VISIBLE], [40, 40, Visibility.OCCLUDED]], dtype=np.float32)}
    return Instance(**{**values, **changes})


def sample_with(instance: Instance, **changes) -> Sample:
    values = {"id": "s1", "split": "val", "width": 100, "height": 100, "instances": [instance],
              "image": ImageSource(array=np.zeros((100, 100), dtype=np.uint8))}
    return Sample(**{**values, **changes})


BAD_CASES = {
    "degenerate_polygon": good_instance(polygons=[np.array([[1.0, 1.0], [5.0, 5.0], [9.0, 9.0]])]),
    "polygon_outside_image": good_instance(polygons=[SQUARE + 70]),
    "box_polygon_mismatch": good_instance(bbox=np.array([10.0, 10.0, 20.0, 20.0])),
    "zero_size_box": good_instance(bbox=np.array([10.0, 10.0, 10.0, 50.0]), polygons=[]),
    "non_finite_coordinates": good_instance(bbox=np.array([10.0, 10.0, np.inf, 50.0]), polygons=[]),
    "keypoint_outside_image": good_instance(
        keypoints=np.array([[120, 20, Visibility.VISIBLE], [40, 40, Visibility.VISIBLE]], dtype=np.float32)),
    "keypoint_far_outside_box": good_instance(
        keypoints=np.array([[95, 95, Visibility.VISIBLE], [40, 40, Visibility.VISIBLE]], dtype=np.float32)),
    "keypoints_all_unlabelled": good_instance(
        keypoints=np.array([[np.nan, np.nan, 0], [np.nan, np.nan, 0]], dtype=np.float32)),
    "keypoint_count": good_instance(keypoints=np.array([[20, 20, Visibility.VISIBLE]], dtype=np.float32)),
}


def test_good_sample_passes_every_check():
    report = run_checks([sample_with(good_instance())], GENERIC_CHECKS)
    assert report.flags == []
    assert report.samples_checked == 1


@pytest.mark.parametrize("check_id", sorted(BAD_CASES))
def test_each_check_flags_its_case(check_id):
    report = run_checks([sample_with(BAD_CASES[check_id])], GENERIC_CHECKS)
    flagged = {flag.check_id for flag in report.flags}
    assert check_id in flagged
    assert report.counts()[check_id] == 1
    assert report.flagged_samples([check_id]) == [("val", "s1")]
    assert all(flag.instance_id == "i1" for flag in report.flags if flag.check_id == check_id)


def test_loader_problem_and_missing_image_flagged(tmp_path):
    sample = sample_with(good_instance(), image=ImageSource(path=tmp_path / "gone.jpg"),
                         problems=[Problem("a.json", "landmark visibility codes [7] are not 0, 1 or 2.", "i1")])
    flagged = {flag.check_id: flag for flag in run_checks([sample], GENERIC_CHECKS).flags}
    assert flagged["format_problem"].detail == "landmark visibility codes [7] are not 0, 1 or 2."
    assert flagged["image_missing"].detail == str(Path(tmp_path / "gone.jpg"))


def test_duplicate_ids_flagged():
    first = sample_with(good_instance(id="7"))
    second = sample_with(good_instance(id="7"), id="s2")
    (flag,) = duplicate_instance_ids([first, second])
    assert (flag.sample_id, flag.instance_id, flag.detail) == ("s2", "7", "id 7 also in sample s1")
    assert duplicate_instance_ids([first, sample_with(good_instance(id="8"), id="s2")]) == []


def test_real_deepfashion2_fixtures_pass_geometry(realdata):
    dataset = DeepFashion2Dataset(realdata / "deepfashion2")
    samples = [dataset.load_sample("validation", sample_id) for sample_id in dataset.sample_ids("validation")]
    report = run_checks(samples, GENERIC_CHECKS)
    assert report.samples_checked == 2
    assert [flag for flag in report.flags if flag.check_id != "image_missing"] == []


def test_format_problem_dropped_when_specific_check_flags():
    sample = sample_with(BAD_CASES["keypoint_count"],
                         problems=[Problem("a.json", "1 landmarks, but top has 2.", "i1"),
                                   Problem("a.json", "image size missing.", "")])
    flags = run_checks([sample], GENERIC_CHECKS).flags
    assert sorted((flag.check_id, flag.instance_id) for flag in flags) == [("format_problem", ""),
                                                                           ("keypoint_count", "i1")]
