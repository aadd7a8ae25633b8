"""Deep Fashion3D loader: textures resolved next to the .mtl, PLY point clouds, feature-line names, safe poses."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from loaders.deepfashion3d import (
    DeepFashion3DDataset,
    classify_folder,
    parse_mtl,
    read_point_cloud,
    read_pose,
    safe_unpickle,
)
from render.mesh3d import face_colors_from_texture, opaque_texture, sample_texture

REAL_MESH = Path("deepfashion3d") / "filtered_registered_mesh" / "1-1"
TEXTURE_SIZE = 2048


def opaque_texels(texture: np.ndarray, count: int) -> list[tuple[int, int]]:
    """Return ``count`` (row, col) texels in the middle of opaque areas, with distinct colours."""
    alpha = texture[:, :, 3]
    chosen: list[tuple[int, int]] = []
    for row in range(64, TEXTURE_SIZE - 64, 97):
        for col in range(64, TEXTURE_SIZE - 64, 89):
            if (alpha[row - 2:row + 3, col - 2:col + 3] == 255).all():
                color = tuple(texture[row, col, :3])
                if all(np.abs(np.subtract(color, texture[r, c, :3], dtype=int)).sum() > 30 for r, c in chosen):
                    chosen.append((row, col))
            if len(chosen) == count:
                return chosen
    return chosen


def write_textured_obj(folder: Path, texels: list[tuple[int, int]], mtllib: str = "model_cleaned.obj.mtl") -> None:
    """Write an OBJ with one small triangle per texel, every corner's UV at that texel's centre."""
    lines = [f"mtllib {mtllib}", "usemtl material_0"]
    uv_lines, face_lines = [], []
    for number, (row, col) in enumerate(texels):
        u, v = (col + 0.5) / TEXTURE_SIZE, 1.0 - (row + 0.5) / TEXTURE_SIZE
        x = float(number)
        lines += [f"v {x} 0 0", f"v {x + 0.5} 0 0", f"v {x} 0.5 0"]
        uv_lines += [f"vt {u:.8f} {v:.8f}"] * 3
        base = 3 * number + 1
        face_lines.append(f"f {base}/{base} {base + 1}/{base + 1} {base + 2}/{base + 2}")
    (folder / "model_cleaned.obj").write_text("\n".join(lines + uv_lines + face_lines) + "\n")


@pytest.fixture
def real_mesh_root(tmp_path, realdata) -> Path:
    """A V2 root with the real .mtl and texture of model 1-1 (copied into tmp_path) and no OBJ yet."""
    folder = tmp_path / "filtered_registered_mesh" / "1-1"
    folder.mkdir(parents=True)
    for name in ("model_cleaned.obj.mtl", "1-1_tex.png"):
        shutil.copy(realdata / REAL_MESH / name, folder / name)
    return tmp_path


def test_real_mtl_parsed_despite_tr(realdata):
    materials = parse_mtl((realdata / REAL_MESH / "model_cleaned.obj.mtl").read_text())
    assert [material.name for material in materials] == ["material_0"]
    assert materials[0].texture_name == "1-1_tex.png"
    assert materials[0].diffuse.tolist() == [192, 192, 192]


def test_real_texture_colours_reach_vertices(real_mesh_root, realdata):
    texture = np.asarray(Image.open(realdata / REAL_MESH / "1-1_tex.png").convert("RGBA"))
    texels = opaque_texels(texture, 4)
    assert len(texels) == 4
    write_textured_obj(real_mesh_root / "filtered_registered_mesh" / "1-1", texels)

    loaded = DeepFashion3DDataset(real_mesh_root).load_mesh("1-1")

    assert [problem for problem in loaded.problems if problem.severity != "info"] == []
    mesh = loaded.value
    assert mesh.texture_path.name == "1-1_tex.png"
    assert mesh.texture.shape == (TEXTURE_SIZE, TEXTURE_SIZE, 4)
    assert len(mesh.faces) == 4
    expected = np.array([texture[row, col, :3] for row, col in texels])
    vertex_colors = sample_texture(opaque_texture(mesh.texture), mesh.uv)
    for face, colour in zip(mesh.faces, expected):
        assert vertex_colors[face].tolist() == [colour.tolist()] * 3
    face_colors = face_colors_from_texture(opaque_texture(mesh.texture), mesh.uv, mesh.faces)
    assert np.abs(face_colors.astype(int) - expected).max() <= 2


def test_missing_texture_reported(real_mesh_root, realdata):
    folder = real_mesh_root / "filtered_registered_mesh" / "1-1"
    texture = np.asarray(Image.open(realdata / REAL_MESH / "1-1_tex.png").convert("RGBA"))
    write_textured_obj(folder, opaque_texels(texture, 2))
    (folder / "1-1_tex.png").unlink()

    loaded = DeepFashion3DDataset(real_mesh_root).load_mesh("1-1")

    assert loaded.value is not None
    assert loaded.value.texture is None
    assert loaded.value.material_color.tolist() == [192, 192, 192]
    warnings = [problem for problem in loaded.problems if problem.severity == "warning"]
    assert len(warnings) == 1
    assert "texture 1-1_tex.png (map_Kd) not found" in warnings[0].message
    assert warnings[0].file.endswith("model_cleaned.obj.mtl")


def test_texture_resolved_next_to_mtl(tmp_path):
    folder = tmp_path / "filtered_registered_mesh" / "2-1"
    (folder / "materials").mkdir(parents=True)
    pixels = np.zeros((TEXTURE_SIZE // 8, TEXTURE_SIZE // 8, 3), dtype=np.uint8)
    pixels[:] = (10, 200, 30)
    Image.fromarray(pixels).save(folder / "materials" / "cloth.png")
    (folder / "materials" / "m.mtl").write_text("newmtl material_0\nTr 1.000000\nmap_Kd cloth.png\n")
    write_textured_obj(folder, [(100, 100)], mtllib="materials/m.mtl")

    mesh = DeepFashion3DDataset(tmp_path).load_mesh("2-1").value

    assert mesh.texture_path == folder / "materials" / "cloth.png"
    assert sample_texture(opaque_texture(mesh.texture), mesh.uv).tolist() == [[10, 200, 30]] * 3


def test_real_root_reports_missing_obj(realdata):
    dataset = DeepFashion3DDataset(realdata / "deepfashion3d")
    assert dataset.garments() == ["1"]
    assert dataset.poses("1") == ["1"]

    loaded = dataset.load_mesh("1-1")

    assert loaded.value is None
    assert loaded.problems[0].severity == "error"
    assert "model_cleaned.obj not found" in loaded.problems[0].message
    assert dataset.texture_only("1-1").name == "1-1_tex.png"


ASCII_PLY = """ply
format ascii 1.0
element vertex 3
property float x
property float y
property float z
property uchar red
property uchar green
property uchar blue
{faces}end_header
0 0 0 255 0 0
1 0 0 0 255 0
0 1 0 0 0 255
"""


@pytest.mark.parametrize("faces", ["", "element face 0\nproperty list uchar int vertex_indices\n"])
def test_vertex_only_ply_is_point_cloud(tmp_path, faces):
    path = tmp_path / "1-1.ply"
    path.write_text(ASCII_PLY.format(faces=faces))

    loaded = read_point_cloud(path)

    assert loaded.problems == []
    assert loaded.value.points.tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 0]]
    assert loaded.value.colors.tolist() == [[255, 0, 0], [0, 255, 0], [0, 0, 255]]


def test_ply_without_colours_noted(tmp_path):
    path = tmp_path / "1-1.ply"
    path.write_text("ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
                    "property float z\nend_header\n0 0 0\n1 1 1\n")

    loaded = read_point_cloud(path)

    assert loaded.value.colors is None
    assert loaded.value.points.shape == (2, 3)
    assert "no vertex colours" in loaded.problems[0].message


def test_broken_ply_reported(tmp_path):
    path = tmp_path / "1-1.ply"
    path.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 5\nproperty float x\nend_header\n1\n")

    loaded = read_point_cloud(path)

    assert loaded.value is None
    assert loaded.problems[0].severity == "error"
    assert loaded.problems[0].file == str(path)


def write_line(path: Path, count: int = 8) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "\n".join(f"{np.cos(angle):.4f} {np.sin(angle):.4f} 0" for angle in np.linspace(0, 6, count))
    path.write_text(f"ply\nformat ascii 1.0\nelement vertex {count}\nproperty float x\nproperty float y\n"
                    f"property float z\nend_header\n{rows}\n")


def test_v2_feature_line_names(tmp_path):
    (tmp_path / "point_cloud").mkdir()
    (tmp_path / "point_cloud" / "cloth_type_list.txt").write_text(
        "long_sleeve_upper 1\n2 long_pants\nskirt: 3, 4\nthis line is not a pair\n")
    expected = {"1": ["1 neckline", "2 left cuff", "3 right cuff", "4 hemline"],
                "2": ["1 waistline", "2 left hem", "3 right hem"],
                "3": ["1 waistline", "2 hemline"]}
    for garment, names in expected.items():
        for code in range(1, len(names) + 1):
            write_line(tmp_path / "featureline_annotation" / garment / f"{garment}_1" / f"{garment}_1_{code}.ply")

    dataset = DeepFashion3DDataset(tmp_path)

    assert dataset.version == "v2"
    assert dataset.category("4") == "skirt"
    assert any("line 4" in problem.record for problem in dataset.problems)
    for garment, names in expected.items():
        lines = dataset.load_feature_lines(f"{garment}-1")
        assert [f"{line.code} {line.name}" for line in lines.value] == names
        assert lines.problems == []


def test_v2_unknown_code_reported(tmp_path):
    (tmp_path / "point_cloud").mkdir()
    (tmp_path / "point_cloud" / "cloth_type_list.txt").write_text("1 skirt\n")
    write_line(tmp_path / "featureline_annotation" / "1" / "1_1" / "1_1_5.ply")

    lines = DeepFashion3DDataset(tmp_path).load_feature_lines("1-1")

    assert lines.value[0].name == "line 5"
    assert "code 5 is not a V2 feature line of skirt" in lines.problems[0].message


def test_v1_layout_and_codes(tmp_path):
    (tmp_path / "deep_fashion_3d_point_cloud" / "7").mkdir(parents=True)
    types = tmp_path / "deep_fashion_3d_point_cloud" / "cloth_type_list.txt"
    types.write_text("7 short_sleeve_upper\n8 long_pants\n")
    for name in ("7_2_10.ply", "7_2_11.ply", "7_2_9.ply"):
        write_line(tmp_path / "deep_fashion_3d_point_cloud_annotations" / "7" / name)
    write_line(tmp_path / "deep_fashion_3d_point_cloud_annotations" / "8" / "8_1_5.ply")
    write_line(tmp_path / "deep_fashion_3d_point_cloud" / "7" / "7-2.ply")

    dataset = DeepFashion3DDataset(tmp_path)

    assert dataset.version == "v1"
    assert sorted(dataset.folders) == ["feature_lines", "point_clouds"]
    assert dataset.files("7-2").point_cloud is not None
    assert [line.name for line in dataset.load_feature_lines("7-2").value] == ["right wrist", "waist", "hem"]
    assert [line.name for line in dataset.load_feature_lines("8-1").value] == ["right ankle"]
    assert "not to be aligned" in dataset.load_feature_lines("8-1").problems[0].message


def test_folders_matched_tolerantly(tmp_path):
    nested = tmp_path / "DeepFashion3D_V2"
    write_line(nested / "Point-Cloud" / "12" / "12-3.ply")
    (nested / "Filtered Registered Meshes" / "12-3").mkdir(parents=True)
    write_line(nested / "FeatureLines" / "12" / "12_3" / "12_3_1.ply")

    dataset = DeepFashion3DDataset(tmp_path)

    assert sorted(dataset.folders) == ["feature_lines", "meshes", "point_clouds"]
    assert dataset.garments() == ["12"]
    files = dataset.files("12-3")
    assert files.point_cloud.name == "12-3.ply"
    assert files.mesh_dir.name == "12-3"
    assert list(files.feature_lines) == [1]
    assert classify_folder("deep_fashion_3d_point_cloud_annotations") == "feature_lines"
    assert classify_folder("packed_pose") == "poses"


def test_empty_root_reported(tmp_path):
    dataset = DeepFashion3DDataset(tmp_path)
    assert dataset.garments() == []
    assert dataset.problems[0].severity == "error"


def test_pose_pickle_values(tmp_path):
    path = tmp_path / "1_1.pkl"
    pose = np.arange(72, dtype=np.float32) / 100
    path.write_bytes(pickle.dumps({"pose": pose, "trans": np.array([0.1, 0.2, 0.3]), "scale": np.float64(1.5),
                                   "betas": [0.0] * 10}, protocol=4))

    loaded = read_pose(path)

    assert loaded.problems == []
    assert np.allclose(loaded.value.pose, pose)
    assert loaded.value.trans.tolist() == [0.1, 0.2, 0.3]
    assert loaded.value.scale == 1.5
    assert loaded.value.other_keys == ["betas"]


def test_pose_pickle_protocol_5(tmp_path):
    path = tmp_path / "1_1.pkl"
    path.write_bytes(pickle.dumps({"pose": np.zeros(72), "trans": np.zeros(3), "scale": 1.0}, protocol=5))
    assert read_pose(path).problems == []


class RunsCommand:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_rejected(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "1_1.pkl"
    path.write_bytes(pickle.dumps({"pose": RunsCommand(marker)}))

    loaded = read_pose(path)

    assert loaded.value is None
    assert not marker.exists()
    assert "system is not allowed" in loaded.problems[0].message
    with pytest.raises(pickle.UnpicklingError):
        safe_unpickle(pickle.dumps(RunsCommand(marker)))


def test_pose_wrong_sizes_reported(tmp_path):
    path = tmp_path / "1_1.pkl"
    path.write_bytes(pickle.dumps({"pose": np.zeros(10), "scale": "big"}))

    messages = [problem.message for problem in read_pose(path).problems]

    assert messages == ["pose has 10 values, expected 72 (24 SMPL joints x 3).",
                        "trans is missing or not 3 values.", "scale is a str that is not all numbers."]


def test_material_outside_root_ignored(tmp_path):
    root = tmp_path / "root"
    folder = root / "filtered_registered_mesh" / "3-1"
    folder.mkdir(parents=True)
    (tmp_path / "outside.mtl").write_text("newmtl material_0\nmap_Kd secret.png\n")
    Image.fromarray(np.zeros((4, 4, 3), dtype=np.uint8)).save(tmp_path / "secret.png")
    write_textured_obj(folder, [(1, 1)], mtllib="../../../outside.mtl")

    loaded = DeepFashion3DDataset(root).load_mesh("3-1")

    assert loaded.value.texture is None
    assert "points outside the dataset root" in loaded.problems[0].message


def test_numpy1_pickle_loads():
    data = pickle.dumps({"pose": np.arange(72, dtype=np.float32)}, protocol=2)
    numpy1 = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert numpy1 != data

    assert safe_unpickle(numpy1)["pose"][:3].tolist() == [0.0, 1.0, 2.0]


def short_string(value: bytes) -> bytes:
    return b"U" + bytes([len(value)]) + value


def test_python2_pickle_loads():
    # Python 2 wrote the array buffer as a str; bytes above 127 do not decode as ASCII.
    buffer = np.array([0.5, -2.0, 3.25], dtype="<f8").tobytes()
    data = (b"\x80\x02}(" + short_string(b"trans")
            + b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + short_string(b"b") + b"\x87R"
            + b"(K\x01K\x03\x85cnumpy\ndtype\n" + short_string(b"f8") + b"K\x00K\x01\x87R(K\x03"
            + short_string(b"<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89" + short_string(buffer)
            + b"tbu.")

    assert safe_unpickle(data)["trans"].tolist() == [0.5, -2.0, 3.25]
