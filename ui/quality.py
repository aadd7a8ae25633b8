"""Quality panel, review verdicts, statistics and exports, shared by every dataset page.

A page hands over its sample list and a function that loads one sample; everything
here works on the annotation model only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import pandas as pd
import streamlit as st

from loaders.model import Sample
from loaders.qa import GENERIC_CHECKS, Check, QaReport, run_checks
from loaders.reviews import VERDICTS, ReviewStore, ReviewStoreError, Verdict, parse_export, to_csv, to_json
from ui.i18n import t

log = logging.getLogger(__name__)

SampleKey = tuple[str, str]  # (split, sample_id)
Loader = Callable[[str, str], Sample]


@dataclass
class QualityView:
    """The quality panel's outcome: the samples to walk and the instances to highlight."""

    report: QaReport | None = None
    # None: no filter. Otherwise the (split, sample_id) keys to walk, in order.
    keys: list[SampleKey] | None = None
    reviewed: set[SampleKey] = field(default_factory=set)

    def highlight(self, split: str, sample_id: str) -> set[str]:
        if self.report is None:
            return set()
        return {flag.instance_id for flag in self.report.flags_for(split, sample_id) if flag.instance_id}


def _state_key(page_key: str, root: str) -> str:
    return f"{page_key}_qa_report::{root}"


def quality_panel(page_key: str, family_key: str, root: str, keys: Sequence[SampleKey], load: Loader,
                  extra_checks: Sequence[Check] = ()) -> QualityView:
    """Show the checks with their counts and the flagged-only and reviewed filters; return the view."""
    view = QualityView()
    checks = list(GENERIC_CHECKS) + list(extra_checks)
    state_key = _state_key(page_key, root)
    box = st.sidebar.expander(t("Quality checks"), icon=":material/rule:")
    with box:
        if st.button(t("Run checks on {count} samples", count=len(keys)), key=f"{page_key}_qa_run"):
            bar = st.progress(0.0, text=t("Checking..."))
            report = run_checks((load(split, sample_id) for split, sample_id in keys), checks, len(keys),
                                lambda done, total: bar.progress(min(done / max(total, 1), 1.0)))
            bar.empty()
            st.session_state[state_key] = report
        view.report = st.session_state.get(state_key)
        if view.report is not None:
            counts = view.report.counts()
            # The count comes first so the narrow sidebar does not cut it off.
            st.dataframe(pd.DataFrame({"flagged": [counts[check.id] for check in checks],
                                       "check": [check.id for check in checks],
                                       "explanation": [check.explanation for check in checks]}),
                         hide_index=True)
            flagged_checks = [check.id for check in checks if counts[check.id]]
            chosen = st.multiselect(t("Walk through samples flagged by"), flagged_checks, key=f"{page_key}_qa_checks")
            if st.toggle(t("Flagged only"), key=f"{page_key}_qa_only"):
                flagged = set(view.report.flagged_samples(chosen or None))
                view.keys = [key for key in keys if key in flagged]

    store = ReviewStore()
    try:
        verdicts = store.for_dataset(family_key, root)
    except ReviewStoreError as error:
        st.sidebar.error(str(error))
        verdicts = []
    view.reviewed = {(verdict.split, verdict.sample_id) for verdict in verdicts}
    modes = {"all": t("all samples"), "reviewed": t("reviewed"), "unreviewed": t("not reviewed")}
    mode = st.sidebar.radio(t("Review status"), list(modes), format_func=modes.get, horizontal=True,
                            key=f"{page_key}_reviewed")
    if mode != "all":
        base = view.keys if view.keys is not None else list(keys)
        view.keys = [key for key in base if (key in view.reviewed) == (mode == "reviewed")]
    _review_exchange(page_key, family_key, root, verdicts, store)
    return view


