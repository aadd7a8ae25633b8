"""Deep Fashion3D quality checks on minimal bad models, and the quality panel, walk and verdicts on the page."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import trimesh

from loaders.deepfashion3d import DeepFashion3DDataset
from loaders.deepfashion3d_quality import model_checks, model_counts, model_sample, obj_counts, ply_header
from loaders.qa import GENERIC_CHECKS, run_checks
from loaders.reviews import ReviewStore
from tests.test_deepfashion3d_page import decode_array

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo" / "deepfashion3d"


@pytest.fixture
def model_root(tmp_path) -> Path:
    """A V2 root holding a copy of demo model 1-1 (long-sleeve top): point cloud, mesh, 4 feature lines, pose."""
    root = tmp_path / "df3d"
    for part in ("point_cloud/1/1-1.ply", "point_cloud/cloth_type_list.txt", "filtered_registered_mesh/1-1",
                 "featureline_annotation/1/1_1", "pose_estimation/1/1_1.pkl"):
        source, target = DEMO / part, root / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    return root


def flags_of(root: Path, model: str = "1-1") -> dict[str, list[str]]:
    """Return the model's flags as check id -> details (with the instance id first when there is one)."""
    sample = model_sample(DeepFashion3DDataset(root), model)
    report = run_checks([sample], GENERIC_CHECKS + model_checks())
    found: dict[str, list[str]] = {}
    for flag in report.flags:
        found.setdefault(flag.check_id, []).append(f"{flag.instance_id} {flag.detail}".strip())
    return found


def write_points(path: Path, points: np.ndarray, colors: np.ndarray | None = None) -> None:
    cloud = trimesh.PointCloud(points, colors=colors)
    path.write_bytes(cloud.export(file_type="ply"))


def mesh_dir(root: Path) -> Path:
    return root / "filtered_registered_mesh" / "1-1"


def test_good_model_has_no_flags(model_root):
    assert flags_of(model_root) == {}


def test_texture_missing_flagged(model_root):
    (mesh_dir(model_root) / "1-1_tex.png").unlink()

    flags = flags_of(model_root)

    assert flags["texture_unresolved"] == ["texture unresolved"]
    assert "obj_without_texture" not in flags


def test_texture_not_an_image_flagged(model_root):
    (mesh_dir(model_root) / "1-1_tex.png").write_bytes(b"this is not a PNG")

    assert flags_of(model_root)["texture_unresolved"] == ["texture unreadable"]


def test_texture_outside_root_flagged(model_root):
    (mesh_dir(model_root) / "model_cleaned.obj.mtl").write_text("newmtl material_0\nmap_Kd ../../../secret.png\n")
    (model_root.parent / "secret.png").write_bytes((mesh_dir(model_root) / "1-1_tex.png").read_bytes())

    flags = flags_of(model_root)

    assert flags["texture_unresolved"] == ["texture unresolved"]
    assert any("points outside the dataset root" in detail for detail in flags["format_problem"])


def test_mesh_folder_without_obj_flagged(model_root):
    (mesh_dir(model_root) / "model_cleaned.obj").unlink()

    assert flags_of(model_root)["mesh_without_obj"] == ["mesh folder has no OBJ"]


def test_obj_without_material_flagged(model_root):
    (mesh_dir(model_root) / "model_cleaned.obj.mtl").unlink()

    flags = flags_of(model_root)

    assert flags["obj_without_texture"] == ["OBJ has no mtllib, .mtl or map_Kd"]
    assert "texture_unresolved" not in flags


def test_feature_line_far_flagged(model_root):
    path = model_root / "featureline_annotation" / "1" / "1_1" / "1_1_4.ply"
    hemline = trimesh.load(path, process=False).vertices
    write_points(path, hemline + [0.0, 0.0, 0.3])

    flags = flags_of(model_root)

    assert len(flags["feature_line_far"]) == 1
    assert flags["feature_line_far"][0].startswith("line 4 median distance ")


