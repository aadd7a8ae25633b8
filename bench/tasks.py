"""Single measurements, each run in its own Python process by ``bench/__main__.py``.

Run one by hand with ``python -m bench.tasks TASK '{"argument": ...}'``: it prints one
JSON line with ``seconds`` (the task itself, after the PRELOAD imports),
``import_seconds`` and ``peak_mb`` (the process's peak resident memory, imports
included).
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

TASKS: dict[str, Callable[[dict], None]] = {}


def task(function: Callable[[dict], None]) -> Callable[[dict], None]:
    TASKS[function.__name__] = function
    return function


@task
def orjson_parse(arguments: dict) -> None:
    import orjson

    orjson.loads(Path(arguments["path"]).read_bytes())


@task
def coco_pycocotools(arguments: dict) -> None:
    from pycocotools.coco import COCO

    COCO(arguments["path"])


@task
def coco_index(arguments: dict) -> None:
    """Build the persistent index of a COCO file (the cold open of a page)."""
    from loaders.coco import CocoInstances

    assert CocoInstances(Path(arguments["path"])).load().annotation_count()


@task
def coco_warm(arguments: dict) -> None:
    """Open a Fashionpedia root with the index present and load the first image's annotations, as the page does."""
    from loaders.fashionpedia import FashionpediaDataset

    path = Path(arguments["path"])
    coco = FashionpediaDataset(path.parent).open("train").load()
    assert coco.load_sample(coco.image_ids()[0]).instances


@task
def deepfashion_attr_index(arguments: dict) -> None:
    """Build the index of the Category and Attribute lists (list_attr_img.txt at full size is the big one)."""
    from loaders.deepfashion import detect_benchmarks
    from loaders.deepfashion_benchmarks import open_benchmark

    dataset = open_benchmark(detect_benchmarks(Path(arguments["root"]))["category_attribute"])
    assert dataset.open_index().names("all")


@task
def deepfashion_attr_warm(arguments: dict) -> None:
    """Open the Category and Attribute benchmark with its index present and load the first image's labels."""
    from loaders.deepfashion import detect_benchmarks
    from loaders.deepfashion_benchmarks import open_benchmark

    dataset = open_benchmark(detect_benchmarks(Path(arguments["root"]))["category_attribute"])
    dataset.open_index()
    first = dataset.sample_ids(dataset.splits()[0])[0]
    assert dataset.load_sample(first).instances[0].attribute_ids


@task
def deepfashion2_first_image(arguments: dict) -> None:
    from loaders.deepfashion2 import DeepFashion2Dataset

    dataset = DeepFashion2Dataset(Path(arguments["root"]))
    first = dataset.sample_ids("train")[0]
    assert dataset.load_sample("train", first).instances


@task
def deepfashion2_index(arguments: dict) -> None:
    from loaders.deepfashion2 import DeepFashion2Dataset

    DeepFashion2Dataset(Path(arguments["root"])).index("train").close()


@task
def deepfashion2_warm(arguments: dict) -> None:
    """Open the dataset with its index present and load the first sample, as the page does.

    The page lists the annotation folder and reads the first file; the index (whose
    signature costs one stat per file) is opened only for filters and pair look-ups.
    """
    from loaders.deepfashion2 import DeepFashion2Dataset

    dataset = DeepFashion2Dataset(Path(arguments["root"]))
    first = dataset.sample_ids("train")[0]
    assert dataset.load_sample("train", first).instances


@task
def deepfashion2_index_open(arguments: dict) -> None:
    """Open the present index, which checks the signature of every annotation file first."""
    from loaders.deepfashion2 import DeepFashion2Dataset

    DeepFashion2Dataset(Path(arguments["root"])).index("train").close()


@task
def imaterialist2018_index(arguments: dict) -> None:
    from loaders.imaterialist_index import label_index

    assert label_index(Path(arguments["path"])).image_ids


@task
def imaterialist2018_warm(arguments: dict) -> None:
    """Open the 2018 folder with the split's index present and load the first image's labels."""
    from loaders.imaterialist import LabelRelease

    path = Path(arguments["path"])
    reader = LabelRelease(path.parent)
    first = reader.sample_ids(path.stem)[0]
    assert reader.load_sample(path.stem, first).labels


# Modules imported before the clock starts: an app process imports them once, at its
# first page, and the benchmark compares work on the data, not import times.
PRELOAD = ("numpy", "orjson", "loaders.deepfashion2", "loaders.deepfashion_benchmarks", "pycocotools.coco",
           "loaders.coco")


def main() -> None:
    name, arguments = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    function = TASKS[name]
    start = time.perf_counter()
    for module in PRELOAD:
        importlib.import_module(module)
    imports = time.perf_counter() - start
    start = time.perf_counter()
    function(arguments)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(json.dumps({"task": name, "seconds": seconds, "import_seconds": imports, "peak_mb": peak_mb}))


if __name__ == "__main__":
    main()
