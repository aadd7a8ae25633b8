"""iMaterialist: 2018 image labels grouped by task, and 2019/2020 masks with category and attribute names."""

import re

import streamlit as st

from loaders.imaterialist import find_releases
from ui.common import dataset_root, escape_markdown, init_state, query_default, sync_query
from ui.i18n import N_, t
from ui.imaterialist_views import open_reader, show_labels, show_masks

KIND_TEXT = {"labels": N_("image labels"), "masks": N_("masks")}

st.title("iMaterialist")
choice = dataset_root("imaterialist")
releases = {release.name: release for release in find_releases(choice.path)}
if not releases:
    st.error(t("{root} has no iMaterialist files: expected train.json and a label map (2018), or train.csv and "
               "label_descriptions.json (2019, 2020), in the folder or in one subfolder per year.",
               root=escape_markdown(str(choice.path))))
    st.stop()

names = list(releases)
init_state("imat_release", query_default("release") if query_default("release") in names else names[0])
name = st.sidebar.selectbox(t("Release"), names, key="imat_release",
                            format_func=lambda value: f"{value} ({t(KIND_TEXT[releases[value].kind])})")
sync_query(release=name)
release = releases[name]
reader = open_reader(str(release.path), release.kind)
page_key = "imat_" + re.sub(r"\W", "_", name)
if release.kind == "labels":
    show_labels(reader, page_key)
else:
    year = escape_markdown(reader.year) or t("unknown")
    if reader.csv_columns:
        st.caption(t("Release year: {year}", year=year))
    else:
        st.caption(t("Release year: {year} (guessed from the folder name)", year=year))
    show_masks(reader, page_key)
