"""Deep Fashion3D: point clouds, registered textured meshes, feature lines and SMPL poses in 3D."""

import streamlit as st

from loaders.deepfashion3d import model_id
from loaders.deepfashion3d_quality import model_checks, model_sample
from render import mesh3d
from ui.common import dataset_root, escape_markdown, init_state, query_default, show_problems, sync_query
from ui.deepfashion3d_views import (
    compare_poses,
    load_parts,
    model_figure,
    open_dataset,
    review_sample,
    show_pose,
    statistics_panel,
    textured_view,
)
from ui.i18n import t
from ui.quality import export_buttons, quality_panel, review_form

st.title("Deep Fashion3D")
choice = dataset_root("deepfashion3d")
root = str(choice.path)
dataset = open_dataset(root)
garments = dataset.garments()
show_problems(dataset.problems)
if not garments:
    st.error(t("{root} has no point cloud, registered mesh, feature line or pose file named <id>-<pose>.",
               root=escape_markdown(root)))
    st.stop()

models = list(dataset.index())
view = quality_panel("df3d", "deepfashion3d", root, [("", name) for name in models],
                     lambda _split, name: model_sample(dataset, name), model_checks())
matching = models if view.keys is None else [name for _, name in view.keys]
with st.expander(t("Statistics of this dataset"), icon=":material/bar_chart:"):
    if st.toggle(t("Compute statistics (reads every point cloud header and OBJ)"), key="df3d_stats"):
        picked = statistics_panel(root)
        if picked is not None:
            matching = [name for name in matching if name in picked]
if not matching:
    st.warning(t("No model matches the current choice."))
    st.stop()
garments = list(dict.fromkeys(name.partition("-")[0] for name in matching))
if len(matching) < len(models):
    st.caption(t("{count} of {total} models match the quality and statistics filters.", count=len(matching),
                 total=len(models)))

requested_garment, _, requested_pose = query_default("sample").partition("-")
init_state("df3d_garment", requested_garment if requested_garment in garments else garments[0])
if st.session_state["df3d_garment"] not in garments:
    st.session_state["df3d_garment"] = garments[0]
garment = st.sidebar.selectbox(t("Garment"), garments, key="df3d_garment",
                               format_func=lambda g: f"{g} {dataset.category(g)}".strip())
poses = [name.partition("-")[2] for name in matching if name.partition("-")[0] == garment]
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
figure, stats = model_figure(root, model, layers, colors, max_faces, max_points, 640,
                             highlight=view.highlight("", model))
if figure.data:
    st.plotly_chart(figure, width="stretch", key="df3d_figure")
else:
    st.warning(t("Nothing to draw for model {model} with the layers chosen.", model=model))
for line in stats:
    st.text(line)
if view.report is not None:
    for flag in view.report.flags_for("", model):
        st.warning(escape_markdown(f"{flag.check_id}: {flag.instance_id} {flag.detail}"), icon=":material/flag:")
if layers["glb"] and parts["mesh"].value is not None:
    st.caption(t("Textured view: the mesh exported as GLB and drawn by three.js. Drag to rotate, scroll to zoom. "
                 "Above the face budget it shows the decimated mesh with vertex colours."))
    st.iframe(textured_view(root, model, max_faces), height=520)
show_problems([problem for part in parts.values() for problem in part.problems])
texture = dataset.texture_only(model) if parts["mesh"].value is None else None
if texture is not None:
    st.image(str(texture), caption=t("Texture of {model} (its mesh could not be drawn)", model=model), width=360)

show_pose(parts["pose"].value)
compare_poses(root, garment, pose, dataset.poses(garment), layers, colors, max_faces, max_points)
with st.expander(t("Review this model"), icon=":material/rate_review:", expanded=True):
    sample = review_sample(model, parts)
    review_form("df3d", "deepfashion3d", root, sample)
    export_buttons("df3d", None, sample, view, [("", name) for name in matching])
    st.caption(t("No PNG export here: a 3D view has no single picture. Save the current view with the camera "
                 "icon of the chart's toolbar."))
