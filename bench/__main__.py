"""Benchmarks of fashionviz against pycocotools, orjson and supervision, side by side in one run.

Usage: ``python -m bench --scale S --json PATH [--workdir DIR] [--repeats N]``.

Synthetic datasets of the real formats are written under ``--workdir`` (once per
scale; kept for later runs). Each measurement runs in a new Python process (see
``bench/tasks.py``), so memory peaks do not mix and caches start cold. Timings are
medians of ``--repeats`` runs; cold index builds get a new cache folder each run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import generators

log = logging.getLogger("bench")
PROJECT_DIR = Path(__file__).resolve().parent.parent


def run_task(name: str, arguments: dict, cache_dir: Path) -> dict:
    """Run one task in a new process with the given cache folder; return its JSON line."""
    environment = {**os.environ, "FASHIONVIZ_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(PROJECT_DIR)}
    completed = subprocess.run([sys.executable, "-m", "bench.tasks", name, json.dumps(arguments)],
                               capture_output=True, text=True, env=environment, cwd=PROJECT_DIR, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"task {name} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def median_run(name: str, arguments: dict, repeats: int, cold: bool, work: Path) -> dict:
    """Return the median seconds and the largest peak of ``repeats`` runs of a task."""
    results = []
    shared_cache = work / "cache-warm"
    for _ in range(repeats):
        cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work)) if cold else shared_cache
        results.append(run_task(name, arguments, cache))
    return {"seconds": statistics.median(result["seconds"] for result in results),
            "peak_mb": max(result["peak_mb"] for result in results)}


def prepare(work: Path, scale: float) -> dict[str, Path]:
    """Write the synthetic datasets unless this scale's are there already; return their paths."""
    paths = {"coco": work / "fashionpedia" / "instances_attributes_train2020.json",
             "deepfashion2": work / "deepfashion2",
             "deepfashion": work / "deepfashion",
             "imaterialist2018": work / "imaterialist" / "2018" / "train.json"}
    manifest = work / "MANIFEST.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("scale") == scale:
        return paths
    log.info("writing synthetic datasets at scale %s under %s", scale, work)
    facts = {"scale": scale,
             "coco": generators.write_coco(paths["coco"], scale),
             "deepfashion2_images": generators.write_deepfashion2(paths["deepfashion2"], scale),
             "deepfashion_rows": generators.write_deepfashion_attributes(paths["deepfashion"], scale),
             "imaterialist2018_images": generators.write_imaterialist2018(paths["imaterialist2018"], scale)}
    generators.write_manifest(work, facts)
    return paths


def measure(paths: dict[str, Path], repeats: int, work: Path) -> dict:
    results: dict = {}
    coco = str(paths["coco"])
    theirs = median_run("coco_pycocotools", {"path": coco}, repeats, True, work)
    results["coco_pycocotools_s"] = theirs["seconds"]
    results["coco_pycocotools_peak_mb"] = theirs["peak_mb"]
    results["coco_orjson_parse_s"] = median_run("orjson_parse", {"path": coco}, repeats, True, work)["seconds"]
    ours = median_run("coco_index", {"path": coco}, repeats, True, work)
    results["coco_cold_s"] = ours["seconds"]
    results["coco_peak_mb"] = ours["peak_mb"]
    results["coco_cold_ratio"] = ours["seconds"] / theirs["seconds"]
    results["coco_mem_ratio"] = ours["peak_mb"] / theirs["peak_mb"]
    run_task("coco_index", {"path": coco}, work / "cache-warm")
    coco_warm = median_run("coco_warm", {"path": coco}, repeats, False, work)["seconds"]

    root = str(paths["deepfashion2"])
    results["deepfashion2_first_image_s"] = median_run("deepfashion2_first_image", {"root": root}, repeats, True,
                                                       work)["seconds"]
    results["deepfashion2_index_cold_s"] = median_run("deepfashion2_index", {"root": root}, 1, True, work)["seconds"]
    run_task("deepfashion2_index", {"root": root}, work / "cache-warm")
    results["warm_first_sample_s"] = {
        "deepfashion2": median_run("deepfashion2_warm", {"root": root}, repeats, False, work)["seconds"]}
    results["warm_first_sample_s"]["coco"] = coco_warm
    results["deepfashion2_index_open_s"] = median_run("deepfashion2_index_open", {"root": root}, repeats, False,
                                                      work)["seconds"]

    deepfashion = {"root": str(paths["deepfashion"])}
    results["deepfashion_attr_cold_s"] = median_run("deepfashion_attr_index", deepfashion, repeats, True,
                                                    work)["seconds"]
    run_task("deepfashion_attr_index", deepfashion, work / "cache-warm")
    built = max((work / "cache-warm").glob("deepfashion-lists-*.sqlite"), key=lambda path: path.stat().st_mtime)
    results["deepfashion_attr_index_mb"] = built.stat().st_size / 1e6
    results["warm_first_sample_s"]["deepfashion_attr"] = median_run("deepfashion_attr_warm", deepfashion, repeats,
                                                                    False, work)["seconds"]

    results["imaterialist2018_orjson_parse_s"] = median_run(
        "orjson_parse", {"path": str(paths["imaterialist2018"])}, repeats, True, work)["seconds"]
    imaterialist = {"path": str(paths["imaterialist2018"])}
    results["imaterialist2018_cold_s"] = median_run("imaterialist2018_index", imaterialist, repeats, True,
                                                    work)["seconds"]
    run_task("imaterialist2018_index", imaterialist, work / "cache-warm")
    results["warm_first_sample_s"]["imaterialist2018"] = median_run("imaterialist2018_warm", imaterialist, repeats,
                                                                    False, work)["seconds"]

    from bench.render_case import measure as measure_render

    results.update(measure_render())
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.01, help="fraction of the real dataset sizes (1 = full)")
    parser.add_argument("--json", type=Path, required=True, help="file the results are written to")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="folder for the synthetic datasets (default: bench/out/scale-S)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing; the median is reported")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    work = arguments.workdir or PROJECT_DIR / "bench" / "out" / f"scale-{arguments.scale:g}"
    work.mkdir(parents=True, exist_ok=True)
    paths = prepare(work, arguments.scale)
    results = {"scale": arguments.scale, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                      "platform": platform.platform()}}
    results.update(measure(paths, arguments.repeats, work))
    arguments.json.write_text(json.dumps(results, indent=1))
    log.info("results written to %s", arguments.json)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
