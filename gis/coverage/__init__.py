"""Coverage checks for a grid plan: does every square metre belong to exactly one cell?

:func:`check_coverage` returns *evidence*, not a boolean: one row per problem with the cells
involved, the size, a Chinese message a planner can act on and the geometry to show on a map.

Speed comes from screening with GEOS's coverage validator (``shapely.coverage_invalid_edges``),
which in one linear pass marks the edges of cells that overlap a neighbour, do not match it
exactly or border a narrow gap. Only marked cells take part in the pairwise overlay that
measures overlaps, so a clean plan of 10,000 cells costs little more than the validator alone.

The package: :mod:`gis.coverage.check` (:func:`~gis.coverage.check.check_coverage` itself),
:mod:`gis.coverage.problems` (the kinds of problem, their labels and how rows are collected),
:mod:`gis.coverage.shapes` (polygon clean-up and widths) and :mod:`gis.coverage.membership`
(cells inside their communities, households inside cells).
"""
