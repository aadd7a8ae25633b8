"""Fashion-MNIST: thumbnail grid by class, class counts, and one image enlarged with its label."""

from pathlib import Path

import cv2
import numpy as np
import plotly.express as px
import streamlit as st

from loaders.fashion_mnist import CLASSES, FashionMnistDataset, duplicate_check, file_problems_for_missing
from ui.browse import sample_navigator
from ui.common import dataset_root, escape_markdown, init_state, query_default, show_problems, sync_query
from ui.i18n import t
from ui.quality import export_buttons, quality_panel, review_form

GRID_SIZE = 60


@st.cache_resource(show_spinner=False)
def open_dataset(root: str) -> FashionMnistDataset:
    return FashionMnistDataset(Path(root))


@st.cache_resource(show_spinner=False)
def read_split(root: str, split: str):
    return open_dataset(root).read_split(split)


def class_chart(labels: np.ndarray, title: str, key: str, clickable: bool = False) -> None:
    counts = np.bincount(labels, minlength=10)[:10]
    chart = px.bar(x=[f"{index} {name}" for index, name in enumerate(CLASSES)], y=counts,
                   labels={"x": t("class"), "y": t("images")}, title=title)
    chart.update_layout(height=280, margin={"t": 40, "b": 0})
    st.plotly_chart(chart, width="stretch", key=key, on_select="rerun" if clickable else "ignore",
                    selection_mode="points")


def clicked_classes(key: str) -> list[int]:
    """Return the classes whose bars are selected in the chart with this key (it is drawn further down)."""
    event = st.session_state.get(key) or {}
    points = event.get("selection", {}).get("points", []) if isinstance(event, dict) else []
    return [int(str(point["x"]).split()[0]) for point in points if "x" in point]


def enlarge(image: np.ndarray, size: int) -> np.ndarray:
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_NEAREST)


st.title("Fashion-MNIST")
choice = dataset_root("fashion_mnist")
root = str(choice.path)
dataset = open_dataset(root)
show_problems(dataset.problems)
splits = dataset.splits()
if not splits:
    show_problems(file_problems_for_missing(choice.path))
    st.stop()

init_state("fmnist_split", query_default("split") if query_default("split") in splits else splits[0])
split = st.sidebar.selectbox(t("Split"), splits, key="fmnist_split")
sync_query(split=split)
data = read_split(root, split)
show_problems(data.problems)
if not data.usable:
    st.stop()

class_names = [f"{index} {name}" for index, name in enumerate(CLASSES)]
chosen = st.sidebar.multiselect(t("Classes"), list(range(10)), format_func=class_names.__getitem__,
                                key="fmnist_classes")
chosen = chosen or clicked_classes("fmnist_class_chart")
indices = np.flatnonzero(np.isin(data.labels, chosen)) if chosen else np.arange(len(data.labels))
ids = [str(index) for index in indices]

view = quality_panel("fmnist", "fashion_mnist", root, [(split, sample_id) for sample_id in ids],
                     lambda _, sample_id: dataset.sample(data, int(sample_id)), [duplicate_check(data)])
if view.keys is not None:
    ids = [sample_id for _, sample_id in view.keys]
    indices = np.array([int(sample_id) for sample_id in ids], dtype=int)

sample_id = sample_navigator("fmnist", ids, t("Image (of {count} shown)", count=len(ids)))
if sample_id is None:
    st.stop()
sample = dataset.sample(data, int(sample_id))

big, grid = st.columns([1, 3])
with big:
    picture = enlarge(sample.image.array, 280)
    st.image(picture, width=280)
    st.text(t("Index {index} in the file", index=sample.id))
    st.text(t("Label: {label}", label=sample.labels["class"][0]))
    for flag in view.report.flags_for(split, sample_id) if view.report else []:
        st.warning(escape_markdown(f"{flag.check_id}: {flag.detail}"), icon=":material/flag:")
with grid:
    position = st.session_state["fmnist_position"] - 1
    start = (position // GRID_SIZE) * GRID_SIZE
    shown = indices[start:start + GRID_SIZE]
    st.caption(t("Images {first} to {last} of the current list", first=start + 1, last=start + len(shown)))
    st.image([enlarge(data.images[index], 84) for index in shown],
             caption=[f"{index}: {CLASSES[data.labels[index]]}" for index in shown], width=84)

with st.expander(t("Review this sample"), icon=":material/rate_review:"):
    review_form("fmnist", "fashion_mnist", root, sample)
    export_buttons("fmnist", np.repeat(picture[:, :, None], 3, axis=2), sample, view,
                   [(split, sample_id) for sample_id in ids])
class_chart(data.labels, t("Images per class in {split} (click a bar to browse that class)", split=split),
            "fmnist_class_chart", clickable=True)
for name in dataset.labels_only():
    labels, problems = dataset.read_labels(name)
    with st.expander(t("Labels file without images: {name}", name=name)):
        show_problems(problems)
        if labels is not None:
            st.text(t("{count} labels; class balance checked against the published counts.", count=len(labels)))
            class_chart(labels, t("Labels per class in {split}", split=name), f"fmnist_labels_{name}")
