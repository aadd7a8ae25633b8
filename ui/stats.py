"""Statistics charts of a dataset; clicking a bar narrows the sample browser to it."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.express as px
import streamlit as st

from loaders.stats import DatasetTables
from ui.i18n import t

TOP_LABELS = 30


def _selected(event) -> list:
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    return [point.get("x") for point in points if point.get("x") is not None] + \
        [point.get("y") for point in points if point.get("x") is None and point.get("y") is not None]


def statistics_panel(page_key: str, tables: DatasetTables) -> set[tuple[str, str]] | None:
    """Draw the charts that have data; return the samples of the clicked bars, or None."""
    chosen: set[tuple[str, str]] | None = None

    def narrow(keys: Sequence[tuple[str, str]]) -> None:
        nonlocal chosen
        keys = set(keys)
        chosen = keys if chosen is None else chosen & keys

    instances, labels = tables.instances, tables.labels
    if len(instances):
        counts = instances.category.value_counts().reset_index()
        figure = px.bar(counts, x="category", y="count", title=t("Instances per category (click to filter)"))
        event = st.plotly_chart(figure, on_select="rerun", selection_mode="points", key=f"{page_key}_stats_category")
        picked = _selected(event)
        if picked:
            rows = instances[instances.category.isin(picked)]
            narrow(zip(rows.split, rows.sample_id))
        left, right = st.columns(2)
        left.plotly_chart(px.histogram(tables.samples, x="instances", title=t("Instances per image")),
                          key=f"{page_key}_stats_per_image")
        sized = instances.dropna(subset=["width", "height"])
        if len(sized):
            right.plotly_chart(px.scatter(sized, x="width", y="height", color="category", opacity=0.6,
                                          title=t("Box width and height (pixels)")), key=f"{page_key}_stats_boxes")
            st.plotly_chart(px.histogram(sized, x="aspect", nbins=40, title=t("Box aspect ratio (width / height)")),
                            key=f"{page_key}_stats_aspect")
    if len(labels):
        top = labels.groupby(["group", "label"]).size().reset_index(name="count")
        top = top.sort_values("count", ascending=False).head(TOP_LABELS)
        figure = px.bar(top, x="count", y="label", color="group", orientation="h",
                        title=t("Most frequent labels and attributes, by group (click to filter)"))
        figure.update_layout(yaxis={"categoryorder": "total ascending"}, height=max(300, 18 * len(top)))
        event = st.plotly_chart(figure, on_select="rerun", selection_mode="points", key=f"{page_key}_stats_labels")
        picked = _selected(event)
        if picked:
            rows = labels[labels.label.isin(picked)]
            narrow(zip(rows.split, rows.sample_id))
    if len(tables.keypoints):
        rates = (tables.keypoints.groupby(["schema", "index", "name", "visibility"]).size()
                 .reset_index(name="count"))
        rates["share"] = rates["count"] / rates.groupby(["schema", "index"])["count"].transform("sum")
        for schema, part in rates.groupby("schema"):
            figure = px.bar(part, x="name", y="share", color="visibility", title=t("Keypoint visibility: {schema}",
                                                                                    schema=schema))
            st.plotly_chart(figure, key=f"{page_key}_stats_keypoints_{schema}")
    if len(tables.captions):
        st.plotly_chart(px.histogram(tables.captions, x="words", title=t("Caption length (words)")),
                        key=f"{page_key}_stats_captions")
    if chosen is not None:
        st.info(t("{count} samples selected in the charts; the browser shows only these.", count=len(chosen)))
    return chosen
