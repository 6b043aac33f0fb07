"""Grid cells (网格): their 15-digit codes and a first proposal of them from blocks.

:mod:`gis.cells.codes` composes, checks and orders cell codes (DB11/T 2157-2023);
:mod:`gis.cells.proposal` groups blocks into cells (:func:`~gis.cells.proposal.propose_cells`),
preparing its inputs and assembling its result; :mod:`gis.cells.partition` cuts one community's
blocks into connected cells within the household range.
"""
