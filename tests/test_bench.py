"""The benchmark command runs at a small scale and writes every documented key."""

import json
import subprocess
import sys

from tests.conftest import PROJECT_DIR

KEYS = ["coco_cold_s", "coco_pycocotools_s", "coco_cold_ratio", "coco_peak_mb", "coco_pycocotools_peak_mb",
        "coco_mem_ratio", "coco_orjson_parse_s", "warm_first_sample_s", "deepfashion2_first_image_s",
        "deepfashion2_index_cold_s", "deepfashion_attr_cold_s", "deepfashion_attr_index_mb",
        "imaterialist2018_cold_s", "imaterialist2018_orjson_parse_s", "render_ms", "render_supervision_ms",
        "render_ratio"]
WARM_FORMATS = ["coco", "deepfashion2", "deepfashion_attr", "imaterialist2018"]


def test_bench_writes_every_key(tmp_path):
    out = tmp_path / "out.json"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "0.01", "--json", str(out), "--workdir", str(tmp_path / "data"),
         "--repeats", "1"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(out.read_text())
    missing = [key for key in KEYS if key not in results]
    assert missing == []
    assert sorted(results["warm_first_sample_s"]) == sorted(WARM_FORMATS)
    for key in KEYS:
        if key != "warm_first_sample_s":
            assert results[key] > 0, key
    assert all(value > 0 for value in results["warm_first_sample_s"].values())
