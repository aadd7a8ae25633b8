"""Deep Fashion3D: point clouds, registered textured meshes, feature lines and SMPL poses in 3D."""

from pathlib import Path

import pandas as pd
import streamlit as st

from loaders.deepfashion3d import DeepFashion3DDataset, model_id, pose_table
from render import mesh3d
from ui.common import dataset_root, init_state, query_default, show_problems, sync_query
from ui.i18n import t


@st.cache_resource(show_spinner=False)
def open_dataset(root: str) -> DeepFashion3DDataset:
    return DeepFashion3DDataset(Path(root))


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
                 height: int, title: str = ""):
    """Return the figure of one model and lines of statistics (points and faces drawn)."""
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
        lines = [(f"{line.code} {line.name}", mesh3d.order_polyline(line.points)) for line in parts["lines"].value]
        traces.extend(mesh3d.polyline_traces(lines))
    return mesh3d.scene_figure(traces, height=height, title=title), stats


st.title("Deep Fashion3D")
choice = dataset_root("deepfashion3d")
if choice.path is None:
    st.error(t("No Deep Fashion3D folder found. Set {variable}.", variable=choice.family.env_var))
    st.stop()
root = str(choice.path)
dataset = open_dataset(root)
garments = dataset.garments()
show_problems(dataset.problems)
if not garments:
    st.error(t("{root} has no point cloud, registered mesh, feature line or pose file named <id>-<pose>.",
               root=root))
    st.stop()

requested_garment, _, requested_pose = query_default("sample").partition("-")
init_state("df3d_garment", requested_garment if requested_garment in garments else garments[0])
garment = st.sidebar.selectbox(t("Garment"), garments, key="df3d_garment",
                               format_func=lambda g: f"{g} {dataset.category(g)}".strip())
poses = dataset.poses(garment)
if st.session_state.get("df3d_pose") not in poses:
    st.session_state["df3d_pose"] = requested_pose if requested_pose in poses else poses[0]
pose = st.sidebar.selectbox(t("Pose"), poses, key="df3d_pose")
model = model_id(garment, pose)
sync_query(sample=model)

box = st.sidebar.expander(t("Layers"), expanded=True)
layers = {"cloud": box.toggle(t("Point cloud"), True, key="df3d_cloud"),
          "mesh": box.toggle(t("Mesh"), True, key="df3d_mesh"),
          "lines": box.toggle(t("Feature lines"), True, key="df3d_lines"),
          "opacity": box.slider(t("Mesh opacity"), 0.1, 1.0, 1.0, 0.05, key="df3d_opacity"),
          "glb": box.toggle(t("Textured view (three.js)"), False, key="df3d_glb"),
          "point_size": box.slider(t("Point size"), 0.5, 6.0, 1.5, 0.5, key="df3d_point_size")}
color_modes = {"texture": t("texture"), "vertex": t("vertex colours")}
colors = box.radio(t("Mesh colours"), list(color_modes), format_func=color_modes.get, horizontal=True,
                   key="df3d_colors")
with st.sidebar.expander(t("Drawing budget")):
    max_faces = int(st.number_input(t("Maximum faces per mesh"), 1_000, 2_000_000, mesh3d.DEFAULT_FACE_BUDGET,
                                    10_000, key="df3d_max_faces",
                                    help=t("Meshes with more faces are decimated, keeping their colours.")))
    max_points = int(st.number_input(t("Maximum points per point cloud"), 1_000, 2_000_000,
                                     mesh3d.DEFAULT_POINT_BUDGET, 10_000, key="df3d_max_points",
                                     help=t("Larger point clouds are subsampled.")))

kind = dataset.garment_type(garment)
summary = t("Model {model} · category: {category} · feature-line codes: {version}", model=model,
            category=dataset.category(garment) or t("unknown"), version=dataset.version.upper())
st.text(f"{summary} ({kind})" if kind else summary)
parts = load_parts(root, model)
figure, stats = model_figure(root, model, layers, colors, max_faces, max_points, 640)
if figure.data:
    st.plotly_chart(figure, width="stretch", key="df3d_figure")
else:
    st.warning(t("Nothing to draw for model {model} with the layers chosen.", model=model))
for line in stats:
    st.text(line)
if layers["glb"] and parts["mesh"].value is not None:
    st.caption(t("Textured view: the mesh exported as GLB and drawn by three.js. Drag to rotate, scroll to zoom. "
                 "Above the face budget it shows the decimated mesh with vertex colours."))
    st.iframe(textured_view(root, model, max_faces), height=520)
show_problems([problem for part in parts.values() for problem in part.problems])
texture = dataset.texture_only(model) if parts["mesh"].value is None else None
if texture is not None:
    st.image(str(texture), caption=t("Texture of {model} (its mesh could not be drawn)", model=model), width=360)

st.subheader(t("SMPL pose"))
smpl = parts["pose"].value
if smpl is None:
    st.caption(t("No pose file for this model."))
else:
    trans = None if smpl.trans is None else smpl.trans.round(4).tolist()
    st.text(f"scale = {smpl.scale if smpl.scale is None else round(smpl.scale, 4)}    trans = {trans}")
    st.dataframe(pd.DataFrame(pose_table(smpl)), hide_index=True, height=260)
    if smpl.other_keys:
        st.text(t("Other keys in the pose file: {keys}", keys=", ".join(smpl.other_keys)))

st.subheader(t("Poses side by side"))
others = [other for other in poses if other != pose]
if not others:
    st.caption(t("Garment {garment} has one pose only.", garment=garment))
else:
    chosen = st.multiselect(t("Compare with poses"), others, default=others[:2], key="df3d_compare")
    columns = st.columns(len(chosen) + 1) if chosen else []
    for column, other in zip(columns, [pose, *chosen]):
        with column:
            small, small_stats = model_figure(root, model_id(garment, other), layers, colors,
                                              max_faces // len(columns), max_points // len(columns), 420,
                                              title=model_id(garment, other))
            st.plotly_chart(small, width="stretch", key=f"df3d_compare_{other}")
            st.caption(" · ".join(small_stats))