def _review_exchange(page_key: str, family_key: str, root: str, verdicts: list[Verdict], store: ReviewStore) -> None:
    with st.sidebar.expander(t("Export and import verdicts"), icon=":material/swap_vert:"):
        st.download_button(t("Verdicts as CSV"), to_csv(verdicts), f"{family_key}-verdicts.csv", "text/csv",
                           key=f"{page_key}_verdicts_csv")
        st.download_button(t("Verdicts as JSON"), to_json(verdicts), f"{family_key}-verdicts.json",
                           "application/json", key=f"{page_key}_verdicts_json")
        upload = st.file_uploader(t("Import verdicts (CSV or JSON)"), type=["csv", "json"],
                                  key=f"{page_key}_verdicts_upload")
        if upload is not None and st.button(t("Import"), key=f"{page_key}_verdicts_import"):
            try:
                added = store.import_verdicts(parse_export(upload.getvalue().decode("utf-8"), upload.name))
                st.success(t("{count} verdicts imported.", count=added))
            except (ValueError, UnicodeDecodeError, ReviewStoreError) as error:
                st.error(t("Import failed: {error}", error=error))


def review_form(page_key: str, family_key: str, root: str, sample: Sample) -> None:
    """Show the sample's verdicts and a form to add one; a failed write keeps the input and shows the error."""
    store = ReviewStore()
    try:
        history = store.for_sample(family_key, root, sample.split, sample.id)
    except ReviewStoreError as error:
        st.error(str(error))
        history = []
    if history:
        st.dataframe(pd.DataFrame([{"time (UTC)": verdict.created_at[:19].replace("T", " "),
                                    "verdict": verdict.verdict, "instance": verdict.instance_id,
                                    "reviewer": verdict.reviewer, "note": verdict.note} for verdict in history]),
                     hide_index=True)
    with st.form(f"{page_key}_verdict_form", clear_on_submit=False, border=True):
        left, right = st.columns(2)
        verdict = left.selectbox(t("Verdict"), VERDICTS, key=f"{page_key}_verdict")
        instances = [""] + [instance.id for instance in sample.instances]
        instance_id = right.selectbox(t("Instance (optional)"), instances, key=f"{page_key}_verdict_instance",
                                      format_func=lambda value: value or t("(whole sample)"))
        note = st.text_area(t("Note"), key=f"{page_key}_verdict_note", height=68)
        reviewer = st.text_input(t("Your name"), key="reviewer_name")
        submitted = st.form_submit_button(t("Save verdict"))
    if submitted:
        try:
            store.add(Verdict(family_key, root, sample.split, sample.id, verdict, note.strip(), reviewer.strip(),
                              instance_id))
            st.success(t("Verdict saved."))
            st.rerun()
        except ReviewStoreError as error:
            st.error(t("Verdict NOT saved: {error}. Your input is still in the form; try again.", error=error))


def list_csv(view: QualityView, keys: Sequence[SampleKey]) -> str:
    """Return the sample list as CSV: split, sample_id, the checks that flagged it, whether it was reviewed."""
    flagged: dict[SampleKey, set[str]] = {}
    for flag in view.report.flags if view.report else []:
        flagged.setdefault((flag.split, flag.sample_id), set()).add(flag.check_id)
    rows = [{"split": split, "sample_id": sample_id, "flags": "; ".join(sorted(flagged.get((split, sample_id), ()))),
             "reviewed": (split, sample_id) in view.reviewed} for split, sample_id in keys]
    return pd.DataFrame(rows, columns=["split", "sample_id", "flags", "reviewed"]).to_csv(index=False)


def export_buttons(page_key: str, picture: np.ndarray | None, sample: Sample, view: QualityView,
                   keys: Sequence[SampleKey]) -> None:
    """Offer the drawn image as PNG (unless ``picture`` is None) and the current sample list
    (with flags and verdicts) as CSV.

    Both files are made only when their button is clicked: a list of a million samples
    takes seconds to write, which every rerun would otherwise pay.
    """
    left, right = st.columns(2)
    if picture is not None:
        def png() -> bytes:
            ok, data = cv2.imencode(".png", np.ascontiguousarray(picture[:, :, ::-1]))
            return data.tobytes() if ok else b""

        left.download_button(t("Image as PNG"), png, f"{sample.split}-{sample.id}.png", "image/png",
                             key=f"{page_key}_png")
    right.download_button(t("Sample list as CSV"), lambda: list_csv(view, list(keys)), "samples.csv",
                          "text/csv", key=f"{page_key}_list_csv")
