"""Synthetic Deep Fashion3D models in the V2 layout: textured garment meshes, point clouds, feature lines, poses.

Each garment is built from tubes (torso, sleeves, legs, skirt) with cloth-like folds,
UV-mapped onto islands of one texture atlas, posed by bending its tubes. Point clouds
are sampled from the meshes with the texture's colours. Feature lines are the rings at
the tubes' open ends, numbered with the V2 codes and written as unordered point sets.
Garment 4 has a point cloud but no registered mesh, as V2 filtered some out.
Two defects are planted for the quality checks: the hemline of model 3-2 floats in front
of the skirt, and the pose file of model 4-1 has a trans of 2 values.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import trimesh

from render.mesh3d import opaque_texture, sample_texture

FOLDER = "deepfashion3d"
TEXTURE_SIZE = 256
RING_SEGMENTS = 40
POINTS_PER_CLOUD = 7000


@dataclass
class Part:
    """One tube of a garment: ring centres, radii (across, depth) and its UV island."""

    centres: np.ndarray  # K x 3
    radii: np.ndarray  # K x 2
    island: tuple[float, float, float, float]  # u0, v0, u1, v1
    fold_phase: float = 0.0


@dataclass
class GarmentMesh:
    vertices: list[np.ndarray] = field(default_factory=list)
    uv: list[np.ndarray] = field(default_factory=list)
    faces: list[np.ndarray] = field(default_factory=list)
    rings: dict[int, np.ndarray] = field(default_factory=dict)  # feature-line code -> ring points

    def add(self, part: Part, start_code: int | None = None, end_code: int | None = None) -> None:
        vertices, uv, faces, first, last = tube(part)
        offset = sum(len(block) for block in self.vertices)
        self.vertices.append(vertices)
        self.uv.append(uv)
        self.faces.append(faces + offset)
        if start_code is not None:
            self.rings[start_code] = first
        if end_code is not None:
            self.rings[end_code] = last

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.vstack(self.vertices), np.vstack(self.uv), np.vstack(self.faces)


def _frame(tangent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference = np.array([0.0, 0.0, 1.0])
    across = np.cross(tangent, reference)
    if np.linalg.norm(across) < 1e-6:
        across = np.array([1.0, 0.0, 0.0])
    across /= np.linalg.norm(across)
    depth = np.cross(across, tangent)
    return across, depth / np.linalg.norm(depth)


def tube(part: Part) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return vertices, UVs and faces of an open tube, and its first and last rings."""
    centres, radii = part.centres, part.radii
    count = len(centres)
    tangents = np.gradient(centres, axis=0)
    tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)
    angles = np.linspace(0.0, 2 * np.pi, RING_SEGMENTS + 1)
    rows = []
    for index in range(count):
        across, depth = _frame(tangents[index])
        fold = 1.0 + 0.05 * np.sin(7 * angles + part.fold_phase + index * 0.15) * (index / count)
        ring = (centres[index] + np.outer(radii[index, 0] * fold * np.cos(angles), across)
                + np.outer(radii[index, 1] * fold * np.sin(angles), depth))
        rows.append(ring)
    vertices = np.stack(rows)  # K x (S + 1) x 3: the seam column is duplicated for the UVs
    u0, v0, u1, v1 = part.island
    grid_u, grid_v = np.meshgrid(np.linspace(u0, u1, RING_SEGMENTS + 1), np.linspace(v1, v0, count))
    uv = np.stack([grid_u, grid_v], axis=-1).reshape(-1, 2)
    width = RING_SEGMENTS + 1
    faces = []
    for row in range(count - 1):
        for column in range(RING_SEGMENTS):
            a, b = row * width + column, row * width + column + 1
            c, d = a + width, b + width
            faces += [(a, c, b), (b, c, d)]
    return (vertices.reshape(-1, 3), uv, np.array(faces, dtype=np.int64),
            vertices[0, :-1], vertices[-1, :-1])


