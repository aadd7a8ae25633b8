"""3D drawing: decimation within the face budget keeping colours, point budgets, polylines, plotly traces."""

from __future__ import annotations

import base64
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from render.mesh3d import (
    MeshView,
    decimate,
    mesh_trace,
    opaque_texture,
    order_polyline,
    point_trace,
    polyline_traces,
    scene_figure,
    subsample_points,
    transfer_colors,
    viewer_html,
)

REGION_COLOURS = np.array([[200, 30, 40], [30, 160, 60], [40, 60, 200], [230, 200, 40]], dtype=np.uint8)


def wavy_grid(quads_per_side: int) -> tuple[np.ndarray, np.ndarray]:
    """Return a wavy square surface of 2 * quads_per_side**2 triangles over [0, 1] x [0, 1]."""
    axis = np.linspace(0.0, 1.0, quads_per_side + 1)
    xs, ys = np.meshgrid(axis, axis)
    zs = 0.05 * np.sin(6 * xs) * np.cos(5 * ys)
    vertices = np.stack([xs, ys, zs], axis=-1).reshape(-1, 3).astype(np.float32)
    width = quads_per_side + 1
    rows, cols = np.meshgrid(np.arange(quads_per_side), np.arange(quads_per_side), indexing="ij")
    corner = (rows * width + cols).reshape(-1)
    faces = np.concatenate([np.stack([corner, corner + 1, corner + width], axis=1),
                            np.stack([corner + 1, corner + width + 1, corner + width], axis=1)])
    return vertices, faces.astype(np.int32)


def quadrant(points: np.ndarray) -> np.ndarray:
    return (points[:, 0] >= 0.5).astype(int) + 2 * (points[:, 1] >= 0.5).astype(int)


def region_means(points: np.ndarray, colors: np.ndarray, cells: int = 4) -> np.ndarray:
    """Return the mean colour of each cell of a cells x cells grid over the x, y square."""
    index = np.minimum((points[:, 0] * cells).astype(int), cells - 1) * cells + \
        np.minimum((points[:, 1] * cells).astype(int), cells - 1)
    return np.array([colors[index == cell].mean(axis=0) for cell in range(cells * cells)])


@pytest.fixture(scope="module")
def big_mesh():
    vertices, faces = wavy_grid(500)
    centres = vertices[faces].mean(axis=1)
    gradient = (centres[:, :1] * 40).astype(np.uint8)
    face_colors = REGION_COLOURS[quadrant(centres)] - gradient
    return vertices, faces, face_colors


def test_500k_faces_decimated_with_face_colours(big_mesh):
    vertices, faces, face_colors = big_mesh
    assert len(faces) == 500_000

    view = decimate(vertices, faces, face_colors=face_colors, max_faces=100_000)

    assert view.original_faces == 500_000
    assert view.decimated
    assert 50_000 <= len(view.faces) <= 100_000
    assert view.face_colors.shape == (len(view.faces), 3)
    assert view.faces.max() < len(view.vertices)
    before = region_means(vertices[faces].mean(axis=1), face_colors.astype(float))
    after = region_means(view.vertices[view.faces].mean(axis=1), view.face_colors.astype(float))
    assert np.abs(before - after).max() < 6


def test_decimation_keeps_vertex_colours(big_mesh):
    vertices, faces, _ = big_mesh
    vertex_colors = REGION_COLOURS[quadrant(vertices)]

    view = decimate(vertices, faces, vertex_colors=vertex_colors, max_faces=20_000)

    assert len(view.faces) <= 20_000
    assert view.vertex_colors.shape == (len(view.vertices), 3)
    before = region_means(vertices, vertex_colors.astype(float))
    after = region_means(view.vertices, view.vertex_colors.astype(float))
    assert np.abs(before - after).max() < 5


def test_small_mesh_left_alone():
    vertices, faces = wavy_grid(10)
    view = decimate(vertices, faces, max_faces=1_000)
    assert len(view.faces) == 200
    assert not view.decimated


def test_mesh_trace_sends_uint8_colours(big_mesh):
    vertices, faces, face_colors = big_mesh
    view = decimate(vertices, faces, face_colors=face_colors, max_faces=30_000)

    trace = mesh_trace(view, "mesh")

    assert isinstance(trace, go.Mesh3d)
    assert trace.facecolor.dtype == np.uint8
    assert len(trace.facecolor) == len(trace.i) <= 30_000
    assert len(trace.x) == len(view.vertices)


