"""Fashion IQ: candidate image, the two relative captions and the target image, with tags and caption search."""

import textwrap
from pathlib import Path

import pandas as pd
import streamlit as st

from loaders.fashioniq import CaptionRecord, FashionIQDataset, caption_notes
from loaders.images import placeholder, read_image
from ui.browse import sample_navigator
from ui.common import dataset_root, init_state, query_default, show_problems, sync_query
from ui.i18n import t


@st.cache_resource(show_spinner=False)
def open_dataset(root: str) -> FashionIQDataset:
    return FashionIQDataset(Path(root))


def show_product(category: str, asin: str, split: str, role: str) -> None:
    """Show one product image, or a tile with its ASIN and URL when the file is missing, and its tags."""
    st.markdown(f"**{role}**")
    sample = dataset.image_sample(category, asin, split)
    loaded = read_image(sample.image) if sample.fields["has image"] else None
    if loaded is not None and loaded.pixels is not None:
        st.image(loaded.pixels, caption=asin, width="stretch")
    else:
        # OpenCV's fonts draw ASCII only, so the tile text is not translated.
        lines = ["image missing", asin, *textwrap.wrap(sample.image.url, 34)]
        st.image(placeholder(320, 320, lines), caption=asin, width="stretch")
        st.caption(t("No image file {name} on disk.", name=f"images/{asin}.jpg"))
        if sample.image.url:
            st.text(sample.image.url)
    if sample.labels:
        st.dataframe(pd.DataFrame({"tags": list(sample.labels), "words": list(sample.labels.values())}),
                     hide_index=True)
    elif dataset.has_tags(category):
        st.caption(t("No tags for this ASIN."))


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
if choice.path is None:
    st.error(t("No Fashion IQ folder found. Set {variable}.", variable=choice.family.env_var))
    st.stop()
dataset = open_dataset(str(choice.path))
missing = dataset.missing_files()
if missing is not None:
    st.error(str(missing))
    st.stop()
files = dataset.caption_files()

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

caption_file = dataset.captions(category, split)
show_problems(caption_file.problems)
numbers = dataset.search(category, split, query)
if query.strip():
    st.caption(t("{count} of {total} records match.", count=len(numbers), total=len(caption_file.records)))
record_id = sample_navigator("fiq", [str(number) for number in numbers],
                             label=t("Record (of {count})", count=len(numbers)))

if record_id is not None:
    record = caption_file.records[int(record_id)]
    left, middle, right = st.columns([4, 3, 4])
    with left:
        show_product(category, record.candidate, split, t("Candidate"))
    with middle:
        show_captions(record)
    with right:
        if record.target:
            show_product(category, record.target, split, t("Target"))
        else:
            st.markdown(f"**{t('Target')}**")
            st.info(t("Test records have no target."))

with st.expander(t("Images on disk for this split")):
    asins = dataset.split_asins(category, split)
    present = sorted(set(asins) & dataset.image_names())
    st.caption(t("{present} of {total} ASINs of split.{category}.{split}.json have an image file.",
                 present=len(present), total=len(asins), category=category, split=split))
    if present:
        st.dataframe(pd.DataFrame({"ASIN": present}), hide_index=True)
show_problems(dataset.problems)
