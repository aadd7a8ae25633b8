"""Making sure every page runs inside viz_app.py, which sets the page config, language and navigation.

Streamlit 1.67 still has its older multipage mode for apps with a ``pages/`` folder:
until some session has run ``st.navigation``, a request for a page's URL runs that
page file alone, without the entry script. ``require_shell`` notices this and reruns
the session through the entry script.
"""

from __future__ import annotations

import logging

import streamlit as st

log = logging.getLogger(__name__)
SHELL_KEY = "_fashionviz_shell"


def mark_shell() -> None:
    """Record that the entry script ran in this session (called by viz_app.py)."""
    st.session_state[SHELL_KEY] = True


def require_shell() -> None:
    """Rerun through viz_app.py when Streamlit ran this page file on its own."""
    if st.session_state.get(SHELL_KEY):
        return
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the older mode
        return
    if PagesManager.uses_pages_directory:
        log.info("page opened before the entry script ran; rerunning through viz_app.py")
        PagesManager.uses_pages_directory = False
        st.rerun()
