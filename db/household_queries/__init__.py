"""Named queries for one cell's households, the household file and the review queue.

Repositories never commit: the calling service owns the transaction. On the app's connection
row-level security decides which households, residents, visits, cases and callbacks come back;
these queries add no scope of their own beyond the cell asked for.

Geometries come back as GeoDataFrames in EPSG:4490 (the storage CRS), points as lon/lat columns.

The modules: :mod:`.cells` (a cell on its map), :mod:`.household_file` (户档案),
:mod:`.review` (the review queue and handovers); :mod:`.frames` how rows come back. Import the
module that holds the query. The roster import's queries are in :mod:`db.roster_queries`.
"""
