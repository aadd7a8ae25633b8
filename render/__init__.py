"""Drawing of the annotation model on numpy RGB images and 3D figures.

Nothing in this package imports Streamlit or refers to a dataset by name.
"""