def test_feature_line_far_uses_mesh_without_cloud(model_root):
    (model_root / "point_cloud" / "1" / "1-1.ply").unlink()
    path = model_root / "featureline_annotation" / "1" / "1_1" / "1_1_1.ply"
    write_points(path, trimesh.load(path, process=False).vertices + [0.4, 0.0, 0.0])

    assert [detail.split()[:2] for detail in flags_of(model_root)["feature_line_far"]] == [["line", "1"]]


def test_unknown_feature_line_code_flagged(model_root):
    folder = model_root / "featureline_annotation" / "1" / "1_1"
    shutil.copy(folder / "1_1_4.ply", folder / "1_1_7.ply")

    flags = flags_of(model_root)

    assert flags["feature_line_code_unknown"] == ["line 7 code 7 is not a feature line of upper garments"]


def test_pose_file_missing_flagged(model_root):
    (model_root / "pose_estimation" / "1" / "1_1.pkl").unlink()

    flags = flags_of(model_root)

    assert flags["pose_invalid"] == ["pose file missing"]
    # The loader's own message is not counted again as a format_problem.
    assert "format_problem" not in flags


@pytest.mark.parametrize(("record", "expected"), [
    ({"pose": np.zeros(69), "trans": np.zeros(3), "scale": 1.0}, "pose has 69 values, trans 3"),
    ({"pose": np.zeros(72), "trans": np.zeros(2), "scale": 1.0}, "pose has 72 values, trans 2"),
    ({"trans": np.zeros(3), "scale": 1.0}, "pose has 0 values, trans 3"),
])
def test_pose_wrong_shape_flagged(model_root, record, expected):
    (model_root / "pose_estimation" / "1" / "1_1.pkl").write_bytes(pickle.dumps(record, protocol=2))

    assert flags_of(model_root)["pose_invalid"] == [expected]


def test_cloud_without_colours_flagged(model_root):
    path = model_root / "point_cloud" / "1" / "1-1.ply"
    write_points(path, trimesh.load(path, process=False).vertices)

    assert flags_of(model_root)["cloud_without_colours"] == ["7000 points, no colours"]


def test_demo_flags_planted_defects():
    dataset = DeepFashion3DDataset(DEMO)
    report = run_checks([model_sample(dataset, model) for model in dataset.index()], model_checks())

    assert report.samples_checked == 7
    assert {check: count for check, count in report.counts().items() if count} == \
        {"feature_line_far": 1, "pose_invalid": 1}
    assert report.flagged_samples() == [("", "3-2"), ("", "4-1")]
    assert report.flags_for("", "3-2")[0].instance_id == "line 2"


def test_model_counts_from_headers():
    dataset = DeepFashion3DDataset(DEMO)

    assert model_counts(dataset, "1-1") == {"model": "1-1", "garment": "1", "category": "long_sleeve_upper",
                                            "points": 7000, "point colours": True, "faces": 6000,
                                            "feature lines": 4, "pose": True}
    assert model_counts(dataset, "4-1")["faces"] is None
    assert ply_header(DEMO / "featureline_annotation" / "1" / "1_1" / "1_1_1.ply") == (40, False)


def test_obj_counts_line_kinds():
    obj = b"v 0 0 0\r\nv\t1 0 0\nvt 0 0\nvn 0 0 1\nv 0 1 0\n# f 1 2 3\nf 1 2 3\r\nf\t1/1 2/1 3/1\nusemtl a\n"

    assert obj_counts(obj) == (3, 2)


# ---------------------------------------------------------------- the page


def sidebar_check_counts(app) -> dict[str, int]:
    (table,) = [frame for frame in app.sidebar.dataframe if "check" in frame.value.columns]
    return dict(zip(table.value["check"], table.value["flagged"]))


def test_page_quality_panel_counts(run_page):
    app = run_page("deepfashion3d")
    app.button(key="df3d_qa_run").click().run()

    assert not app.exception
    counts = sidebar_check_counts(app)
    assert counts["feature_line_far"] == 1
    assert counts["pose_invalid"] == 1
    assert counts["format_problem"] == 1  # the short trans, reported by the pose reader
    assert counts["texture_unresolved"] == 0
    assert counts["cloud_without_colours"] == 0