def _path(points: list[tuple[float, float, float]], count: int) -> np.ndarray:
    """Return ``count`` points along a polyline through ``points``, evenly spaced by length."""
    points_array = np.array(points, dtype=np.float64)
    lengths = np.r_[0, np.cumsum(np.linalg.norm(np.diff(points_array, axis=0), axis=1))]
    samples = np.linspace(0, lengths[-1], count)
    return np.stack([np.interp(samples, lengths, points_array[:, axis]) for axis in range(3)], axis=1)


def _radii(start: tuple[float, float], end: tuple[float, float], count: int) -> np.ndarray:
    return np.linspace(start, end, count)


def upper(pose: int, sleeve_length: float = 0.55, torso: Part | None = None) -> GarmentMesh:
    """Long-sleeve top: torso from hem to neck; arms down (pose 1) or raised (pose 2)."""
    garment = GarmentMesh()
    if torso is None:
        count = 30
        heights = np.linspace(0, 1, count)
        radii = np.stack([np.interp(heights, [0, 0.75, 0.92, 1], [0.19, 0.18, 0.15, 0.08]),
                          np.interp(heights, [0, 0.75, 0.92, 1], [0.12, 0.12, 0.10, 0.06])], axis=1)
        torso = Part(_path([(0, 0.0, 0), (0, 0.62, 0)], count), radii, (0.02, 0.02, 0.48, 0.98))
    garment.add(torso, start_code=4, end_code=1)
    drop = 0.45 if pose == 1 else 0.1
    for side, code, island in ((1, 2, (0.52, 0.02, 0.74, 0.98)), (-1, 3, (0.76, 0.02, 0.98, 0.98))):
        shoulder = (side * 0.16, 0.54, 0.0)
        elbow = (side * (0.16 + sleeve_length * 0.5), 0.54 - drop * 0.55, 0.02 * pose)
        wrist = (side * (0.16 + sleeve_length * (0.85 if pose == 1 else 1.0)), 0.54 - drop, 0.06 * pose)
        centres = _path([shoulder, elbow, wrist], 24)
        garment.add(Part(centres, _radii((0.075, 0.075), (0.05, 0.05), 24), island, fold_phase=side),
                    end_code=code)
    return garment


def pants(pose: int) -> GarmentMesh:
    """Long trousers: waist band and two legs; legs together (pose 1) or in a stride (pose 2)."""
    garment = GarmentMesh()
    hips = _path([(0, 0.0, 0), (0, -0.18, 0)], 10)
    garment.add(Part(hips, _radii((0.17, 0.12), (0.19, 0.12), 10), (0.02, 0.70, 0.98, 0.98)), start_code=1)
    stride = 0.0 if pose == 1 else 0.18
    for side, code, island in ((1, 2, (0.02, 0.02, 0.48, 0.66)), (-1, 3, (0.52, 0.02, 0.98, 0.66))):
        knee = (side * 0.11, -0.55, side * stride * 0.6)
        ankle = (side * 0.12, -0.95, side * stride)
        centres = _path([(side * 0.095, -0.16, 0.0), knee, ankle], 34)
        garment.add(Part(centres, _radii((0.095, 0.09), (0.065, 0.06), 34), island, fold_phase=side),
                    end_code=code)
    return garment


def skirt(pose: int) -> GarmentMesh:
    """Flared skirt from waist to hem; hanging (pose 1) or swinging to one side (pose 2)."""
    garment = GarmentMesh()
    count = 30
    sway = 0.0 if pose == 1 else 0.12
    centres = _path([(0, 0.0, 0), (sway * 0.3, -0.3, 0), (sway, -0.6, 0.02)], count)
    radii = np.stack([np.linspace(0.15, 0.36, count), np.linspace(0.11, 0.30, count)], axis=1)
    garment.add(Part(centres, radii, (0.02, 0.02, 0.98, 0.98), fold_phase=pose), start_code=1, end_code=2)
    return garment


