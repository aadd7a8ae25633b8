"""Deep Fashion3D garments: point clouds, registered textured meshes, feature lines and SMPL poses.

V2 layout under the root (2023 release)::

    point_cloud/<id>/<id>-<pose>.ply                 coloured point cloud of one model
    point_cloud/cloth_type_list.txt                   category of each garment id
    filtered_registered_mesh/<id>-<pose>/<id>-<pose>_tex.png, model_cleaned.obj, model_cleaned.obj.mtl
    featureline_annotation/<id>/<id>_<pose>/<id>_<pose>_<code>.ply
    pose_estimation/<id>/<id>_<pose>.pkl              (also under pose_estimation/packed_pose/)

V1 layout (2020 release)::

    deep_fashion_3d_point_cloud/<id>/<id>-<pose>.ply
    deep_fashion_3d_point_cloud_annotations/...       feature-line .ply files named <id>_<pose>_<code>.ply

A model is one garment in one pose, ``<id>-<pose>`` (``1-1``). Extracted archives use
other folder names too, so folders are recognised by keywords in their names (see
``classify_folder``), at the root or one level below it. Listing models reads folder
listings only; every file is parsed when its model is shown.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import trimesh
from PIL import Image, UnidentifiedImageError

from loaders.model import Problem

log = logging.getLogger(__name__)

TABLE_FILE = Path(__file__).resolve().parent.parent / "assets" / "tables" / "deepfashion3d.json"
MESH_FILE_NAME = "model_cleaned.obj"
CLOTH_TYPE_FILE = "cloth_type_list.txt"
# "<id>-<pose>" in V2 point clouds and mesh folders, "<id>_<pose>" in feature lines and poses.
MODEL_NAME = re.compile(r"^(\d+)[-_](\d+)$")
FEATURE_LINE_NAME = re.compile(r"^(\d+)[-_](\d+)[-_](\d+)$")
T = TypeVar("T")


@functools.cache
def tables() -> dict:
    """Return the project's Deep Fashion3D table (categories, feature-line codes, SMPL joints)."""
    return json.loads(TABLE_FILE.read_text(encoding="utf-8"))


def garment_type(category: str) -> str | None:
    """Return ``upper``, ``dress``, ``pants`` or ``skirt`` for a cloth_type_list.txt label."""
    label = category.strip().lower()
    known = tables()["category_types"].get(label)
    if known:
        return known
    # Labels are spelled differently across copies of the list, so fall back to keywords.
    for keyword, kind in (("dress", "dress"), ("skirt", "skirt"), ("pant", "pants"), ("trouser", "pants"),
                          ("upper", "upper"), ("shirt", "upper"), ("top", "upper")):
        if keyword in label:
            return kind
    return None


def feature_line_names(kind: str | None, version: str) -> dict[int, str]:
    """Return the feature-line names by code for a garment type in release ``v1`` or ``v2``."""
    if kind is None:
        return {}
    table = tables()["feature_lines"][version]
    # NOTE: V1 documents only upper and lower codes, so dresses are assumed to use the upper codes.
    group = tables()["v1_groups"].get(kind, kind) if version == "v1" else kind
    return {int(code): name for code, name in table.get(group, {}).items()}


def model_id(garment_id: str, pose_id: str) -> str:
    return f"{garment_id}-{pose_id}"


