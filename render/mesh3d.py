"""Interactive 3D figures (plotly) of meshes, point clouds and 3D polylines, within a drawing budget.

Everything here takes numpy arrays: vertices and points as float32 N x 3, faces as
int32 F x 3, colours as uint8 N x 3. Plotly sends numpy arrays to the browser as typed
arrays, so colours stay compact instead of becoming one string per vertex.

A browser draws a few hundred thousand triangles smoothly, but sending and building
millions freezes the tab. Meshes above the face budget are therefore decimated with
quadric edge collapse (fast-simplification), which drops colours, so colours are
baked to vertices or faces first and carried over to the simplified mesh by nearest
neighbour. Point clouds above the point budget are subsampled.

Usage::

    view = decimate(vertices, faces, face_colors=colors, max_faces=100_000)
    figure = scene_figure([mesh_trace(view, "mesh"), *polyline_traces([("hem", points)])])
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import fast_simplification
import numpy as np
import plotly.graph_objects as go
import trimesh
import trimesh.viewer.notebook
from PIL import Image
from scipy.spatial import cKDTree

from render.colors import color_for

DEFAULT_FACE_BUDGET = 100_000
DEFAULT_POINT_BUDGET = 200_000


@dataclass
class Budgets:
    """Maximum numbers of triangles and points sent to the browser per figure."""

    faces: int = DEFAULT_FACE_BUDGET
    points: int = DEFAULT_POINT_BUDGET


@dataclass
class MeshView:
    """A mesh ready to draw: at most the budgeted faces, with colours per vertex or per face."""

    vertices: np.ndarray  # V x 3 float32
    faces: np.ndarray  # F x 3 int32
    vertex_colors: np.ndarray | None = None  # V x 3 uint8
    face_colors: np.ndarray | None = None  # F x 3 uint8
    original_faces: int = 0

    @property
    def decimated(self) -> bool:
        return len(self.faces) < self.original_faces


# ---------------------------------------------------------------- colours from a texture


def opaque_texture(texture: np.ndarray) -> np.ndarray:
    """Return the RGB texture with fully transparent texels filled from the nearest opaque texel.

    Texture atlases leave the space between UV islands transparent, with arbitrary RGB
    values (often black). Samples on an island's edge would show those as dark seams.
    """
    if texture.ndim == 2:
        return np.repeat(texture[:, :, None], 3, axis=2)
    rgb = np.ascontiguousarray(texture[:, :, :3])
    if texture.shape[2] < 4:
        return rgb
    transparent = texture[:, :, 3] == 0
    if not transparent.any() or transparent.all():
        return rgb
    # distanceTransformWithLabels labels each texel with its nearest zero texel (an opaque one).
    _, labels = cv2.distanceTransformWithLabels(transparent.astype(np.uint8), cv2.DIST_L2, 3,
                                                labelType=cv2.DIST_LABEL_PIXEL)
    opaque_rows, opaque_cols = np.nonzero(~transparent)
    label_to_color = np.zeros((labels.max() + 1, 3), dtype=np.uint8)
    label_to_color[labels[opaque_rows, opaque_cols]] = rgb[opaque_rows, opaque_cols]
    filled = rgb.copy()
    filled[transparent] = label_to_color[labels[transparent]]
    return filled


def sample_texture(texture_rgb: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Return the nearest texel colour (uint8 N x 3) at each UV. UVs wrap, and v = 0 is the image bottom."""
    height, width = texture_rgb.shape[:2]
    wrapped = np.mod(np.nan_to_num(uv, nan=0.0), 1.0)
    cols = np.minimum((wrapped[:, 0] * width).astype(np.int64), width - 1)
    rows = np.minimum(((1.0 - wrapped[:, 1]) * height).astype(np.int64), height - 1)
    return texture_rgb[rows, cols]