def dress(pose: int) -> GarmentMesh:
    """Short-sleeve dress: one tube from hem to neck, flared below the waist, with short sleeves."""
    count = 40
    centres = _path([(0, -0.7, 0), (0, 0.62, 0)], count)
    heights = np.linspace(0, 1, count)
    radii = np.stack([np.interp(heights, [0, 0.45, 0.55, 0.85, 0.95, 1], [0.34, 0.18, 0.17, 0.18, 0.15, 0.08]),
                      np.interp(heights, [0, 0.45, 0.55, 0.85, 0.95, 1], [0.28, 0.13, 0.12, 0.12, 0.10, 0.06])],
                     axis=1)
    return upper(pose, sleeve_length=0.2, torso=Part(centres, radii, (0.02, 0.02, 0.48, 0.98)))


# Model -> (feature-line code, shift in metres) of a line moved off the garment on purpose.
MISPLACED_LINES = {"3-2": (2, np.array([0.0, 0.0, 0.15]))}
# Models whose pose file has a trans of 2 values on purpose.
SHORT_TRANS = {"4-1"}

# Garment id -> (cloth_type_list label, builder, poses, base colour, pattern, has registered mesh).
GARMENTS = {
    1: ("long_sleeve_upper", upper, (1, 2), (40, 90, 160), "stripes", True),
    2: ("long_pants", pants, (1, 2), (60, 60, 70), "checks", True),
    3: ("skirt", skirt, (1, 2), (170, 40, 60), "dots", True),
    4: ("short_sleeve_dress", dress, (1,), (220, 170, 60), "stripes", False),
}


