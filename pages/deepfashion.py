"""DeepFashion: a benchmark selector over the benchmarks found under the root, then one sample at a time."""

import dataclasses
import threading
from pathlib import Path

import streamlit as st

from loaders.deepfashion import BENCHMARK_SHORT_TITLES, detect_benchmarks
from loaders.deepfashion_benchmarks import PREVIEW_ROWS, InShop, open_benchmark
from loaders.deepfashion_checks import deepfashion_checks, statistics_samples
from loaders.stats import DatasetTables, dataset_tables
from ui.browse import sample_navigator
from ui.common import (
    dataset_root,
    escape_markdown,
    init_state,
    progress_bar,
    query_default,
    show_problems,
    style_controls,
    sync_query,
)
from ui.deepfashion_views import show_sample
from ui.i18n import t
from ui.quality import export_buttons, quality_panel, review_form
from ui.stats import statistics_panel


@st.cache_resource(show_spinner=False)
def find_benchmarks(root: str):
    return detect_benchmarks(Path(root))


@st.cache_resource(show_spinner=False)
def open_dataset(root: str, key: str, preview: bool = False):
    dataset = open_benchmark(find_benchmarks(root)[key])
    if preview:
        return dataset.preview()
    with progress_bar(t("Indexing the list files (once per version of the files)...")) as report:
        dataset.open_index(report)
    return dataset


@st.cache_resource(show_spinner=False)
def index_builder(root: str, key: str, index_file: str) -> threading.Thread:
    """Start building the index of the lists in a background thread, once per app process and list version."""
    builder = open_benchmark(find_benchmarks(root)[key])
    thread = threading.Thread(target=builder.open_index, name=f"deepfashion-index {index_file}", daemon=True)
    thread.start()
    return thread


@st.fragment(run_every=2)
def wait_for_index(thread: threading.Thread) -> None:
    if not thread.is_alive():
        st.rerun()
    st.info(t("Indexing the list files in the background: the first {count} images are shown until it is done.",
              count=PREVIEW_ROWS), icon=":material/hourglass_top:")


@st.cache_resource(show_spinner=False)
def matching_ids(root: str, key: str, split: str, chosen: tuple) -> list[str]:
    dataset = open_dataset(root, key)
    bar = st.progress(0.0, text=t("Reading the attribute labels of every image..."))
    total = max(len(dataset.sample_ids("all")), 1)
    ids = dataset.sample_ids(split, dict(chosen), lambda rows: bar.progress(min(rows / total, 1.0)))
    bar.empty()
    return ids


@st.cache_resource(show_spinner=False)
def split_tables(root: str, key: str, split: str) -> DatasetTables:
    dataset = open_dataset(root, key)
    return dataset_tables(statistics_samples(dataset, dataset.keys(split, dataset.sample_ids(split))))


st.title("DeepFashion")
choice = dataset_root("deepfashion")
root = str(choice.path)
locations = find_benchmarks(root)
if not locations:
    st.error(t("No DeepFashion benchmark files found in {root} or its direct subfolders.", root=escape_markdown(root)))
    st.caption(t("Looked for Anno/, Anno_coarse/ or Anno_fine/ with list_category_img.txt, list_attr_img.txt, "
                 "list_landmarks.txt, list_joints.txt, list_*_inshop.txt, list_*_consumer2shop.txt or train.txt."))
    st.stop()

keys = list(locations)
init_state("df_benchmark", query_default("benchmark") if query_default("benchmark") in keys else keys[0])
key = st.sidebar.selectbox(t("Benchmark"), keys, format_func=BENCHMARK_SHORT_TITLES.get, key="df_benchmark")
unopened = open_benchmark(locations[key])
# A large benchmark is indexed in the background while the heads of its lists are shown.
builder = index_builder(root, key, str(unopened.index_file())) if unopened.needs_index_build() else None
if builder is not None and builder.is_alive():
    dataset = open_dataset(root, key, preview=True)
    wait_for_index(builder)
else:
    dataset = open_dataset(root, key)
st.caption(t("{title}: files in {folder}", title=dataset.title, folder=escape_markdown(str(locations[key].anno))))

splits = dataset.splits()
split_key = f"df_{key}_split"
init_state(split_key, query_default("split") if query_default("split") in splits else splits[0])
split = st.sidebar.selectbox(t("Split"), splits, key=split_key)
sync_query(benchmark=key, split=split)

# One garment per image: colour by instance, and no legend over the small images.
init_state("df_color_by", "instance")
init_state("df_legend", False)
style = style_controls("df", masks=False)

chosen = {}
options = dataset.filters()
if options:
    with st.sidebar.expander(t("Filters")):
        for name, values in options.items():
            chosen[name] = st.multiselect(name, list(values), format_func=values.get, key=f"df_{key}_{name}")
        if options.get("attribute"):
            st.caption(t("An image must have every chosen attribute."))
high_resolution = False
if isinstance(dataset, InShop) and dataset.has_high_resolution:
    high_resolution = st.sidebar.toggle(t("High-resolution images (img_highres)"), key="df_highres",
                                        help=t("Boxes and landmarks are mapped from the 256x256 images."))

filtered = tuple((name, tuple(values)) for name, values in chosen.items() if values)
ids = matching_ids(root, key, split, filtered) if filtered else dataset.sample_ids(split)
if filtered:
    st.caption(t("{count} samples match the filters.", count=len(ids)))

# Verdicts and check results are kept per benchmark: fine and coarse lists name the same images.
review_root = str(locations[key].anno)
view = quality_panel(f"df_{key}", "deepfashion", review_root, dataset.keys(split, ids), dataset.keyed_sample,
                     deepfashion_checks(dataset))
if view.keys is not None:
    ids = [sample_id for _, sample_id in view.keys]
with st.expander(t("Statistics of this split"), icon=":material/bar_chart:"):
    if st.toggle(t("Compute statistics (reads every sample of the split)"), key=f"df_{key}_stats"):
        picked = statistics_panel(f"df_{key}", split_tables(root, key, split))
        if picked is not None:
            ids = [sample_id for sample_id in ids if (dataset.split_of(sample_id), sample_id) in picked]

sample_id = sample_navigator(f"df_{key}", ids)
if sample_id is None:
    st.stop()
if isinstance(dataset, InShop):
    sample = dataset.load_sample(sample_id, high_resolution)
else:
    sample = dataset.load_sample(sample_id)
sample_split = dataset.split_of(sample_id)
style.highlight_ids = view.highlight(sample_split, sample_id)
flags = view.report.flags_for(sample_split, sample_id) if view.report is not None else []

picture = show_sample(dataset, sample, style, high_resolution, flags)
show_problems(dataset.problems, t("{count} problems found in the list files", count=len(dataset.problems)))
with st.expander(t("Review this sample"), icon=":material/rate_review:", expanded=True):
    # An In-shop sample is an item: its verdicts are stored under the item id.
    keyed = dataclasses.replace(sample, id=sample_id, split=sample_split)
    review_form(f"df_{key}", "deepfashion", review_root, keyed)
    export_buttons(f"df_{key}", picture, keyed, view, dataset.keys(split, ids))
