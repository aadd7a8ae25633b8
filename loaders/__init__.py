"""Dataset loaders: each turns one on-disk format into the annotation model.

Nothing in this package imports Streamlit.
"""
