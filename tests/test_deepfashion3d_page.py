"""AppTest runs of the Deep Fashion3D page on the demo data, the real files and a 500k-face mesh."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
from PIL import Image

from tests.test_deepfashion3d_render import wavy_grid


def chart_specs(app) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def trace_names(spec: dict) -> list[str]:
    return [trace.get("name") for trace in spec["data"]]


def decode_array(value: dict | list) -> np.ndarray:
    """Return a plotly typed array ({"dtype", "bdata", "shape"}) or a plain list as numpy."""
    if isinstance(value, list):
        return np.asarray(value)
    shape = tuple(int(size) for size in str(value.get("shape", "-1")).split(","))
    return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).reshape(shape)


def texts(app) -> list[str]:
    return [element.value for element in app.text]


def alert_texts(alerts) -> list[str]:
    """Return the text of st.error or st.warning elements without their markdown escapes."""
    return [element.value.replace("\\", "") for element in alerts]


def test_page_demo_data(run_page):
    app = run_page("deepfashion3d")

    assert not app.exception
    specs = chart_specs(app)
    assert len(specs) == 3  # the model, then poses 1 and 2 side by side
    assert trace_names(specs[0]) == ["mesh", "point cloud", "1 neckline", "2 left cuff", "3 right cuff",
                                     "4 hemline"]
    assert [spec["layout"]["title"]["text"] for spec in specs[1:]] == ["1-1", "1-2"]
    mesh = specs[0]["data"][0]
    assert decode_array(mesh["facecolor"]).shape == (6000, 3)
    assert "Mesh: 6,000 of 6,000 faces drawn" in texts(app)
    assert "Point cloud: 7,000 of 7,000 points drawn" in texts(app)
    assert len(app.dataframe[0].value) == 24
    assert app.query_params["sample"] in ("1-1", ["1-1"])


def test_page_deep_link_selects_model(run_page):
    app = run_page("deepfashion3d", query={"sample": "3-2"})

    assert not app.exception
    assert app.session_state["df3d_garment"] == "3"
    assert app.session_state["df3d_pose"] == "2"
    assert trace_names(chart_specs(app)[0]) == ["mesh", "point cloud", "1 waistline", "2 hemline"]


def test_page_model_without_mesh(run_page):
    app = run_page("deepfashion3d", query={"sample": "4-1"})

    assert not app.exception
    assert trace_names(chart_specs(app)[0]) == ["point cloud", "1 neckline", "2 left cuff", "3 right cuff",
                                                "4 hemline"]
    # Two problems (no mesh, the planted short trans) are listed as text in an expander.
    shown = texts(app) + alert_texts(app.warning) + alert_texts(app.info)
    assert any("no registered mesh for model 4-1" in text for text in shown)
    assert any("4_1.pkl, trans: trans is missing or not 3 values." in text for text in shown)


def test_page_layer_toggles_and_vertex_colours(run_page):
    app = run_page("deepfashion3d")
    app.toggle(key="df3d_cloud").set_value(False)
    app.toggle(key="df3d_lines").set_value(False)
    app.radio(key="df3d_colors").set_value("vertex")
    app.run()

    assert not app.exception
    spec = chart_specs(app)[0]
    assert trace_names(spec) == ["mesh"]
    colours = decode_array(spec["data"][0]["vertexcolor"])
    assert colours.shape[1] == 3
    assert len(np.unique(colours, axis=0)) > 1
    assert any("nearest point of the point cloud" in line for line in texts(app))


def test_page_face_budget_setting(run_page):
    app = run_page("deepfashion3d")
    app.number_input(key="df3d_max_faces").set_value(2000)
    app.run()

    assert not app.exception
    faces = decode_array(chart_specs(app)[0]["data"][0]["i"])
    assert len(faces) <= 2000
    assert any(line.startswith(f"Mesh: {len(faces):,} of 6,000 faces drawn (decimated") for line in texts(app))


def test_page_real_root_reports_missing_obj(run_page, realdata):
    app = run_page("deepfashion3d", {"deepfashion3d": realdata / "deepfashion3d"})

    assert not app.exception
    assert any("model_cleaned.obj not found" in text for text in alert_texts(app.error))
    assert len(app.get("image")) == 1  # the texture, shown on its own
    assert chart_specs(app) == []


def test_page_chinese_interface(run_page):
    app = run_page("deepfashion3d", query={"lang": "zh-CN"})

    assert not app.exception
    assert "SMPL 姿态" in [element.value for element in app.subheader]


def write_big_textured_obj(folder: Path) -> None:
    """Write a 500,000-face OBJ whose texture has four coloured quadrants."""
    folder.mkdir(parents=True)
    texture = np.zeros((64, 64, 3), dtype=np.uint8)
    texture[:32, :32], texture[:32, 32:] = (220, 30, 30), (30, 200, 30)
    texture[32:, :32], texture[32:, 32:] = (30, 30, 220), (230, 210, 30)
    Image.fromarray(texture).save(folder / "9-1_tex.png")
    (folder / "model_cleaned.obj.mtl").write_text("newmtl material_0\nTr 1.000000\nmap_Kd 9-1_tex.png\n")
    vertices, faces = wavy_grid(500)
    # One UV per vertex: the texture lies flat over the x, y square.
    lines = ["mtllib model_cleaned.obj.mtl", "usemtl material_0"]
    lines += [f"v {x:.4f} {y:.4f} {z:.4f}" for x, y, z in vertices.tolist()]
    lines += [f"vt {x:.4f} {y:.4f}" for x, y, _ in vertices.tolist()]
    lines += [f"f {a}/{a} {b}/{b} {c}/{c}" for a, b, c in (faces + 1).tolist()]
    (folder / "model_cleaned.obj").write_text("\n".join(lines) + "\n")


def test_page_500k_face_mesh_within_budget(run_page, tmp_path):
    root = tmp_path / "df3d"
    write_big_textured_obj(root / "filtered_registered_mesh" / "9-1")

    app = run_page("deepfashion3d", {"deepfashion3d": root}, timeout=240)

    assert not app.exception
    mesh = chart_specs(app)[0]["data"][0]
    face_colours = decode_array(mesh["facecolor"])
    assert len(face_colours) == len(decode_array(mesh["i"]))
    assert 50_000 <= len(face_colours) <= 100_000
    assert len(np.unique(face_colours, axis=0)) == 4
    mesh_lines = [line for line in texts(app) if line.startswith("Mesh: ")]
    assert mesh_lines == [f"Mesh: {len(face_colours):,} of 500,000 faces drawn (decimated to the face budget)"]


def test_page_textured_three_js_view(run_page):
    app = run_page("deepfashion3d")
    app.toggle(key="df3d_glb").set_value(True)
    app.run()

    assert not app.exception
    frames = app.get("iframe")
    assert len(frames) == 1
    html = frames[0].proto.srcdoc
    assert "GLTFLoader" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:|import\s*\(|from\s*["']https?:""", html)
    # The GLB (base64 of "glTF...") is embedded, with the texture as a PNG inside it.
    glb = base64.b64decode(re.search(r"Z2xURg[A-Za-z0-9+/=]+", html).group(0))
    assert b"image/png" in glb


