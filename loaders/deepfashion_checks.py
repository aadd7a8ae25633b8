"""DeepFashion quality checks and statistics inputs, on top of the generic checks in ``loaders/qa.py``.

The landmark checks read an image's raw landmark row again (from the index or the
list), because the loaded keypoints no longer show codes outside 0, 1 and 2 or
padding triplets. Samples reach the checks through ``Benchmark.keyed_sample``, so
``sample.fields["image_name"]`` names the image file and ``sample.id`` is the page key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

import numpy as np

from loaders.deepfashion import landmark_schema, tables
from loaders.deepfashion_benchmarks import Benchmark
from loaders.deepfashion_lists import VISIBILITY_CODES, split_landmark_row
from loaders.model import Sample
from loaders.qa import Check, Flag


def _image_name(sample: Sample) -> str:
    return sample.fields.get("image_name", sample.id)


def _triplet_codes(dataset: Benchmark, sample: Sample) -> tuple[int | None, np.ndarray, str] | None:
    """Return clothes_type, the raw visibility codes and the file record of the sample's landmark row."""
    # NOTE: the fine subset keeps landmarks in <split>_landmarks.txt, which landmark_row does not read,
    # so these checks flag nothing there.
    found = dataset.landmark_row(_image_name(sample))
    if found is None:
        return None
    numbers, has_variation, file_name, record = found
    clothes_type, _, triplets = split_landmark_row(numbers, has_variation)
    if triplets is None:
        return None
    return clothes_type, triplets.reshape(-1, 3)[:, 0], f"{file_name}, {record}"


def landmark_count_check(dataset: Benchmark) -> Check:
    """Return the check that flags landmark rows whose triplet count differs from their clothes_type's."""

    def run(sample: Sample) -> list[Flag]:
        found = _triplet_codes(dataset, sample)
        if found is None:
            return []
        clothes_type, codes, where = found
        schema = landmark_schema(clothes_type) if clothes_type is not None else None
        if schema is None or len(codes) == len(schema.keypoint_names):
            return []
        kind = tables()["clothes_types"].get(str(clothes_type), "")
        return [Flag("landmark_count_clothes_type", sample.split, sample.id, "garment",
                     f"{len(codes)} triplets, clothes_type {clothes_type} {kind} has "
                     f"{len(schema.keypoint_names)} landmarks ({where})")]

    return Check("landmark_count_clothes_type",
                 "Landmark row with more or fewer triplets than its clothes_type has landmarks (upper 6, lower 4, "
                 "full 8).", run)


def visibility_code_check(dataset: Benchmark) -> Check:
    """Return the check that flags landmark visibility codes other than 0 visible, 1 occluded, 2 truncated."""

    def run(sample: Sample) -> list[Flag]:
        found = _triplet_codes(dataset, sample)
        if found is None:
            return []
        _, codes, where = found
        unknown = sorted({float(code) for code in codes if code not in VISIBILITY_CODES})
        if not unknown:
            return []
        code_text = ", ".join(f"{code:g}" for code in unknown)
        return [Flag("landmark_visibility_code", sample.split, sample.id, "garment",
                     f"visibility codes {code_text} ({where})")]

    return Check("landmark_visibility_code", "Landmark visibility code other than 0, 1 or 2.", run)


def pair_check(dataset: Benchmark) -> Check:
    """Return the check that flags consumer images without a shop image, or with a shop image not on disk."""

    def run(sample: Sample) -> list[Flag]:
        if not sample.related:
            return [Flag("consumer_shop_pair", sample.split, sample.id, "",
                         "no shop image is paired with this consumer image")]
        missing = [entry.sample_id for entry in sample.related
                   if not dataset.image_path(entry.sample_id).is_file()]
        return [Flag("consumer_shop_pair", sample.split, sample.id, "", f"shop image not found: {name}")
                for name in missing]

    return Check("consumer_shop_pair", "Consumer-to-shop pair with a missing side: no shop image, or its file "
                                       "is not on disk.", run)


def deepfashion_checks(dataset: Benchmark) -> list[Check]:
    """Return the DeepFashion checks that apply to a benchmark."""
    checks = [landmark_count_check(dataset), visibility_code_check(dataset)]
    if dataset.key == "consumer2shop":
        checks.append(pair_check(dataset))
    return checks


def statistics_samples(dataset: Benchmark, keys: Iterable[tuple[str, str]]) -> Iterator[Sample]:
    """Yield the samples for the statistics, with attributes only once: in ``labels``, grouped by type.

    The loaders put each attribute both on the garment and in the sample's labels by type.
    Every sample is loaded, which is one index row each for Category and Attribute and
    Landmark Detection, but a scan of the partition each for the retrieval benchmarks.
    """
    for split, sample_id in keys:
        sample = dataset.keyed_sample(split, sample_id)
        sample.instances = [dataclasses.replace(instance, attributes=[]) for instance in sample.instances]
        yield sample
