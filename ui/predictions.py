"""Predictions beside ground truth: a COCO results file picker, a score threshold, side-by-side or overlaid views."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from loaders.coco import CocoInstances
from loaders.coco_results import CocoResults, find_results_files, match_predictions, read_results
from loaders.model import Instance, Sample
from loaders.roots import PathOutsideRoots, confine
from render.annotate import draw_instances
from render.style import Style
from ui.browse import render_sample
from ui.common import relative_name, show_problems
from ui.i18n import t

SIDE_BY_SIDE = "side by side"
OVERLAID = "overlaid"


@dataclass
class PredictionView:
    """The results file chosen in the sidebar and how to show it."""

    results: CocoResults
    min_score: float
    mode: str


@st.cache_resource(show_spinner=False)
def _results_from_file(path: str, modified: float, gt_path: str, _gt: CocoInstances) -> CocoResults:
    return read_results(Path(path).read_bytes(), path, _gt)


@st.cache_resource(show_spinner=False, max_entries=4)
def _results_from_upload(digest: str, name: str, gt_path: str, _data: bytes, _gt: CocoInstances) -> CocoResults:
    return read_results(_data, name, _gt)


@st.cache_data(show_spinner=False, ttl=60)
def _list_results(root: str) -> list[str]:
    base = Path(root)
    inside = []
    for path in find_results_files(base):
        try:
            confine(path, [base])
        except PathOutsideRoots:
            continue  # a symbolic link that leaves the dataset root
        inside.append(relative_name(path, base))
    return inside


def prediction_controls(page_key: str, root: Path, gt: CocoInstances) -> PredictionView | None:
    """Show the predictions expander in the sidebar and return the loaded results, or None when none is chosen."""
    box = st.sidebar.expander(t("Predictions"), expanded=False)
    files = _list_results(str(root))
    none = t("none")
    chosen = box.selectbox(t("Results file in the dataset folder"), [none, *files], key=f"{page_key}_results",
                           help=t("COCO results JSON files (a list of annotations with score) found under "
                                  "the dataset folder."))
    upload = box.file_uploader(t("or upload a results file"), type=["json"], key=f"{page_key}_results_upload")
    if upload is not None:
        data = upload.getvalue()
        results = _results_from_upload(hashlib.sha256(data).hexdigest(), upload.name, str(gt.path), data, gt)
    elif chosen != none:
        path = Path(root) / chosen
        results = _results_from_file(str(path), path.stat().st_mtime, str(gt.path), gt)
    else:
        return None
    min_score = box.slider(t("Score threshold"), 0.0, 1.0, 0.5, 0.05, key=f"{page_key}_min_score",
                           help=t("Predictions with a lower score are hidden."))
    modes = {SIDE_BY_SIDE: t("side by side"), OVERLAID: t("overlaid")}
    mode = box.radio(t("View"), list(modes), format_func=modes.get, horizontal=True, key=f"{page_key}_pred_mode")
    box.caption(t("{count} predictions on {images} images.", count=results.count, images=len(results.by_image)))
    return PredictionView(results, min_score, mode)


def prediction_table(predictions: list[Instance], ground_truth: list[Instance], sample: Sample) -> pd.DataFrame:
    """Return one row per prediction with the best-overlapping ground-truth instance and their IoU."""
    height, width = sample.height or 0, sample.width or 0
    rows = []
    for match in match_predictions(predictions, ground_truth, height, width) if height and width else []:
        predicted, truth = match.prediction, match.ground_truth
        rows.append({
            "prediction": predicted.id, "category": predicted.category_name,
            "score": round(predicted.score or 0.0, 3), "best ground truth": truth.id if truth else "",
            "ground-truth category": truth.category_name if truth else "", "IoU": round(match.iou, 3),
            "same category": bool(truth) and truth.category_id == predicted.category_id,
            "attributes": ", ".join(predicted.attributes),
            "ground-truth attributes": ", ".join(truth.attributes) if truth else ""})
    return pd.DataFrame(rows)


def show_predictions(view: PredictionView, sample: Sample, ground_truth: list[Instance], gt: CocoInstances,
                     style: Style) -> None:
    """Draw the predictions of one image beside or over its ground truth, with a matching table."""
    show_problems(view.results.problems, t("{count} problems in the results file", count=len(view.results.problems)))
    predictions = view.results.instances(int(sample.id), gt, view.min_score)
    st.caption(t("{count} predictions with score >= {score:.2f} on this image.", count=len(predictions),
                 score=view.min_score))
    truth = dataclasses.replace(sample, instances=ground_truth, problems=list(sample.problems))
    if view.mode == SIDE_BY_SIDE:
        left, right = st.columns(2)
        with left:
            st.image(render_sample(truth, style), caption=t("Ground truth"), width="stretch")
        with right:
            guessed = dataclasses.replace(sample, instances=predictions, problems=[])
            st.image(render_sample(guessed, style), caption=t("Predictions"), width="stretch")
    else:
        outline_style = dataclasses.replace(style, masks=False, labels=False, legend=False, boxes=False,
                                            outlines=True, line_thickness=style.line_thickness + 1)
        picture = draw_instances(render_sample(truth, outline_style), predictions, style)
        st.image(picture, caption=t("Ground truth as outlines, predictions filled with their scores."),
                 width="stretch")
    show_problems(truth.problems)
    show_problems([problem for prediction in predictions for problem in prediction.problems])
    if predictions:
        st.dataframe(prediction_table(predictions, ground_truth, sample), hide_index=True)