def _numeric_key(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (10**9, text)


def _model_key(name: str) -> tuple:
    garment, _, pose = name.partition("-")
    return (_numeric_key(garment), _numeric_key(pose))


# ---------------------------------------------------------------- folder recognition


def classify_folder(name: str) -> str | None:
    """Return the kind of data a top-level folder holds, judged from its name, or None.

    Kinds: ``feature_lines``, ``poses``, ``meshes``, ``point_clouds``. Annotation
    folders are checked first because V1's ``deep_fashion_3d_point_cloud_annotations``
    also contains "point cloud".
    """
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    if "featureline" in key or "annotation" in key:
        return "feature_lines"
    if "pose" in key:
        return "poses"
    if "mesh" in key:
        return "meshes"
    if "pointcloud" in key or key in ("pc", "pcd", "pointclouds"):
        return "point_clouds"
    return None


def find_folders(root: Path) -> dict[str, Path]:
    """Return the folder of each kind of data under ``root`` or one level below it."""
    found: dict[str, Path] = {}
    for depth_dirs in (_subdirs(root), [child for parent in _subdirs(root) for child in _subdirs(parent)]):
        for path in depth_dirs:
            kind = classify_folder(path.name)
            if kind and kind not in found:
                found[kind] = path
        if found:
            break
    return found


def _subdirs(path: Path) -> list[Path]:
    try:
        with os.scandir(path) as entries:
            return sorted(Path(entry.path) for entry in entries if entry.is_dir())
    except OSError:
        return []


def _walk_files(folder: Path, suffix: str) -> Iterable[Path]:
    for directory, _, names in os.walk(folder):
        for name in names:
            if name.lower().endswith(suffix):
                yield Path(directory) / name


# ---------------------------------------------------------------- loaded data


@dataclass
class Loaded(Generic[T]):
    """A part of a model as loaded (None when it could not be) and the problems met on the way."""

    value: T | None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class PointCloud:
    points: np.ndarray  # N x 3 float32
    colors: np.ndarray | None  # N x 3 uint8, None when the file has no colours


@dataclass
class TexturedMesh:
    """A triangle mesh with its texture resolved. Vertices are split where their UVs differ."""

    vertices: np.ndarray  # V x 3 float32
    faces: np.ndarray  # F x 3 int32
    uv: np.ndarray | None  # V x 2 float32, OBJ convention (v = 0 at the bottom of the image)
    texture: np.ndarray | None  # H x W x 3 or 4 uint8, as read from the texture file
    texture_path: Path | None
    material_color: np.ndarray | None  # 3 uint8 from the material's Kd, drawn when the texture is missing
    vertex_colors: np.ndarray | None = None  # V x 3 uint8 when the file stores colours per vertex


@dataclass
class FeatureLine:
    code: int
    name: str
    points: np.ndarray  # N x 3 float32, absolute positions (not vertex indices)
    path: Path | None = None


@dataclass
class SmplPose:
    """SMPL parameters of one model: body = scale * SMPL(pose, betas=0) + trans."""

    pose: np.ndarray | None  # 72 values: 24 joints x axis-angle, pose[:3] is the global orientation
    trans: np.ndarray | None  # 3 values
    scale: float | None
    other_keys: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- safe pickles


class SafeUnpickler(pickle.Unpickler):
    """Unpickler that builds only numpy arrays and builtin containers and numbers.

    Pickles downloaded from the internet can run arbitrary code when unpickled, because a
    pickle may name any importable callable. This one rejects every global outside the
    allowlist with ``pickle.UnpicklingError``.
    """

    ALLOWED = {
        # numpy 1.x and 2.x names of the array reconstruction helpers.
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        # Protocol 2 pickles write bytes as _codecs.encode(text, "latin1").
        ("_codecs", "encode"),
        ("collections", "OrderedDict"),
        ("copyreg", "_reconstructor"), ("copy_reg", "_reconstructor"),
    } | {(module, name) for module in ("builtins", "__builtin__") for name in (
        "dict", "list", "tuple", "set", "frozenset", "int", "float", "complex", "bool", "str", "bytes",
        "bytearray", "object", "slice", "range", "long", "unicode")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")
        if module in ("__builtin__", "copy_reg"):
            module = {"__builtin__": "builtins", "copy_reg": "copyreg"}[module]
            name = {"long": "int", "unicode": "str"}.get(name, name)
        if module.startswith("numpy.core.") and not hasattr(np, "core"):
            module = module.replace("numpy.core.", "numpy._core.")
        return super().find_class(module, name)


def safe_unpickle(data: bytes) -> object:
    """Unpickle ``data`` with SafeUnpickler; Python 2 pickles of numpy arrays are decoded as latin-1."""
    try:
        return SafeUnpickler(io.BytesIO(data)).load()
    except UnicodeDecodeError:
        # Python 2 wrote array buffers as str, which only latin-1 maps back to bytes.
        return SafeUnpickler(io.BytesIO(data), encoding="latin1").load()


def _as_vector(value: object) -> np.ndarray | None:
    if value is None:
        return None
    try:
        return np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return None


def read_pose(path: Path) -> Loaded[SmplPose]:
    """Read a pose .pkl (a dict with ``pose``, ``trans``, ``scale``) without running code from it."""
    name = str(path)

    try:
        record = safe_unpickle(path.read_bytes())
    except FileNotFoundError:
        return Loaded(None, [Problem(name, "pose file not found.", severity="error")])
    except pickle.UnpicklingError as error:
        return Loaded(None, [Problem(name, f"pose file rejected: {error}.", hint=(
            "Only numpy arrays and builtin types are loaded from pickles, so that a pickle cannot run code."),
            severity="error")])
    except (EOFError, ValueError, TypeError, AttributeError, ImportError, IndexError, OSError) as error:
        return Loaded(None, [Problem(name, f"pose file could not be read: {error}.", severity="error")])
    if not isinstance(record, dict):
        return Loaded(None, [Problem(name, f"pose file holds a {type(record).__name__}, not a dict.",
                                     severity="error")])

    problems = []
    pose = _as_vector(record.get("pose"))
    trans = _as_vector(record.get("trans"))
    scale_values = _as_vector(record.get("scale"))
    expected = {"pose": (pose, 72, f"pose has {0 if pose is None else pose.size} values, expected 72 "
                                   "(24 SMPL joints x 3)."),
                "trans": (trans, 3, "trans is missing or not 3 values."),
                "scale": (scale_values, 1, "scale is missing or not one number.")}
    for key, (vector, size, message) in expected.items():
        if vector is None and record.get(key) is not None:
            problems.append(Problem(name, f"{key} is a {type(record[key]).__name__} that is not all numbers.", key,
                                    hint="Export the pose again with numeric arrays."))
        elif vector is None or vector.size != size:
            problems.append(Problem(name, message, key))

    scale = float(scale_values[0]) if scale_values is not None and scale_values.size == 1 else None
    others = sorted(str(key) for key in record if key not in ("pose", "trans", "scale"))
    return Loaded(SmplPose(pose, trans, scale, others), problems)


def pose_table(pose: SmplPose) -> list[dict]:
    """Return one row per SMPL joint: its axis-angle values and the rotation angle in degrees."""
    if pose.pose is None or pose.pose.size != 72:
        return []
    rows = []
    for number, (joint, values) in enumerate(zip(tables()["smpl_joints"], pose.pose.reshape(24, 3))):
        rows.append({"index": number, "joint": joint, "x": float(values[0]), "y": float(values[1]),
                     "z": float(values[2]), "angle (deg)": float(np.degrees(np.linalg.norm(values)))})
    return rows


# ---------------------------------------------------------------- point clouds and feature lines


def read_point_cloud(path: Path) -> Loaded[PointCloud]:
    """Read a .ply point cloud with its vertex colours when present.

    ``trimesh.load`` is used because ``trimesh.load_mesh`` turns a vertex-only PLY into an
    empty mesh. A PLY that also has faces is read as its vertices.
    """
    name = str(path)
    if not path.is_file():
        return Loaded(None, [Problem(name, "point cloud file not found.", severity="error")])
    try:
        loaded = trimesh.load(path, process=False)
    except (ValueError, KeyError, IndexError, TypeError, OSError) as error:
        # trimesh ends some messages with "!" (a truncated binary PLY gives "PLY is unexpected length!").
        reason = str(error).rstrip(".! ")
        return Loaded(None, [Problem(name, f"PLY file could not be read: {reason}.",
                                     hint="The file may be truncated or corrupt, so download or extract it again.",
                                     severity="error")])
    problems = []
    if isinstance(loaded, trimesh.Scene):
        geometries = list(loaded.geometry.values())
        loaded = geometries[0] if geometries else None
    if isinstance(loaded, trimesh.PointCloud):
        points = np.asarray(loaded.vertices, dtype=np.float32)
        colors = _rgb(loaded.colors) if len(loaded.colors) == len(points) else None
    elif isinstance(loaded, trimesh.Trimesh):
        points = np.asarray(loaded.vertices, dtype=np.float32)
        visual = loaded.visual
        colors = _rgb(visual.vertex_colors) if visual.kind == "vertex" else None
        problems.append(Problem(name, f"file has {len(loaded.faces)} faces; only its vertices are shown.",
                                severity="info"))
    else:
        return Loaded(None, [Problem(name, "PLY file holds no vertices.", severity="error")])
    if len(points) == 0:
        return Loaded(None, [Problem(name, "PLY file holds no vertices.", severity="error")])
    finite = np.isfinite(points).all(axis=1)
    if not finite.any():
        return Loaded(None, [Problem(name, f"all {len(points)} vertices have NaN or infinite coordinates.",
                                     hint="Download or extract this file again.", severity="error")])
    if not finite.all():
        problems.append(Problem(name, f"{int((~finite).sum())} of {len(points)} vertices have NaN or infinite "
                                      "coordinates and are left out.", severity="warning"))
        points = points[finite]
        colors = colors[finite] if colors is not None else None
    if colors is None:
        problems.append(Problem(name, "point cloud has no vertex colours; drawn in one colour.", severity="info"))
    return Loaded(PointCloud(points, colors), problems)


def _rgb(colors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(colors)[:, :3], dtype=np.uint8)


def read_feature_line(path: Path, code: int, name: str) -> Loaded[FeatureLine]:
    """Read one feature line: a PLY whose vertices are the 3D points of the curve."""
    loaded = read_point_cloud(path)
    if loaded.value is None:
        return Loaded(None, loaded.problems)
    problems = [problem for problem in loaded.problems if problem.severity != "info"]
    return Loaded(FeatureLine(code, name, loaded.value.points, path), problems)


# ---------------------------------------------------------------- registered meshes


class _MaterialResolver(trimesh.resolvers.Resolver):
    """Resolve the .mtl named by an OBJ next to the OBJ, and no textures.

    ``read_mesh`` reads textures itself, next to the .mtl, because trimesh 5.2 looks for
    them next to the OBJ and logs a failure only at debug level.
    """

    def __init__(self, obj_dir: Path, root: Path | None = None):
        self.obj_dir = obj_dir
        self.root = root

    def get(self, name: str) -> bytes:
        path = self.obj_dir / name
        if not name.lower().endswith(".mtl") or (self.root is not None and not _inside(path, self.root)):
            raise FileNotFoundError(name)
        return path.read_bytes()

    def namespaced(self, namespace: str) -> _MaterialResolver:
        return _MaterialResolver(self.obj_dir / namespace, self.root)

    def write(self, name: str, data: bytes) -> None:
        raise NotImplementedError("writing is not supported by this resolver")

    def keys(self) -> list[str]:
        return sorted(path.name for path in self.obj_dir.glob("*.mtl"))


@dataclass
class Material:
    name: str
    texture_name: str = ""
    diffuse: np.ndarray | None = None  # 3 uint8 from Kd


def parse_mtl(text: str) -> list[Material]:
    """Parse the materials of a .mtl: name, diffuse colour (Kd) and diffuse texture (map_Kd)."""
    materials: list[Material] = []
    for raw in text.splitlines():
        parts = raw.strip().split()
        if len(parts) < 2:
            continue
        key = parts[0].lower()
        if key == "newmtl":
            materials.append(Material(" ".join(parts[1:])))
        elif not materials:
            continue
        elif key == "kd" and len(parts) >= 4:
            try:
                values = np.array([float(value) for value in parts[1:4]])
            except ValueError:
                continue
            materials[-1].diffuse = (values.clip(0, 1) * 255).round().astype(np.uint8)
        elif key == "map_kd":
            # Options such as "-s 1 1 1" may come before the file name, which is the last word.
            materials[-1].texture_name = parts[-1]
        # Meshlab writes "Tr 1.000000" with no "d" line. Readers that take Tr as transparency
        # draw the garment invisible, so Tr and d are ignored and meshes are drawn opaque.
    return materials


def _material_files(obj_bytes: bytes) -> list[str]:
    return [match.decode("utf-8", "replace").strip()
            for match in re.findall(rb"^[ \t]*mtllib[ \t]+([^\r\n]+)", obj_bytes, flags=re.MULTILINE)]


def _inside(path: Path, root: Path) -> bool:
    resolved, base = path.resolve(), root.resolve()
    return resolved == base or base in resolved.parents


def resolve_texture(obj_path: Path, root: Path | None = None,
                    obj_bytes: bytes | None = None) -> tuple[Path | None, Material | None, list[Problem]]:
    """Find the texture of an OBJ: its mtllib, then the .mtl's map_Kd, looked up next to the .mtl.

    The .mtl names its texture by bare file name, so the texture is resolved relative to
    the .mtl's folder, not the OBJ's or the working directory. Returns the texture path
    (None when missing), the first material and the problems met.
    """
    problems: list[Problem] = []
    if obj_bytes is None:
        obj_bytes = obj_path.read_bytes()
    libraries = _material_files(obj_bytes)
    if not libraries:
        problems.append(Problem(str(obj_path), "OBJ names no material file (mtllib), so it has no texture.",
                                hint="The mesh is drawn in one colour.", severity="warning"))
        return None, None, problems
    for library in libraries:
        mtl_path = obj_path.parent / library
        if root is not None and not _inside(mtl_path, root):
            problems.append(Problem(str(obj_path), f"mtllib {library} points outside the dataset root; ignored.",
                                    severity="warning"))
            continue
        try:
            materials = parse_mtl(mtl_path.read_text(encoding="utf-8", errors="replace"))
        except FileNotFoundError:
            problems.append(Problem(str(mtl_path), f"material file {library} named by the OBJ (mtllib) not found.",
                                    hint="Copy the .mtl next to the OBJ; the mesh is drawn in one colour.",
                                    severity="warning"))
            continue
        textured = [material for material in materials if material.texture_name]
        if len(materials) > 1:
            problems.append(Problem(str(mtl_path), f"{len(materials)} materials; only the first texture is used.",
                                    severity="info"))
        if not textured:
            problems.append(Problem(str(mtl_path), "material has no texture (map_Kd).",
                                    hint="The mesh is drawn in the material's Kd colour.", severity="warning"))
            return None, materials[0] if materials else None, problems
        material = textured[0]
        texture_path = mtl_path.parent / material.texture_name
        if root is not None and not _inside(texture_path, root):
            problems.append(Problem(str(mtl_path), f"map_Kd {material.texture_name} points outside the dataset "
                                                   "root; ignored.", material.name, severity="warning"))
            return None, material, problems
        if not texture_path.is_file():
            problems.append(Problem(
                str(mtl_path), f"texture {material.texture_name} (map_Kd) not found in {mtl_path.parent}.",
                material.name, hint="The mesh is drawn in the material's Kd colour instead of its texture. "
                                    "Put the texture next to the .mtl.", severity="warning"))
            return None, material, problems
        return texture_path, material, problems
    return None, None, problems


def read_texture(path: Path) -> Loaded[np.ndarray]:
    """Read a texture image as uint8 RGB or RGBA."""
    try:
        with Image.open(path) as image:
            mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
            pixels = np.asarray(image.convert(mode))
    except (OSError, UnidentifiedImageError, ValueError) as error:
        return Loaded(None, [Problem(str(path), f"texture could not be read: {error}.",
                                     hint="The mesh is drawn in the material's Kd colour.", severity="warning")])
    return Loaded(pixels, [])


def read_mesh(obj_path: Path, root: Path | None = None) -> Loaded[TexturedMesh]:
    """Read a registered mesh (OBJ), its material and its texture, reporting a missing texture."""
    name = str(obj_path)
    try:
        obj_bytes = obj_path.read_bytes()
    except FileNotFoundError:
        return Loaded(None, [Problem(name, f"{obj_path.name} not found.", severity="error")])
    texture_path, material, problems = resolve_texture(obj_path, root, obj_bytes)
    try:
        loaded = trimesh.load(io.BytesIO(obj_bytes), file_type="obj", process=False,
                              resolver=_MaterialResolver(obj_path.parent, root))
    except (ValueError, KeyError, IndexError, TypeError) as error:
        return Loaded(None, problems + [Problem(name, f"OBJ could not be read: {error}.",
                                                hint="Download or extract this file again.", severity="error")])
    if isinstance(loaded, trimesh.Scene):
        parts = [geometry for geometry in loaded.geometry.values() if isinstance(geometry, trimesh.Trimesh)]
        if not parts:
            return Loaded(None, problems + [Problem(name, "OBJ holds no faces.", severity="error")])
        if len(parts) > 1:
            problems.append(Problem(name, f"OBJ has {len(parts)} parts; they are drawn as one mesh.",
                                    severity="info"))
        loaded = parts[0] if len(parts) == 1 else _concatenate(parts)
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        return Loaded(None, problems + [Problem(name, "OBJ holds no faces.", severity="error")])

    uv = getattr(loaded.visual, "uv", None)
    uv = np.asarray(uv, dtype=np.float32) if uv is not None and len(uv) == len(loaded.vertices) else None
    vertex_colors = _rgb(loaded.visual.vertex_colors) if loaded.visual.kind == "vertex" else None
    texture = None
    if texture_path is not None:
        read = read_texture(texture_path)
        texture = read.value
        problems.extend(read.problems)
        if texture is not None and uv is None:
            problems.append(Problem(name, "OBJ has a texture but no texture coordinates (vt).",
                                    hint="The mesh is drawn in one colour.", severity="warning"))
    mesh = TexturedMesh(np.asarray(loaded.vertices, dtype=np.float32),
                        np.asarray(loaded.faces, dtype=np.int32), uv, texture,
                        texture_path if texture is not None else None,
                        material.diffuse if material is not None else None, vertex_colors)
    return Loaded(mesh, problems)


def _concatenate(parts: list[trimesh.Trimesh]) -> trimesh.Trimesh:
    offsets = np.cumsum([0] + [len(part.vertices) for part in parts[:-1]])
    vertices = np.vstack([part.vertices for part in parts])
    faces = np.vstack([part.faces + offset for part, offset in zip(parts, offsets)])
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    uvs = [getattr(part.visual, "uv", None) for part in parts]
    if all(uv is not None and len(uv) == len(part.vertices) for uv, part in zip(uvs, parts)):
        mesh.visual = trimesh.visual.TextureVisuals(uv=np.vstack(uvs))
    return mesh


# ---------------------------------------------------------------- the dataset


@dataclass
class ModelFiles:
    """The files of one model found on disk; None where the release has none for it."""

    point_cloud: Path | None = None
    mesh_dir: Path | None = None
    feature_lines: dict[int, Path] = field(default_factory=dict)
    pose: Path | None = None


class DeepFashion3DDataset:
    """Lazy reader of one Deep Fashion3D root (V1 or V2), in the layouts of the module docstring."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.folders = find_folders(self.root) if self.root.is_dir() else {}
        self.problems: list[Problem] = []
        self._index: dict[str, ModelFiles] | None = None
        self._categories: dict[str, str] | None = None
        if not self.folders:
            self.problems.append(Problem(str(self.root), "no point_cloud, filtered_registered_mesh, "
                                         "featureline_annotation or pose_estimation folder found here or "
                                         "one level below.", hint="Point the root at the extracted dataset.",
                                         severity="error"))
        elif "point_clouds" not in self.folders:
            self.problems.append(Problem(str(self.root), "no point_cloud folder found here or one level below, "
                                         "so no model has a point cloud.", severity="info"))

    @property
    def version(self) -> str:
        """Return ``v2`` or ``v1``, which number feature lines differently.

        Only V2 has registered meshes and names its feature-line folder featureline_*; V1
        names its folders deep_fashion_3d_*.
        """
        if "meshes" in self.folders:
            return "v2"
        if any("deep_fashion_3d" in path.name.lower() for path in self.folders.values()):
            return "v1"
        lines = self.folders.get("feature_lines")
        if lines is not None and "featureline" not in re.sub(r"[^a-z]", "", lines.name.lower()):
            return "v1"
        return "v2"

    # -- listing

    def index(self) -> dict[str, ModelFiles]:
        """Return the files of every model, by model id, from folder listings only."""
        if self._index is None:
            self._index = self._build_index()
        return self._index

    def _build_index(self) -> dict[str, ModelFiles]:
        index: dict[str, ModelFiles] = {}

        def entry(garment: str, pose: str) -> ModelFiles:
            return index.setdefault(model_id(str(int(garment)), str(int(pose))), ModelFiles())

        if "point_clouds" in self.folders:
            for path in _walk_files(self.folders["point_clouds"], ".ply"):
                match = MODEL_NAME.match(path.stem)
                if match:
                    entry(*match.groups()).point_cloud = path
        if "meshes" in self.folders:
            for path in _subdirs(self.folders["meshes"]):
                match = MODEL_NAME.match(path.name)
                if match:
                    entry(*match.groups()).mesh_dir = path
        if "feature_lines" in self.folders:
            for path in _walk_files(self.folders["feature_lines"], ".ply"):
                match = FEATURE_LINE_NAME.match(path.stem)
                if match:
                    garment, pose, code = match.groups()
                    entry(garment, pose).feature_lines[int(code)] = path
        if "poses" in self.folders:
            for path in _walk_files(self.folders["poses"], ".pkl"):
                match = MODEL_NAME.match(path.stem)
                if match:
                    entry(*match.groups()).pose = path
        return dict(sorted(index.items(), key=lambda item: _model_key(item[0])))

    def garments(self) -> list[str]:
        """Return the garment ids that have at least one model, in numeric order."""
        return sorted({name.partition("-")[0] for name in self.index()}, key=_numeric_key)

    def poses(self, garment_id: str) -> list[str]:
        """Return the pose ids of one garment, in numeric order."""
        return sorted((name.partition("-")[2] for name in self.index() if name.partition("-")[0] == garment_id),
                      key=_numeric_key)

    def files(self, model: str) -> ModelFiles:
        return self.index().get(model, ModelFiles())

    # -- categories

    def categories(self) -> dict[str, str]:
        """Return the cloth_type_list.txt label of each garment id; empty when the list is absent."""
        if self._categories is None:
            path = self._cloth_type_file()
            self._categories = {} if path is None else self._read_cloth_types(path)
        return self._categories

    def _cloth_type_file(self) -> Path | None:
        candidates = [self.root / CLOTH_TYPE_FILE]
        candidates += [folder / CLOTH_TYPE_FILE for folder in self.folders.values()]
        candidates += [folder.parent / CLOTH_TYPE_FILE for folder in self.folders.values()]
        return next((path for path in candidates if path.is_file()), None)

    def _read_cloth_types(self, path: Path) -> dict[str, str]:
        """Parse lines that pair a label with garment ids, in either order: ``1 long_sleeve_upper``,
        ``long_sleeve_upper 1 2 3`` or ``long_sleeve_upper: 1, 2``."""
        categories: dict[str, str] = {}
        try:
            data = path.read_bytes()
        except OSError as error:
            self.problems.append(Problem(str(path), f"could not be read: {error}."))
            return categories
        for number, raw_bytes in enumerate(data.splitlines(), start=1):
            try:
                raw = raw_bytes.decode("utf-8")
            except UnicodeDecodeError as error:
                raw = raw_bytes.decode("utf-8", errors="replace")
                self.problems.append(Problem(str(path), f"line is not valid UTF-8 ({error.reason} at byte "
                                             f"{error.start}), so undecodable bytes are read as U+FFFD.",
                                             f"line {number}", hint="Save the file as UTF-8.", severity="warning"))
            tokens = [token for token in re.split(r"[\s,;:]+", raw.strip()) if token]
            if not tokens:
                continue
            ids = [MODEL_NAME.match(token).group(1) if MODEL_NAME.match(token) else token
                   for token in tokens if token.isdigit() or MODEL_NAME.match(token)]
            labels = [token for token in tokens if not (token.isdigit() or MODEL_NAME.match(token))]
            if not ids or len(labels) != 1:
                self.problems.append(Problem(str(path), "line is not a category label with garment ids.",
                                             f"line {number}", severity="info"))
                continue
            for garment in ids:
                categories[str(int(garment))] = labels[0]
        return categories

    def category(self, garment_id: str) -> str:
        return self.categories().get(garment_id, "")

    def garment_type(self, garment_id: str) -> str | None:
        label = self.category(garment_id)
        return garment_type(label) if label else None

    # -- parts of a model

    def load_point_cloud(self, model: str) -> Loaded[PointCloud]:
        path = self.files(model).point_cloud
        if path is None and "point_clouds" not in self.folders:
            return Loaded(None, [])
        if path is None:
            return Loaded(None, [Problem(str(self.folders.get("point_clouds", self.root)),
                                         f"no point cloud for model {model}.", severity="info")])
        return read_point_cloud(path)

    def mesh_path(self, model: str) -> Path | None:
        """Return the registered mesh's OBJ path (model_cleaned.obj, else the only .obj there)."""
        folder = self.files(model).mesh_dir
        if folder is None:
            return None
        preferred = folder / MESH_FILE_NAME
        if preferred.is_file():
            return preferred
        others = sorted(folder.glob("*.obj"))
        return others[0] if len(others) == 1 else preferred

    def load_mesh(self, model: str) -> Loaded[TexturedMesh]:
        """Read a model's registered mesh. V2 has one only for models that passed its manual filter."""
        path = self.mesh_path(model)
        if path is None:
            return Loaded(None, [Problem(str(self.folders.get("meshes", self.root)),
                                         f"no registered mesh for model {model}.",
                                         hint="Deep Fashion3D V2 filtered out implausible registrations, "
                                              "so not every point cloud has a mesh.", severity="info")])
        if not path.is_file():
            present = ", ".join(sorted(entry.name for entry in path.parent.iterdir())) or "nothing"
            return Loaded(None, [Problem(str(path), f"{path.name} not found; the folder has {present}.",
                                         hint="The mesh cannot be drawn; copy the OBJ into this folder.",
                                         severity="error")])
        return read_mesh(path, self.root)

    def texture_only(self, model: str) -> Path | None:
        """Return the texture image of a mesh folder whose OBJ is missing, found through its .mtl or name."""
        folder = self.files(model).mesh_dir
        if folder is None:
            return None
        for mtl_path in sorted(folder.glob("*.mtl")):
            materials = parse_mtl(mtl_path.read_text(encoding="utf-8", errors="replace"))
            for material in materials:
                candidate = mtl_path.parent / material.texture_name
                if material.texture_name and candidate.is_file() and _inside(candidate, self.root):
                    return candidate
        candidate = folder / f"{model}_tex.png"
        return candidate if candidate.is_file() else None

    def load_feature_lines(self, model: str) -> Loaded[list[FeatureLine]]:
        """Read every feature line of a model, named by the code table of its garment type."""
        paths = self.files(model).feature_lines
        if not paths:
            return Loaded([], [])
        garment = model.partition("-")[0]
        kind = self.garment_type(garment)
        names = feature_line_names(kind, self.version)

        problems: list[Problem] = []
        if kind is None:
            problems.append(Problem(str(next(iter(paths.values())).parent),
                                    f"garment {garment} has no known category, so feature lines are named by "
                                    "code only.", hint=f"Add {CLOTH_TYPE_FILE} to the point cloud folder.",
                                    severity="info"))
        if self.version == "v1":
            problems.append(Problem(str(next(iter(paths.values())).parent),
                                    "V1 feature lines are reported not to be aligned with the V1 point clouds, so "
                                    "an offset between them may be in the data.", severity="info"))

        lines = []
        for code, path in sorted(paths.items()):
            name = names.get(code)
            if name is None:
                name = f"line {code}"
                if kind is not None:
                    problems.append(Problem(str(path), f"code {code} is not a {self.version.upper()} feature "
                                                       f"line of {kind} garments ({sorted(names)}).",
                                            severity="warning"))
            loaded = read_feature_line(path, code, name)
            problems.extend(loaded.problems)
            if loaded.value is not None:
                lines.append(loaded.value)
        return Loaded(lines, problems)

    def load_pose(self, model: str) -> Loaded[SmplPose]:
        path = self.files(model).pose
        if path is None:
            return Loaded(None, [])
        return read_pose(path)
