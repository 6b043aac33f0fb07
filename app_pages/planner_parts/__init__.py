"""The pieces of 方案编辑 (app_pages/planner.py).

The page itself stays a script at app_pages/planner.py: its path is its entry in
app_pages/registry.py and its file name is its address (/planner). ``reads`` holds the
session-state keys and the cached reads, ``edit_tools`` the problems list, the cell picker and
the edits, ``publish`` the publish panel and the households' diff after publishing.
"""