def test_page_bad_files_reported(run_page, tmp_path):
    root = tmp_path / "df3d"
    demo_mesh = Path(__file__).resolve().parent.parent / "assets" / "demo" / "deepfashion3d" / \
        "filtered_registered_mesh" / "1-1"
    mesh_dir = root / "filtered_registered_mesh" / "5-1"
    mesh_dir.mkdir(parents=True)
    for source in demo_mesh.iterdir():
        (mesh_dir / source.name.replace("1-1", "5-1")).write_bytes(source.read_bytes())
    (mesh_dir / "model_cleaned.obj.mtl").write_text("newmtl material_0\nmap_Kd 5-1_tex.png\n")
    (root / "point_cloud" / "5").mkdir(parents=True)
    (root / "point_cloud" / "5" / "5-1.ply").write_bytes(b"ply\nformat ascii 1.0\nelement vertex 9\nend_header\n")
    (root / "pose_estimation" / "5").mkdir(parents=True)
    (root / "pose_estimation" / "5" / "5_1.pkl").write_bytes(b"cos\nsystem\n(S'true'\ntR.")

    app = run_page("deepfashion3d", {"deepfashion3d": root})

    assert not app.exception
    assert trace_names(chart_specs(app)[0]) == ["mesh"]
    errors = alert_texts(app.error)
    assert any("5-1.ply: PLY file could not be read" in text for text in errors)
    assert any("5_1.pkl: pose file rejected: global os.system is not allowed" in text for text in errors)
    assert "Mesh: 6,000 of 6,000 faces drawn" in texts(app)
