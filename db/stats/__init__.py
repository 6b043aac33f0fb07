"""The statistics domain's SQL (领导驾驶舱, rates, workload, the monthly report), in PostGIS.

- :mod:`db.stats.filters`: the case filter record and the helpers every query shares;
- :mod:`db.stats.rates`: the rate definitions (:data:`~db.stats.rates.RATES`) and their counts;
- :mod:`db.stats.cells`: cells, heat bins, drill-down, summaries, filter options;
- :mod:`db.stats.workload`: the grid leaders' workload table;
- :mod:`db.stats.reports`: the cases of a report period;
- :mod:`db.stats.naive`: the dashboard benchmark's reads (city size, the naive every-case read).
"""