def face_colors_from_texture(texture_rgb: np.ndarray, uv: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Bake a texture to one colour per face: the average of the texels at its centre and corners."""
    corners = uv[faces]  # F x 3 x 2
    samples = [sample_texture(texture_rgb, corners.mean(axis=1))]
    # Corners pulled a third of the way towards the centre stay inside the face's UV island.
    for corner in range(3):
        samples.append(sample_texture(texture_rgb, corners[:, corner] * 2 / 3 + corners.mean(axis=1) / 3))
    return np.mean(samples, axis=0).round().astype(np.uint8)


# ---------------------------------------------------------------- budgets


def weld(vertices: np.ndarray, faces: np.ndarray,
         vertex_colors: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Merge vertices at identical positions (split by UV seams), averaging their colours."""
    unique, inverse = np.unique(vertices, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    colors = None
    if vertex_colors is not None:
        sums = np.zeros((len(unique), 3), dtype=np.float64)
        np.add.at(sums, inverse, vertex_colors.astype(np.float64))
        counts = np.bincount(inverse, minlength=len(unique))[:, None]
        colors = (sums / np.maximum(counts, 1)).round().astype(np.uint8)
    return unique.astype(np.float32), inverse[faces].astype(np.int32), colors


def decimate(vertices: np.ndarray, faces: np.ndarray, *, vertex_colors: np.ndarray | None = None,
             face_colors: np.ndarray | None = None, max_faces: int = DEFAULT_FACE_BUDGET) -> MeshView:
    """Return the mesh with at most ``max_faces`` faces and its colours carried over.

    Colours are transferred from the nearest original vertex (vertex colours) or the
    nearest original face centre (face colours).
    """
    vertices = np.asarray(vertices, dtype=np.float32)
    faces = np.asarray(faces, dtype=np.int32)
    original = len(faces)
    if original <= max_faces:
        return MeshView(vertices, faces, vertex_colors, face_colors, original)

    welded_vertices, welded_faces, welded_colors = weld(vertices, faces, vertex_colors)
    simple_vertices, simple_faces = welded_vertices, welded_faces
    reduction = 1.0 - max_faces / original
    for _ in range(4):
        simple_vertices, simple_faces = fast_simplification.simplify(
            welded_vertices, welded_faces, target_reduction=min(reduction, 0.999))
        if len(simple_faces) <= max_faces:
            break
        # Edge collapse may stop short of the target, so ask for a little more each round.
        reduction = 1.0 - (1.0 - reduction) * max_faces / len(simple_faces) * 0.98
    simple_vertices = np.asarray(simple_vertices, dtype=np.float32)
    simple_faces = np.asarray(simple_faces, dtype=np.int32)
    if len(simple_faces) > max_faces:
        simple_faces = simple_faces[:max_faces]

    view = MeshView(simple_vertices, simple_faces, original_faces=original)
    if welded_colors is not None:
        _, nearest = cKDTree(welded_vertices).query(simple_vertices, workers=-1)
        view.vertex_colors = welded_colors[nearest]
    if face_colors is not None:
        centres = welded_vertices[welded_faces].mean(axis=1)
        _, nearest = cKDTree(centres).query(simple_vertices[simple_faces].mean(axis=1), workers=-1)
        view.face_colors = face_colors[nearest]
    return view


def subsample_points(points: np.ndarray, colors: np.ndarray | None, max_points: int,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """Return at most ``max_points`` points, a fixed random subset so redraws do not flicker."""
    if len(points) <= max_points:
        return points, colors
    keep = np.sort(np.random.default_rng(seed).choice(len(points), size=max_points, replace=False))
    return points[keep], None if colors is None else colors[keep]


def order_polyline(points: np.ndarray, gap_factor: float = 4.0) -> np.ndarray:
    """Order an unordered set of curve points into a path, with NaN rows where the path jumps.

    Greedy nearest-neighbour walk from one end of the curve. A step longer than
    ``gap_factor`` times the median step becomes a break (a NaN row), so a curve with
    holes is not drawn with long straight chords across them.
    """
    points = np.asarray(points, dtype=np.float32)
    if len(points) < 3:
        return points
    tree = cKDTree(points)
    # Start at the point farthest from the centroid: an end of an open curve.
    current = int(np.argmax(np.linalg.norm(points - points.mean(axis=0), axis=1)))
    visited = np.zeros(len(points), dtype=bool)
    order = [current]
    visited[current] = True
    for _ in range(len(points) - 1):
        neighbours = min(len(points), 16)
        while True:
            _, candidates = tree.query(points[current], k=neighbours)
            unvisited = [int(index) for index in np.atleast_1d(candidates) if not visited[index]]
            if unvisited or neighbours == len(points):
                break
            neighbours = min(len(points), neighbours * 4)
        current = unvisited[0]
        visited[current] = True
        order.append(current)
    path = points[order]
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    median = float(np.median(steps))
    # Close a loop (necklines, hems) when the last point is about one step from the first.
    closing = float(np.linalg.norm(path[-1] - path[0]))
    if median > 0 and closing <= gap_factor * median:
        path = np.vstack([path, path[:1]])
        steps = np.append(steps, closing)
    breaks = np.nonzero(steps > gap_factor * max(median, 1e-12))[0]
    if len(breaks):
        path = np.insert(path, breaks + 1, np.nan, axis=0)
    return path


# ---------------------------------------------------------------- traces and figures


def mesh_trace(view: MeshView, name: str, opacity: float = 1.0,
               color: tuple[int, int, int] = (180, 180, 180)) -> go.Mesh3d:
    """Return a Mesh3d trace coloured per face, else per vertex, else in one ``color``."""
    colors: dict = {}
    if view.face_colors is not None:
        colors["facecolor"] = np.ascontiguousarray(view.face_colors, dtype=np.uint8)
    elif view.vertex_colors is not None:
        colors["vertexcolor"] = np.ascontiguousarray(view.vertex_colors, dtype=np.uint8)
    else:
        colors["color"] = "rgb({},{},{})".format(*color)
    vertices, faces = view.vertices, view.faces
    return go.Mesh3d(x=vertices[:, 0], y=vertices[:, 1], z=vertices[:, 2],
                     i=faces[:, 0], j=faces[:, 1], k=faces[:, 2], name=name, showlegend=True,
                     opacity=opacity, flatshading=False, hoverinfo="name",
                     lighting={"ambient": 0.65, "diffuse": 0.5, "specular": 0.05, "roughness": 0.9},
                     **colors)


def point_trace(points: np.ndarray, colors: np.ndarray | None, name: str, size: float = 1.5,
                color: tuple[int, int, int] = (90, 90, 90)) -> go.Scatter3d:
    """Return a Scatter3d of points with per-point uint8 colours, else one ``color``."""
    marker_color = np.ascontiguousarray(colors, dtype=np.uint8) if colors is not None else \
        "rgb({},{},{})".format(*color)
    return go.Scatter3d(x=points[:, 0], y=points[:, 1], z=points[:, 2], mode="markers", name=name,
                        marker={"size": size, "color": marker_color}, hoverinfo="name")


def polyline_traces(lines: list[tuple[str, np.ndarray]], width: float = 7.0) -> list[go.Scatter3d]:
    """Return one coloured Scatter3d per named polyline (already ordered), each in the legend."""
    traces = []
    for number, (name, path) in enumerate(lines):
        rgb = "rgb({},{},{})".format(*color_for(number))
        traces.append(go.Scatter3d(x=path[:, 0], y=path[:, 1], z=path[:, 2], mode="lines", name=name,
                                   line={"color": rgb, "width": width}, connectgaps=False, hoverinfo="name"))
    return traces


def scene_figure(traces: list, height: int = 620, title: str = "") -> go.Figure:
    """Return a figure with equal axis scales, seen from the front left and a little above (y up)."""
    figure = go.Figure(traces)
    figure.update_layout(
        height=height, margin={"l": 0, "r": 0, "t": 30 if title else 0, "b": 0},
        title={"text": title, "x": 0.02, "font": {"size": 14}} if title else None,
        legend={"itemsizing": "constant", "x": 0.0, "y": 1.0, "bgcolor": "rgba(255,255,255,0.6)"},
        scene={"aspectmode": "data", "dragmode": "orbit",
               "camera": {"up": {"x": 0, "y": 1, "z": 0}, "eye": {"x": -0.8, "y": 0.45, "z": 2.2}},
               "xaxis": {"visible": False}, "yaxis": {"visible": False}, "zaxis": {"visible": False}},
        uirevision="keep-camera")
    return figure


def transfer_colors(source_points: np.ndarray, source_colors: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Return for each target position the colour of the nearest source point."""
    _, nearest = cKDTree(source_points).query(targets, workers=-1)
    return source_colors[nearest]


# Notes returned by mesh_colors, in English; pages translate them as UI text.
COLOR_NOTES = {
    "file": "vertex colours of the mesh file",
    "cloud": "vertex colours taken from the nearest point of the point cloud",
    "texture": "vertex colours sampled from the texture",
    "none": "no texture and no vertex colours: drawn in the material colour",
}


def mesh_colors(mode: str, vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray | None,
                texture: np.ndarray | None, vertex_colors: np.ndarray | None = None,
                cloud_points: np.ndarray | None = None,
                cloud_colors: np.ndarray | None = None) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """Choose a mesh's colours: per face from the texture (``mode`` "texture") or per vertex ("vertex").

    Vertex colours come from the mesh file, else from the nearest point of a coloured
    point cloud, else from the texture. Returns (vertex colours, face colours, a
    COLOR_NOTES key, empty when the texture was used as requested).
    """
    textured = texture is not None and uv is not None
    if mode == "texture" and textured:
        return None, face_colors_from_texture(opaque_texture(texture), uv, faces), ""
    if vertex_colors is not None:
        return vertex_colors, None, "file"
    if cloud_points is not None and cloud_colors is not None:
        return transfer_colors(cloud_points, cloud_colors, vertices), None, "cloud"
    if textured:
        return sample_texture(opaque_texture(texture), uv), None, "texture"
    return None, None, "none"


def viewer_html(vertices: np.ndarray, faces: np.ndarray, *, uv: np.ndarray | None = None,
                texture: np.ndarray | None = None, vertex_colors: np.ndarray | None = None) -> str:
    """Return a self-contained HTML page showing the mesh in three.js, textured when ``texture`` is given.

    The mesh is exported as GLB into trimesh's viewer page, which inlines three.js, its
    GLTFLoader and TrackballControls (bundled with trimesh 5.2), so the page loads
    nothing from the network.
    """
    if texture is not None and uv is not None:
        material = trimesh.visual.material.PBRMaterial(
            baseColorTexture=Image.fromarray(opaque_texture(texture)), metallicFactor=0.0, roughnessFactor=1.0,
            doubleSided=True)
        visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    elif vertex_colors is not None:
        visual = trimesh.visual.ColorVisuals(vertex_colors=vertex_colors)
    else:
        visual = None
    mesh = trimesh.Trimesh(vertices, faces, visual=visual, process=False)
    return trimesh.viewer.notebook.scene_to_html(trimesh.Scene(mesh))
