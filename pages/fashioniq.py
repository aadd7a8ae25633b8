"""Fashion IQ: candidate image, the two relative captions and the target image, with tags and caption search."""

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from loaders.fashioniq import CaptionRecord, FashionIQDataset, caption_checks, caption_notes
from loaders.fashioniq_index import FashionIQIndex, index_signature, record_key
from loaders.images import read_image
from loaders.stats import DatasetTables, dataset_tables
from render.tiles import placeholder, side_by_side
from ui.browse import sample_navigator
from ui.common import dataset_root, escape_markdown, init_state, progress_bar, query_default, show_problems, sync_query
from ui.i18n import t
from ui.quality import export_buttons, quality_panel, review_form
from ui.stats import statistics_panel

TILE_HEIGHT = 320


@st.cache_resource(show_spinner=False)
def open_index(root: str, signature: str) -> FashionIQIndex:
    """Open the root's index; ``signature`` is part of the cache key, so a changed source file opens a new one."""
    with progress_bar(t("Indexing the caption, tag and URL files...")) as report:
        return FashionIQIndex(FashionIQDataset(Path(root)), report)


@st.cache_resource(show_spinner=False)
def split_tables(root: str, signature: str, key: str) -> DatasetTables:
    index = open_index(root, signature)
    category, split = key.split(".", 1)
    return dataset_tables(index.record_sample(key, str(number)) for number in range(index.count(category, split)))


def show_product(category: str, asin: str, split: str, role: str) -> np.ndarray:
    """Show one product image (or a tile with its ASIN and URL when missing) and its tags, and return the picture."""
    st.markdown(f"**{role}**")
    sample = index.image_sample(category, asin, split)
    loaded = read_image(sample.image) if sample.fields["has image"] else None
    found = loaded is not None and loaded.pixels is not None
    lines = [t("image missing"), asin, *textwrap.wrap(sample.image.url, 34)]
    picture = loaded.pixels if found else placeholder(TILE_HEIGHT, TILE_HEIGHT, lines)
    st.image(picture, caption=asin, width="stretch")
    if not found:
        st.caption(t("No image file {name} on disk.", name=f"images/{asin}.jpg"))
        if sample.image.url:
            st.text(sample.image.url)
    if sample.labels:
        st.dataframe(pd.DataFrame({"tags": list(sample.labels), "words": list(sample.labels.values())}),
                     hide_index=True)
    elif index.has_tags(category):
        st.caption(t("No tags for this ASIN."))
    return picture


def show_captions(record: CaptionRecord) -> None:
    st.markdown(f"**{t('Captions')}**")
    for number, caption in enumerate(record.captions, start=1):
        # Captions are people's free text: shown in quotes as plain text so padding is visible.
        st.text(f"{number}. \u201c{caption}\u201d")
        notes = caption_notes(caption)
        if notes:
            st.caption(t("Caption {number}: {notes}", number=number, notes=", ".join(t(note) for note in notes)))
    show_problems(record.problems)


st.title("Fashion IQ")
choice = dataset_root("fashioniq")
root = str(choice.path)
missing = FashionIQDataset(choice.path).missing_files()
if missing is not None:
    st.error(escape_markdown(str(missing)))
    st.stop()
signature = index_signature(choice.path)
index = open_index(root, signature)
files = index.caption_files()

categories = list(files)
init_state("fiq_category", query_default("category") if query_default("category") in categories else categories[0])
category = st.sidebar.selectbox(t("Category"), categories, key="fiq_category")
splits = files[category]
if st.session_state.get("fiq_split") not in splits:
    st.session_state["fiq_split"] = query_default("split") if query_default("split") in splits else splits[0]
split = st.sidebar.selectbox(t("Split"), splits, key="fiq_split")
init_state("fiq_query", query_default("q"))
query = st.sidebar.text_input(t("Search captions and ASINs"), key="fiq_query",
                              help=t("Records whose captions or ASINs contain every word, ignoring case."))
sync_query(category=category, split=split, q=query.strip())

show_problems(index.file_problems(category, split))
key = record_key(category, split)
numbers = index.search(category, split, query)
if query.strip():
    st.caption(t("{count} of {total} records match.", count=len(numbers), total=index.count(category, split)))
view = quality_panel("fiq", "fashioniq", root, [(key, str(number)) for number in numbers], index.record_sample,
                     caption_checks())
if view.keys is not None:
    numbers = [int(sample_id) for _, sample_id in view.keys]
with st.expander(t("Statistics of this caption file"), icon=":material/bar_chart:"):
    if st.toggle(t("Compute statistics (reads every record of the file)"), key="fiq_stats"):
        picked = statistics_panel("fiq", split_tables(root, signature, key))
        if picked is not None:
            numbers = [number for number in numbers if (key, str(number)) in picked]
record_id = sample_navigator("fiq", [str(number) for number in numbers],
                             label=t("Record (of {count})", count=len(numbers)))

if record_id is not None:
    record = index.record(category, split, int(record_id))
    left, middle, right = st.columns([4, 3, 4])
    with left:
        pictures = [show_product(category, record.candidate, split, t("Candidate"))]
    with middle:
        show_captions(record)
        for flag in view.report.flags_for(key, record_id) if view.report is not None else []:
            st.warning(escape_markdown(f"{flag.check_id}: {flag.detail}"), icon=":material/flag:")
    with right:
        if record.target:
            pictures.append(show_product(category, record.target, split, t("Target")))
        else:
            st.markdown(f"**{t('Target')}**")
            st.info(t("Test records have no target."))
    with st.expander(t("Review this record"), icon=":material/rate_review:", expanded=True):
        sample = index.record_sample(key, record_id)
        review_form("fiq", "fashioniq", root, sample)
        export_buttons("fiq", side_by_side(pictures, TILE_HEIGHT), sample, view,
                       [(key, str(number)) for number in numbers])

with st.expander(t("Images on disk for this split")):
    present, total = index.split_images(category, split)
    st.caption(t("{present} of {total} ASINs of split.{category}.{split}.json have an image file.",
                 present=len(present), total=total, category=category, split=split))
    if present:
        st.dataframe(pd.DataFrame({"ASIN": present}), hide_index=True)
show_problems(index.file_problems())
