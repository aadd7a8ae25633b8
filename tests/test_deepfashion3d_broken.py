"""Broken Deep Fashion3D inputs: each gives a message naming the file, and the other garments still load."""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import trimesh

from loaders.deepfashion3d import DeepFashion3DDataset
from loaders.deepfashion3d_quality import model_sample
from loaders.model import Problem

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo" / "deepfashion3d"
BROKEN_MODEL = "1-1"


@dataclass
class BrokenInput:
    """A way to damage one file of model 1-1 in a copy of the demo data, and the message it must give."""

    name: str
    relative_path: str  # the damaged file, relative to the root
    damage: Callable[[Path, Path], None]  # (damaged file, folder outside the root) -> None
    part: str  # the loader that meets it: "cloud", "mesh", "pose" or "dataset"
    message: str


def truncate(path: Path, _outside: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def write_cloud_with_nan(path: Path, _outside: Path) -> None:
    points = trimesh.load(path, process=False).vertices.copy()
    points[::100] = np.nan
    points[5, 1] = np.inf
    path.write_bytes(trimesh.PointCloud(points).export(file_type="ply"))


def write_all_nan_cloud(path: Path, _outside: Path) -> None:
    path.write_text("ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\n"
                    "end_header\nnan 0 0\n0 nan 0\n")


def delete(path: Path, _outside: Path) -> None:
    path.unlink()


def texture_outside_root(path: Path, outside: Path) -> None:
    shutil.copy(path.parent / "1-1_tex.png", outside / "stolen.png")
    path.write_text("newmtl material_0\nmap_Kd ../../../outside/stolen.png\n")


def texture_absolute_path(path: Path, outside: Path) -> None:
    shutil.copy(path.parent / "1-1_tex.png", outside / "stolen.png")
    path.write_text(f"newmtl material_0\nmap_Kd {outside / 'stolen.png'}\n")


def not_an_image(path: Path, _outside: Path) -> None:
    path.write_bytes(b"<html>404 Not Found</html>")


def pickle_wrong_types(path: Path, _outside: Path) -> None:
    path.write_bytes(pickle.dumps({"pose": "72 zeros", "trans": [0.0, "up", 0.0], "scale": {"value": 1.0}}))


def pickle_of_a_list(path: Path, _outside: Path) -> None:
    path.write_bytes(pickle.dumps([0.0] * 72, protocol=2))


def cloth_types_in_latin1(path: Path, _outside: Path) -> None:
    path.write_bytes("1 robe_d'été\n2 long_pants\n3 skirt\n4 short_sleeve_dress\n".encode("latin-1"))


CASES = [
    BrokenInput("truncated PLY", "point_cloud/1/1-1.ply", truncate, "cloud",
                "PLY file could not be read: PLY is unexpected length."),
    BrokenInput("PLY with NaN coordinates", "point_cloud/1/1-1.ply", write_cloud_with_nan, "cloud",
                "71 of 7000 vertices have NaN or infinite coordinates and are left out."),
    BrokenInput("PLY with only NaN coordinates", "point_cloud/1/1-1.ply", write_all_nan_cloud, "cloud",
                "all 2 vertices have NaN or infinite coordinates."),
    BrokenInput("OBJ naming a missing .mtl", "filtered_registered_mesh/1-1/model_cleaned.obj.mtl", delete, "mesh",
                "material file model_cleaned.obj.mtl named by the OBJ (mtllib) not found."),
    BrokenInput(".mtl naming a texture outside the root", "filtered_registered_mesh/1-1/model_cleaned.obj.mtl",
                texture_outside_root, "mesh",
                "map_Kd ../../../outside/stolen.png points outside the dataset root; ignored."),
    BrokenInput(".mtl naming a texture by absolute path", "filtered_registered_mesh/1-1/model_cleaned.obj.mtl",
                texture_absolute_path, "mesh", "stolen.png points outside the dataset root; ignored."),
    BrokenInput("texture that is not an image", "filtered_registered_mesh/1-1/1-1_tex.png", not_an_image, "mesh",
                "texture could not be read: cannot identify image file"),
    BrokenInput("pickle with wrong types", "pose_estimation/1/1_1.pkl", pickle_wrong_types, "pose",
                "pose is a str that is not all numbers."),
    BrokenInput("pickle of a list", "pose_estimation/1/1_1.pkl", pickle_of_a_list, "pose",
                "pose file holds a list, not a dict."),
    BrokenInput("cloth_type_list.txt with non-UTF-8 bytes", "point_cloud/cloth_type_list.txt",
                cloth_types_in_latin1, "dataset",
                "line is not valid UTF-8 (invalid continuation byte at byte 9), so undecodable bytes are read as "
                "U+FFFD."),
]


@pytest.fixture
def demo_copy(tmp_path) -> tuple[Path, Path]:
    """Return a copy of the demo root and an existing folder beside it, outside the root."""
    root = tmp_path / "df3d"
    shutil.copytree(DEMO, root)
    outside = tmp_path / "outside"
    outside.mkdir()
    return root, outside


def problems_of(dataset: DeepFashion3DDataset, part: str, model: str) -> list[Problem]:
    if part == "cloud":
        return dataset.load_point_cloud(model).problems
    if part == "mesh":
        return dataset.load_mesh(model).problems
    if part == "pose":
        return dataset.load_pose(model).problems
    dataset.categories()
    return dataset.problems


def loaded_parts(dataset: DeepFashion3DDataset, model: str) -> dict[str, tuple[bool, list[str]]]:
    """Return, per part of a model, whether it loaded and the messages of its problems."""
    parts = {"cloud": dataset.load_point_cloud(model), "mesh": dataset.load_mesh(model),
             "lines": dataset.load_feature_lines(model), "pose": dataset.load_pose(model)}
    return {name: (loaded.value is not None, sorted(problem.message for problem in loaded.problems))
            for name, loaded in parts.items()}


def assert_model_loads(dataset: DeepFashion3DDataset, model: str) -> None:
    """Assert every part of a model loads as it does from the untouched demo data (planted defects included)."""
    assert loaded_parts(dataset, model) == loaded_parts(DeepFashion3DDataset(DEMO), model), model


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_broken_input_reported(demo_copy, case):
    root, outside = demo_copy
    damaged = root / case.relative_path
    case.damage(damaged, outside)
    dataset = DeepFashion3DDataset(root)

    problems = problems_of(dataset, case.part, BROKEN_MODEL)

    matching = [problem for problem in problems if case.message in problem.message]
    assert matching, [str(problem) for problem in problems]
    assert str(damaged) in str(matching[0])
    assert model_sample(dataset, BROKEN_MODEL).id == BROKEN_MODEL  # the quality scan does not raise either
    for model in dataset.index():
        if model.partition("-")[0] != BROKEN_MODEL.partition("-")[0]:
            assert_model_loads(dataset, model)


def test_nan_points_left_out(demo_copy):
    root, outside = demo_copy
    write_cloud_with_nan(root / "point_cloud" / "1" / "1-1.ply", outside)

    cloud = DeepFashion3DDataset(root).load_point_cloud("1-1").value

    assert cloud.points.shape == (7000 - 71, 3)
    assert np.isfinite(cloud.points).all()


def test_non_utf8_cloth_types_keep_other_lines(demo_copy):
    root, outside = demo_copy
    cloth_types_in_latin1(root / "point_cloud" / "cloth_type_list.txt", outside)
    dataset = DeepFashion3DDataset(root)

    categories = dataset.categories()

    assert categories["1"] == "robe_d'\ufffdt\ufffd"
    assert categories["2"] == "long_pants"
    assert categories["3"] == "skirt"
    assert categories["4"] == "short_sleeve_dress"
    assert [problem.record for problem in dataset.problems] == ["line 1"]


def test_texture_outside_root_not_read(demo_copy):
    root, outside = demo_copy
    texture_absolute_path(root / "filtered_registered_mesh" / "1-1" / "model_cleaned.obj.mtl", outside)

    mesh = DeepFashion3DDataset(root).load_mesh("1-1").value

    assert mesh.texture is None
    assert mesh.texture_path is None


def test_page_shows_non_utf8_line(run_page, demo_copy, shown_text):
    root, outside = demo_copy
    cloth_types_in_latin1(root / "point_cloud" / "cloth_type_list.txt", outside)

    app = run_page("deepfashion3d", {"deepfashion3d": root}, query={"sample": "2-1"})

    assert not app.exception
    text = shown_text(app).replace("\\", "")
    assert f"{root / 'point_cloud' / 'cloth_type_list.txt'}, line 1: line is not valid UTF-8" in text
    assert app.selectbox(key="df3d_garment").value == "2"
    assert len(app.get("plotly_chart")) == 3  # model 2-1, then poses 1 and 2 side by side