def test_point_budget_subsamples_consistently():
    rng = np.random.default_rng(1)
    points = rng.random((300_000, 3)).astype(np.float32)
    colors = (points * 255).astype(np.uint8)

    kept_points, kept_colors = subsample_points(points, colors, 200_000)

    assert len(kept_points) == 200_000
    assert np.array_equal(kept_colors, (kept_points * 255).astype(np.uint8))
    again, _ = subsample_points(points, colors, 200_000)
    assert np.array_equal(again, kept_points)
    small, small_colors = subsample_points(points[:10], colors[:10], 200_000)
    assert len(small) == 10


def test_polyline_ordered_and_closed():
    angles = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    circle = np.stack([np.cos(angles), np.sin(angles), np.zeros_like(angles)], axis=1)
    shuffled = circle[np.random.default_rng(2).permutation(60)]

    path = order_polyline(shuffled)

    assert len(path) == 61
    assert np.allclose(path[0], path[-1])
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    assert steps.max() < 2 * (2 * np.pi / 60)


def test_polyline_gap_breaks_line():
    line = np.stack([np.r_[np.arange(10), np.arange(30, 40)], np.zeros(20), np.zeros(20)], axis=1)

    path = order_polyline(line)

    assert np.isnan(path).any(axis=1).sum() == 1
    assert len(path) == 21


def test_transparent_texels_filled_from_neighbours():
    texture = np.zeros((8, 8, 4), dtype=np.uint8)
    texture[:, :4] = (250, 10, 10, 255)
    texture[:, 4:] = (0, 0, 0, 0)
    texture[:, 7] = (10, 10, 250, 255)

    filled = opaque_texture(texture)

    assert filled[0, 4].tolist() == [250, 10, 10]
    assert filled[0, 6].tolist() == [10, 10, 250]


def test_transfer_colors_nearest():
    source = np.array([[0, 0, 0], [1, 0, 0]], dtype=np.float32)
    colors = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    result = transfer_colors(source, colors, np.array([[0.1, 0, 0], [0.9, 0.1, 0]], dtype=np.float32))
    assert result.tolist() == [[255, 0, 0], [0, 0, 255]]


def test_scene_figure_traces():
    vertices, faces = wavy_grid(4)
    view = MeshView(vertices, faces, vertex_colors=np.full((len(vertices), 3), 128, np.uint8),
                    original_faces=len(faces))
    circle = np.stack([np.cos(np.arange(12)), np.sin(np.arange(12)), np.zeros(12)], axis=1)
    traces = [mesh_trace(view, "mesh"), point_trace(vertices, None, "point cloud"),
              *polyline_traces([("1 neckline", circle), ("4 hemline", circle + 1)])]

    figure = scene_figure(traces)

    assert [trace.type for trace in figure.data] == ["mesh3d", "scatter3d", "scatter3d", "scatter3d"]
    assert [trace.name for trace in figure.data] == ["mesh", "point cloud", "1 neckline", "4 hemline"]
    assert figure.data[2].mode == "lines"
    assert figure.data[2].line.color != figure.data[3].line.color
    assert figure.data[0].vertexcolor.dtype == np.uint8
    assert figure.layout.scene.aspectmode == "data"


def test_viewer_html_embeds_textured_glb():
    vertices, faces = wavy_grid(4)
    texture = np.zeros((8, 8, 4), dtype=np.uint8)
    texture[:, :] = (20, 120, 220, 255)

    html = viewer_html(vertices, faces, uv=vertices[:, :2], texture=texture)

    assert "GLTFLoader" in html
    glb = base64.b64decode(re.search(r"Z2xURg[A-Za-z0-9+/=]+", html).group(0))
    assert glb[:4] == b"glTF"
    assert b"image/png" in glb
    assert b"TEXCOORD_0" in glb


def test_viewer_html_vertex_colours():
    vertices, faces = wavy_grid(4)
    colors = np.full((len(vertices), 3), 200, dtype=np.uint8)

    glb = base64.b64decode(re.search(r"Z2xURg[A-Za-z0-9+/=]+", viewer_html(vertices, faces,
                                                                           vertex_colors=colors)).group(0))

    assert b"COLOR_0" in glb
    assert b"image/png" not in glb
