"""The statistics domain: rates, the leader dashboard, workload, the monthly report.

- :mod:`services.stats.rates`: the office's rates and counts from a table of cases (pandas),
  built from the definitions in :mod:`db.stats.rates`;
- :mod:`services.stats.monthly_figures`: the figures of a monthly report and its paragraph;
- :mod:`services.stats.dashboard`: the leader dashboard (cells, heat, rate cards, trends);
- :mod:`services.stats.hotspots`: Getis–Ord Gi* hot and cold spots of the dashboard's cells;
- :mod:`services.stats.workload`: each grid leader's workload;
- :mod:`services.stats.reports`: period statistics and the monthly report (月报).
"""
