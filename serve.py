"""连心网 web server: the Streamlit app (app.py) plus the login-cookie route.

Run with ``streamlit run serve.py`` (make run does). ``st.App`` is Streamlit's own ASGI
application with user routes; app_pages/session_cookie.py says why the cookie needs one.
"""

import streamlit as st

from app_pages.session_cookie import routes

app = st.App("app.py", routes=routes())