def texture(base: tuple[int, int, int], pattern: str, rng: np.random.Generator) -> np.ndarray:
    """Return an RGBA atlas: patterned cloth on the UV islands, transparent elsewhere."""
    size = TEXTURE_SIZE
    image = np.empty((size, size, 4), dtype=np.uint8)
    image[:, :, :3] = base
    image[:, :, 3] = 255
    accent = tuple(int(channel * 0.5 + 100) for channel in base)
    if pattern == "stripes":
        for row in range(0, size, 16):
            image[row:row + 5, :, :3] = accent
    elif pattern == "checks":
        for row in range(0, size, 32):
            for column in range(0, size, 32):
                if (row + column) // 32 % 2:
                    image[row:row + 32, column:column + 32, :3] = accent
    elif pattern == "dots":
        for row in range(8, size, 24):
            for column in range(8 + (row // 24 % 2) * 12, size, 24):
                cv2.circle(image, (column, row), 5, (*accent, 255), -1, cv2.LINE_AA)
    noise = rng.integers(-4, 5, size=(size, size, 1))
    image[:, :, :3] = np.clip(image[:, :, :3].astype(np.int16) + noise, 0, 255).astype(np.uint8)
    # Leave a transparent margin around the atlas, as real texture atlases have between islands.
    image[:4, :, 3] = image[-4:, :, 3] = image[:, :4, 3] = image[:, -4:, 3] = 0
    return image


def write_obj(path: Path, vertices: np.ndarray, uv: np.ndarray, faces: np.ndarray, mtl_name: str) -> None:
    lines = ["# Synthetic registered garment mesh", f"mtllib {mtl_name}", "usemtl material_0"]
    lines += [f"v {x:.5f} {y:.5f} {z:.5f}" for x, y, z in vertices]
    lines += [f"vt {u:.5f} {v:.5f}" for u, v in uv]
    lines += [f"f {a}/{a} {b}/{b} {c}/{c}" for a, b, c in faces + 1]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def write_mtl(path: Path, texture_name: str) -> None:
    # Same fields as Meshlab writes for Deep Fashion3D, including Tr 1.000000 (not transparency).
    path.write_text("#\n# Wavefront material file\n#\n\nnewmtl material_0\nKa 0.200000 0.200000 0.200000\n"
                    "Kd 0.752941 0.752941 0.752941\nKs 1.000000 1.000000 1.000000\nTr 1.000000\nillum 2\n"
                    f"Ns 0.000000\nmap_Kd {texture_name}\n\n", encoding="ascii")


def sample_cloud(vertices: np.ndarray, uv: np.ndarray, faces: np.ndarray, atlas: np.ndarray,
                 seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample points on the mesh surface, coloured by the texture, with scanner-like noise."""
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    points, face_index = trimesh.sample.sample_surface(mesh, POINTS_PER_CLOUD, seed=seed)
    barycentric = trimesh.triangles.points_to_barycentric(mesh.triangles[face_index], points)
    point_uv = np.einsum("nk,nkd->nd", barycentric, uv[faces[face_index]])
    colors = sample_texture(opaque_texture(atlas), point_uv)
    noise = np.random.default_rng(seed).normal(0.0, 0.002, points.shape)
    return (points + noise).astype(np.float32), colors


def write_points(path: Path, points: np.ndarray, colors: np.ndarray | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cloud = trimesh.PointCloud(points, colors=None if colors is None else
                               np.hstack([colors, np.full((len(colors), 1), 255, np.uint8)]))
    path.write_bytes(cloud.export(file_type="ply"))


def pose_record(garment_id: int, pose: int, rng: np.random.Generator) -> dict:
    """Return an SMPL-like pose dict: small joint rotations, shoulders raised in pose 2."""
    values = rng.normal(0.0, 0.05, 72).astype(np.float32)
    values[:3] = (np.pi, 0.0, 0.0)  # global orientation as in many SMPL fits
    if pose == 2:
        values[16 * 3 + 2] = -0.9  # left shoulder about z
        values[17 * 3 + 2] = 0.9
    return {"pose": values, "trans": np.array([0.0, 0.25 * garment_id % 1.0, 0.0], dtype=np.float32),
            "scale": np.float32(1.0 + 0.01 * garment_id)}


def generate(out_dir: Path) -> None:
    rng = np.random.default_rng(3)
    cloud_dir = out_dir / "point_cloud"
    cloud_dir.mkdir(parents=True)
    type_lines = []
    for garment_id, (label, builder, poses, base, pattern, has_mesh) in GARMENTS.items():
        type_lines.append(f"{garment_id} {label}")
        atlas = texture(base, pattern, rng)
        for pose in poses:
            name = f"{garment_id}-{pose}"
            vertices, uv, faces = builder(pose).arrays()
            points, colors = sample_cloud(vertices, uv, faces, atlas, seed=garment_id * 10 + pose)
            write_points(cloud_dir / str(garment_id) / f"{name}.ply", points, colors)

            if has_mesh:
                mesh_dir = out_dir / "filtered_registered_mesh" / name
                mesh_dir.mkdir(parents=True)
                cv2.imwrite(str(mesh_dir / f"{name}_tex.png"), cv2.cvtColor(atlas, cv2.COLOR_RGBA2BGRA))
                write_mtl(mesh_dir / "model_cleaned.obj.mtl", f"{name}_tex.png")
                write_obj(mesh_dir / "model_cleaned.obj", vertices, uv, faces, "model_cleaned.obj.mtl")

            line_dir = out_dir / "featureline_annotation" / str(garment_id) / f"{garment_id}_{pose}"
            for code, ring in builder(pose).rings.items():
                jitter = rng.normal(0.0, 0.002, ring.shape)
                shuffled = (ring + jitter)[rng.permutation(len(ring))]
                if MISPLACED_LINES.get(name, (None,))[0] == code:
                    shuffled = shuffled + MISPLACED_LINES[name][1]
                write_points(line_dir / f"{garment_id}_{pose}_{code}.ply", shuffled.astype(np.float32))

            pose_dir = out_dir / "pose_estimation" / str(garment_id)
            pose_dir.mkdir(parents=True, exist_ok=True)
            record = pose_record(garment_id, pose, rng)
            if name in SHORT_TRANS:
                record["trans"] = record["trans"][:2]
            (pose_dir / f"{garment_id}_{pose}.pkl").write_bytes(pickle.dumps(record, protocol=2))
    (cloud_dir / "cloth_type_list.txt").write_text("\n".join(type_lines) + "\n", encoding="ascii")
