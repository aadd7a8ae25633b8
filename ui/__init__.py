"""Streamlit widgets and layout pieces shared by the dataset pages."""
