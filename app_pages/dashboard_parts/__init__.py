"""The pieces of 领导驾驶舱 (app_pages/dashboard.py).

The page itself stays a script at app_pages/dashboard.py: its path is its entry in
app_pages/registry.py and its file name is its address (/dashboard). ``reads`` holds its cached
and row-security-scoped reads, ``panels`` its filters, rate cards, cell panel and trend chart.
"""
