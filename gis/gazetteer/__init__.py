"""Gazetteer and geocoder: address text → point, with a match type and a score.

A :class:`Gazetteer` is built once from streets (centrelines), door plates (points),
communities (polygons) and optionally named compounds (小区/楼院, points). It then answers
:meth:`Gazetteer.geocode` with plain dict look-ups and precomputed per-street arrays; no
GeoDataFrame work happens per address, so a roster of tens of thousands of rows geocodes in
seconds.

Matching order (the first that succeeds wins; ``match_type`` names it):

1. ``door_plate`` — the street and house number are a known door plate. Only then; or the
   address names a compound (小区/楼院) whose registered door plate is known (score 0.95).
2. ``interpolated`` — the street is known, the number is not: the point is interpolated
   between the nearest known numbers on the same side (same parity when there are any),
   along the street line in metres (:data:`gis.crs.METRIC_CRS`), carrying the plates' offset
   from the centreline so the point lands on the side of the street the plates are on.
3. ``street`` — the street is known but there is no usable number: the point of the street
   nearest the named community (or its midpoint). A named compound without a known door
   plate also lands here, at its own point.
4. ``community`` — only the community is known: its representative point.
5. ``unmatched`` — NaN coordinates, score 0.

Street names are matched exactly, then by alias, then fuzzily with rapidfuzz (Levenshtein
distance on the name without its kind suffix: 纱帽石巷 ≈ 纱帽石, one wrong character in a name
of three or more characters) among the streets of the named community when there is one.
rapidfuzz because its ``process.extract`` runs the comparisons in C++ over the whole name list
at once (microseconds per address) and exposes the plain edit distance, which is what a typo
is; difflib is ~100× slower and its ratio hides the distance.

The package: :mod:`gis.gazetteer.records` (scores, the result type and the per-street records),
:mod:`gis.gazetteer.index` (the indexes and how they are built from frames or files) and
:mod:`gis.gazetteer.geocoder` (:class:`~gis.gazetteer.geocoder.Gazetteer`: look-ups and
geocoding).
"""
