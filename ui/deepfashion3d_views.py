"""Cached 3D figures, the SMPL pose table, the poses side by side and the statistics of the Deep Fashion3D page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from loaders.deepfashion3d import DeepFashion3DDataset, SmplPose, model_id, pose_table
from loaders.deepfashion3d_quality import model_counts
from loaders.model import Instance, Sample
from render import mesh3d
from ui.i18n import t

# Feature lines flagged by a quality check are drawn this much wider than the others.
FLAGGED_LINE_WIDTH = 16.0


@st.cache_resource(show_spinner=False)
def open_dataset(root: str) -> DeepFashion3DDataset:
    dataset = DeepFashion3DDataset(Path(root))
    # Reading cloth_type_list.txt now puts its problems in dataset.problems before the page shows them.
    dataset.categories()
    return dataset


# A registered mesh with its 2048 x 2048 texture takes about 20 MB, so few models are kept.
@st.cache_resource(show_spinner=False, max_entries=6)
def load_parts(root: str, model: str) -> dict:
    dataset = open_dataset(root)
    parts = {"cloud": dataset.load_point_cloud(model), "mesh": dataset.load_mesh(model),
             "lines": dataset.load_feature_lines(model), "pose": dataset.load_pose(model)}
    mesh = parts["mesh"].value
    if mesh is not None and mesh.texture is not None:
        # Filling transparent texels took 0.8 s for a 2048 x 2048 texture on 2 cores, so it runs once per model.
        mesh.texture = mesh3d.opaque_texture(mesh.texture)
    return parts


@st.cache_resource(show_spinner=False, max_entries=12)
def mesh_view(root: str, model: str, mode: str, max_faces: int):
    """Return the mesh within the face budget, colours chosen by ``mode``, and a COLOR_NOTES key."""
    parts = load_parts(root, model)
    mesh, cloud = parts["mesh"].value, parts["cloud"].value
    vertex_colors, face_colors, note = mesh3d.mesh_colors(
        mode, mesh.vertices, mesh.faces, mesh.uv, mesh.texture, mesh.vertex_colors,
        None if cloud is None else cloud.points, None if cloud is None else cloud.colors)
    view = mesh3d.decimate(mesh.vertices, mesh.faces, vertex_colors=vertex_colors, face_colors=face_colors,
                           max_faces=max_faces)
    return view, note


@st.cache_data(show_spinner=False, max_entries=4)
def textured_view(root: str, model: str, max_faces: int) -> str:
    """Return the three.js page of a mesh: textured, or with vertex colours once decimated."""
    mesh = load_parts(root, model)["mesh"].value
    if len(mesh.faces) <= max_faces:
        return mesh3d.viewer_html(mesh.vertices, mesh.faces, uv=mesh.uv, texture=mesh.texture,
                                  vertex_colors=mesh.vertex_colors)
    view, _ = mesh_view(root, model, "vertex", max_faces)
    return mesh3d.viewer_html(view.vertices, view.faces, vertex_colors=view.vertex_colors)


def model_figure(root: str, model: str, layers: dict, colors: str, max_faces: int, max_points: int,
                 height: int, title: str = "", highlight: set[str] = frozenset()):
    """Return the figure of one model and lines of statistics (points and faces drawn).

    Feature lines whose instance id (``line <code>``) is in ``highlight`` are drawn wider
    and named as flagged.
    """
    parts = load_parts(root, model)
    traces, stats = [], []
    cloud, mesh = parts["cloud"].value, parts["mesh"].value
    if layers["mesh"] and mesh is not None:
        view, note = mesh_view(root, model, colors, max_faces)
        note = t(mesh3d.COLOR_NOTES[note]) if note else ""
        color = tuple(int(c) for c in mesh.material_color) if mesh.material_color is not None else (180, 180, 180)
        traces.append(mesh3d.mesh_trace(view, t("mesh"), opacity=layers["opacity"], color=color))
        line = t("Mesh: {shown:,} of {total:,} faces drawn", shown=len(view.faces), total=view.original_faces)
        if view.decimated:
            line += t(" (decimated to the face budget)")
        stats.append(f"{line}; {note}" if note else line)
    if layers["cloud"] and cloud is not None:
        points, point_colors = mesh3d.subsample_points(cloud.points, cloud.colors, max_points)
        traces.append(mesh3d.point_trace(points, point_colors, t("point cloud"), size=layers["point_size"]))
        stats.append(t("Point cloud: {shown:,} of {total:,} points drawn", shown=len(points), total=len(cloud.points))
                     + (t(" (subsampled to the point budget)") if len(points) < len(cloud.points) else ""))
    if layers["lines"] and parts["lines"].value:
        shown_lines = parts["lines"].value
        lines = [(f"{line.code} {line.name}", mesh3d.order_polyline(line.points)) for line in shown_lines]
        line_traces = mesh3d.polyline_traces(lines)
        for line, trace in zip(shown_lines, line_traces):
            if f"line {line.code}" in highlight:
                trace.name = t("{name} (flagged)", name=trace.name)
                trace.line.width = FLAGGED_LINE_WIDTH
        traces.extend(line_traces)
    return mesh3d.scene_figure(traces, height=height, title=title), stats


def review_sample(model: str, parts: dict) -> Sample:
    """Return the Sample the verdict form records against: the model, with its feature lines as instances."""
    lines = parts["lines"].value or []
    return Sample(model, instances=[Instance(f"line {line.code}", line.code, line.name) for line in lines])


def show_pose(smpl: SmplPose | None) -> None:
    st.subheader(t("SMPL pose"))
    if smpl is None:
        st.caption(t("No pose file for this model."))
        return
    trans = None if smpl.trans is None else smpl.trans.round(4).tolist()
    st.text(f"scale = {smpl.scale if smpl.scale is None else round(smpl.scale, 4)}    trans = {trans}")
    st.dataframe(pd.DataFrame(pose_table(smpl)), hide_index=True, height=260)
    if smpl.other_keys:
        st.text(t("Other keys in the pose file: {keys}", keys=", ".join(smpl.other_keys)))


def compare_poses(root: str, garment: str, pose: str, poses: list[str], layers: dict, colors: str,
                  max_faces: int, max_points: int) -> None:
    """Draw the chosen pose beside other poses of the same garment, splitting the budgets between them."""
    st.subheader(t("Poses side by side"))
    others = [other for other in poses if other != pose]
    if not others:
        st.caption(t("Garment {garment} has one pose only.", garment=garment))
        return
    chosen = st.multiselect(t("Compare with poses"), others, default=others[:2], key="df3d_compare")
    columns = st.columns(len(chosen) + 1) if chosen else []
    for column, other in zip(columns, [pose, *chosen]):
        with column:
            small, small_stats = model_figure(root, model_id(garment, other), layers, colors,
                                              max_faces // len(columns), max_points // len(columns), 420,
                                              title=model_id(garment, other))
            st.plotly_chart(small, width="stretch", key=f"df3d_compare_{other}")
            st.caption(" · ".join(small_stats))


@st.cache_data(show_spinner=False)
def model_table(root: str) -> pd.DataFrame:
    """Return one row per model with its category and counts, read from PLY headers and OBJ lines."""
    dataset = open_dataset(root)
    return pd.DataFrame([model_counts(dataset, model) for model in dataset.index()])


def _selected_points(event, field: str) -> list:
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    return [point[field] for point in points if point.get(field) is not None]


def statistics_panel(root: str) -> set[str] | None:
    """Draw models per category and point and face counts, and return the models of the clicked marks or None."""
    table = model_table(root)
    chosen: set[str] | None = None
    counts = table.category.value_counts().reset_index()
    figure = px.bar(counts, x="category", y="count", title=t("Models per category (click to filter)"))
    picked = _selected_points(st.plotly_chart(figure, on_select="rerun", selection_mode="points",
                                              key="df3d_stats_category"), "x")
    if picked:
        chosen = set(table.model[table.category.isin(picked)])

    sized = table.fillna({"points": 0, "faces": 0})
    figure = px.scatter(sized, x="points", y="faces", color="category", custom_data=["model"], hover_name="model",
                        title=t("Points and faces per model (no mesh: 0 faces; click or lasso to filter)"))
    event = st.plotly_chart(figure, on_select="rerun", selection_mode=("points", "box", "lasso"),
                            key="df3d_stats_counts")
    picked = [data[0] if isinstance(data, list) else data for data in _selected_points(event, "customdata")]
    if picked:
        chosen = set(picked) if chosen is None else chosen & set(picked)
    left, right = st.columns(2)
    left.plotly_chart(px.histogram(table, x="points", title=t("Points per point cloud")), key="df3d_stats_points")
    right.plotly_chart(px.histogram(table.dropna(subset=["faces"]), x="faces", title=t("Faces per registered mesh")),
                       key="df3d_stats_faces")
    if chosen is not None:
        st.info(t("{count} models selected in the charts; the garment list shows only these.", count=len(chosen)))
    return chosen
