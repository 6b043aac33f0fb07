"""Lianxin's HTTP API: Open311 GeoReport v2 (``api.app``), served by uvicorn beside Streamlit.

The API parses HTTP and renders JSON or XML; it calls services only, never SQL of its own.
"""