def test_page_flagged_only_walk(run_page):
    app = run_page("deepfashion3d")
    app.button(key="df3d_qa_run").click().run()
    app.sidebar.toggle(key="df3d_qa_only").set_value(True).run()

    assert not app.exception
    assert app.selectbox(key="df3d_garment").options == ["3 skirt", "4 short_sleeve_dress"]
    assert app.selectbox(key="df3d_pose").options == ["2"]
    assert app.query_params["sample"] in ("3-2", ["3-2"])
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    hemline = [trace for trace in figure["data"] if trace.get("name", "").startswith("2 hemline")]
    assert hemline[0]["name"] == "2 hemline (flagged)"
    assert hemline[0]["line"]["width"] == 16
    flags = [element.value.replace("\\", "") for element in app.warning]
    assert any(text.startswith("feature_line_far: line 2 median distance") for text in flags)

    app.selectbox(key="df3d_garment").set_value("4").run()
    assert app.query_params["sample"] in ("4-1", ["4-1"])
    flags = [element.value.replace("\\", "") for element in app.warning]
    assert "pose_invalid:  pose has 72 values, trans 2" in flags

    app.sidebar.multiselect(key="df3d_qa_checks").set_value(["pose_invalid"]).run()
    assert app.selectbox(key="df3d_garment").options == ["4 short_sleeve_dress"]


def test_page_verdict_saved_and_filtered(run_page):
    app = run_page("deepfashion3d", query={"sample": "2-2"})
    app.selectbox(key="df3d_verdict").set_value("wrong geometry")
    app.selectbox(key="df3d_verdict_instance").set_value("line 3")
    app.text_area(key="df3d_verdict_note").input("right hem <i>twisted</i>")
    app.text_input(key="reviewer_name").input("li")
    app.button(key="FormSubmitter:df3d_verdict_form-Save verdict").click().run()

    assert not app.exception
    (stored,) = ReviewStore().all()
    assert (stored.family, stored.sample_id, stored.verdict, stored.instance_id, stored.reviewer) == \
        ("deepfashion3d", "2-2", "wrong geometry", "line 3", "li")
    assert stored.note == "right hem <i>twisted</i>"
    history = [frame for frame in app.dataframe if "verdict" in frame.value.columns]
    assert history[0].value.note.tolist() == ["right hem <i>twisted</i>"]

    app.sidebar.radio(key="df3d_reviewed").set_value("reviewed").run()
    assert app.selectbox(key="df3d_garment").options == ["2 long_pants"]
    assert app.selectbox(key="df3d_pose").options == ["2"]
    app.sidebar.radio(key="df3d_reviewed").set_value("unreviewed").run()
    assert app.selectbox(key="df3d_garment").options == ["1 long_sleeve_upper", "2 long_pants", "3 skirt",
                                                         "4 short_sleeve_dress"]
    assert app.selectbox(key="df3d_pose").options == ["1"]


def test_page_statistics_charts(run_page):
    app = run_page("deepfashion3d")
    app.toggle(key="df3d_stats").set_value(True).run()

    assert not app.exception
    specs = {json.loads(chart.proto.spec)["layout"].get("title", {}).get("text"): json.loads(chart.proto.spec)
             for chart in app.get("plotly_chart")}
    bars = specs["Models per category (click to filter)"]["data"][0]
    assert dict(zip(decode_array(bars["x"]).tolist(), decode_array(bars["y"]).tolist())) == \
        {"long_sleeve_upper": 2, "long_pants": 2, "skirt": 2, "short_sleeve_dress": 1}
    assert "Points and faces per model (no mesh: 0 faces; click or lasso to filter)" in specs
    assert app.get("download_button")


def test_real_mesh_folder_without_obj_flagged(realdata):
    dataset = DeepFashion3DDataset(realdata / "deepfashion3d")

    report = run_checks([model_sample(dataset, model) for model in dataset.index()], model_checks())

    assert report.samples_checked == 1
    assert [(flag.check_id, flag.sample_id, flag.detail) for flag in report.flags] == \
        [("mesh_without_obj", "1-1", "mesh folder has no OBJ")]
