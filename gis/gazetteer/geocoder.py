"""The geocoder: :class:`Gazetteer` looks an address up in its indexes and places it.

The matching order, the scores and the fuzzy street matching are described in
:mod:`gis.gazetteer`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd
import shapely
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from gis.addresses import (
    house_number_parts,
    normalize_address,
    normalize_value,
    parse_normalized,
)
from gis.gazetteer.index import GazetteerIndex
from gis.gazetteer.records import (
    _NUMBER_AFTER_RE,
    ALIAS_FACTOR,
    COMMUNITY_TOLERANCE_DEG,
    FUZZY_FACTOR,
    SCAN_FACTOR,
    SCORE_COMMUNITY,
    SCORE_COMPOUND,
    SCORE_COMPOUND_PLATE,
    SCORE_DOOR_PLATE,
    SCORE_EXTRAPOLATED,
    SCORE_INTERPOLATED,
    SCORE_STREET,
    SCORE_SUB_NUMBER,
    SHORT_FUZZY_FACTOR,
    GeocodeResult,
    _community_key,
    _core,
    _Street,
)


class Gazetteer(GazetteerIndex):
    """Streets, door plates and communities of a territory, indexed for geocoding.

    Build with :meth:`from_frames` or :meth:`from_files`; then call :meth:`geocode` or
    :meth:`geocode_many`.
    """

    # ------------------------------------------------------------------ look-ups

    def _find_community(self, comps: dict[str, str], text: str) -> str | None:
        name = comps.get("community")
        if name:
            code = self._community_index.get(name) or self._community_index.get(
                _community_key(name)
            )
            if code:
                return code
        if self._community_re is not None:
            m = self._community_re.search(text)
            if m:
                return self._community_index.get(m.group(0))
        return None

    def _find_street(
        self, comps: dict[str, str], text: str, community: str | None
    ) -> tuple[str, float, str, str | None] | None:
        """(street, factor, name as written, number written after it) for the address."""
        street = comps.get("street")
        if street:
            hit = self._name_index.get(street)
            if hit is None:
                hit = self._fuzzy_street(street, community)
            if hit is not None:
                number = comps.get("house_number")
                if number is None:  # 杏园巷6号院: the model may call 6号院 a POI
                    at = text.find(street)
                    found = _NUMBER_AFTER_RE.match(text[at + len(street) :]) if at >= 0 else None
                    number = found.group(1) if found else None
                return hit[0], hit[1], street, number
        # The street may be inside another component (a POI, a badly split road): scan the text,
        # without the community name, for the longest known name.
        if self._scan_re is None:
            return None
        scan_text = text
        if comps.get("community"):
            scan_text = scan_text.replace(comps["community"], "|")
        m = self._scan_re.search(scan_text)
        if not m:
            return None
        street, factor = self._name_index[m.group(0)]
        num = _NUMBER_AFTER_RE.match(scan_text[m.end() :])
        return street, factor * SCAN_FACTOR, m.group(0), num.group(1) if num else None

    def _fuzzy_street(self, written: str, community: str | None) -> tuple[str, float] | None:
        """The one street within a small edit distance of ``written``; None when none or several.

        First on the name without its kind suffix (纱帽石巷 = 纱帽石; one wrong character in
        three or more), then on the whole name when it has a kind suffix (上安路 ≈ 兴安路:
        one wrong character, same 路), which covers two-character names.
        """
        core = _core(written)
        if len(core) < 2:
            return None
        max_dist = 0 if len(core) < 3 else (1 if len(core) < 6 else 2)
        hits = process.extract(
            core, self._cores, scorer=Levenshtein.distance, score_cutoff=max_dist, limit=8
        )
        if hits:
            best = min(h[1] for h in hits)
            street = self._unique(
                {self._core_streets[h[2]] for h in hits if h[1] == best}, community
            )
            if street is not None:
                return street, FUZZY_FACTOR if best else ALIAS_FACTOR
        if core != written and len(written) >= 3:
            hits = process.extract(
                written, self._names, scorer=Levenshtein.distance, score_cutoff=1, limit=8
            )
            same_kind = {
                self._name_index[self._names[h[2]]][0]
                for h in hits
                if self._names[h[2]][-1] == written[-1]
            }
            street = self._unique(same_kind, community)
            if street is not None:
                return street, SHORT_FUZZY_FACTOR
        return None

    def _unique(self, streets: set[str], community: str | None) -> str | None:
        if len(streets) > 1 and community:
            in_comm = {s for s in streets if community in self._streets[s].community_codes}
            streets = in_comm or streets
        if len(streets) != 1:
            return None  # ambiguous: better a street-less answer than a wrong street
        return next(iter(streets))

    def _plate(self, street: str, number: str, community: str | None) -> tuple[float, float] | None:
        rows = self._plates.get((street, number))
        if not rows:
            return None
        if community and len(rows) > 1:
            for lon, lat, code in rows:
                if code == community:
                    return lon, lat
        return rows[0][0], rows[0][1]

    def _interpolate(self, st: _Street, n: int) -> tuple[float, float, float] | None:
        """(lon, lat, score) between the nearest known numbers, or None without plates."""
        plates = st.plates_by_parity.get(n % 2) or st.plates_all
        if plates is None or not len(plates.numbers):
            return None
        nums = plates.numbers
        i = int(np.searchsorted(nums, n))
        if 0 < i < len(nums):
            a, b = i - 1, i
            score = SCORE_INTERPOLATED
        elif len(nums) >= 2:
            a, b = (0, 1) if i == 0 else (len(nums) - 2, len(nums) - 1)
            score = SCORE_EXTRAPOLATED
        else:
            x, y = plates.xy[0]
            lon, lat = self._lonlat(x, y)
            return lon, lat, SCORE_EXTRAPOLATED
        na, nb = float(nums[a]), float(nums[b])
        t = (n - na) / (nb - na) if nb != na else 0.0
        if st.line is not None and np.isfinite(plates.measures[a]):
            ma, mb = plates.measures[a], plates.measures[b]
            m = min(max(ma + t * (mb - ma), 0.0), st.line.length)
            base = st.line.interpolate(m)
            tc = min(max(t, 0.0), 1.0)
            off = (1 - tc) * plates.offsets[a] + tc * plates.offsets[b]
            x, y = base.x + off[0], base.y + off[1]
        else:
            x, y = plates.xy[a] + t * (plates.xy[b] - plates.xy[a])
        lon, lat = self._lonlat(x, y)
        return lon, lat, score

    def _street_point(self, st: _Street, community: str | None) -> tuple[float, float] | None:
        if community and st.line is not None and community in self._communities:
            key = (st.name, community)
            pt = self._near_community.get(key)
            if pt is None:
                _, clon, clat, _poly = self._communities[community]
                cx, cy = self._to_metric.transform(clon, clat)
                m = st.line.project(shapely.Point(cx, cy))
                p = st.line.interpolate(m)
                pt = self._near_community[key] = self._lonlat(p.x, p.y)
            return pt
        if st.midpoint is not None:
            return st.midpoint
        if st.plates_all is not None:
            x, y = st.plates_all.xy[len(st.plates_all.xy) // 2]
            return self._lonlat(x, y)
        return None

    # ------------------------------------------------------------------ geocoding

    def geocode(
        self, address: object, *, components: dict[str, str] | None = None
    ) -> GeocodeResult:
        """Geocode one address.

        Parameters
        ----------
        address
            Free text, e.g. ``"大北街社区纱帽石53号"``.
        components
            Already-parsed components (from :func:`gis.addresses.parse_address`), to skip
            parsing again.

        Returns
        -------
        GeocodeResult
            Never raises for a bad address: an address that cannot be placed comes back
            ``unmatched`` with NaN coordinates and score 0.
        """
        text = normalize_address(address)
        comps = parse_normalized(text) if components is None else components
        return self._geocode_normalized(text, comps)

    def _geocode_normalized(self, text: str, comps: dict[str, str]) -> GeocodeResult:
        if not text:
            return GeocodeResult(math.nan, math.nan, "unmatched", 0.0, "", comps)
        community = self._find_community(comps, text)
        found = self._find_street(comps, text, community)
        compound = self._compound_re.search(text) if self._compound_re is not None else None
        # A named compound wins over a street whose name is only part of the compound's
        # (大北街综合楼 is not on 大北街) or which comes without a number.
        if compound is not None and (
            found is None or found[2] in compound.group(0) or found[3] is None
        ):
            return self._compound_result(compound.group(0), community, comps)
        if found is not None:
            result = self._street_result(found, community, comps)
            if result is not None:
                return self._check_community(result, community)
        if community is not None and community in self._communities:
            name, lon, lat, _poly = self._communities[community]
            return GeocodeResult(lon, lat, "community", SCORE_COMMUNITY, name, comps)
        return GeocodeResult(math.nan, math.nan, "unmatched", 0.0, "", comps)

    def _check_community(self, result: GeocodeResult, community: str | None) -> GeocodeResult:
        """Flag a precise point (door plate, interpolated) that lies outside the community
        the address names: "五星街社区兴安路32号" where 兴安路32号 is in 兴安路社区.

        A point within ``COMMUNITY_TOLERANCE_DEG`` of the written community counts as in it
        (door plates of a boundary street sit a few metres either side of the line).
        """
        if community is None or result.match_type not in ("door_plate", "interpolated"):
            return result
        entry = self._communities.get(community)
        if entry is None:
            return result
        written, _lon, _lat, poly = entry
        point = shapely.Point(result.lon, result.lat)
        if poly is None or shapely.distance(poly, point) <= COMMUNITY_TOLERANCE_DEG:
            return result
        actual = next(
            (n for n, _x, _y, p in self._communities.values() if p is not None and p.covers(point)),
            None,
        )
        where = f"位于{actual}" if actual else "不在任何社区内"
        conflict = f"地址写明{written}，但{result.matched}{where}"
        return replace(result, conflict=conflict)

    def _compound_result(
        self, name: str, community: str | None, comps: dict[str, str]
    ) -> GeocodeResult:
        lon, lat, plate = self._compounds[name]
        if plate is not None:
            # The compound's registered door plate: as exact as the registry knows it.
            pt = self._plate(plate[0], plate[1], community)
            if pt is not None:
                label = f"{name}（{plate[0]}{plate[1]}号）"
                return GeocodeResult(pt[0], pt[1], "door_plate", SCORE_COMPOUND_PLATE, label, comps)
        return GeocodeResult(lon, lat, "street", SCORE_COMPOUND, name, comps)

    def _street_result(
        self,
        found: tuple[str, float, str, str | None],
        community: str | None,
        comps: dict[str, str],
    ) -> GeocodeResult | None:
        street, factor, _written, number = found
        st = self._streets[street]
        if number:
            number = normalize_value("house_number", number)
            label = f"{street}{number}号"
            pt = self._plate(street, number, community)
            if pt is not None:
                score = round(SCORE_DOOR_PLATE * factor, 3)
                return GeocodeResult(pt[0], pt[1], "door_plate", score, label, comps)
            parts = house_number_parts(number)
            if parts is not None:
                main, sub = parts
                if sub:
                    pt = self._plate(street, str(main), community)
                    if pt is not None:
                        score = round(SCORE_SUB_NUMBER * factor, 3)
                        return GeocodeResult(pt[0], pt[1], "interpolated", score, label, comps)
                interp = self._interpolate(st, main)
                if interp is not None:
                    score = round(interp[2] * factor, 3)
                    return GeocodeResult(interp[0], interp[1], "interpolated", score, label, comps)
        pt = self._street_point(st, community)
        if pt is None:
            return None
        return GeocodeResult(pt[0], pt[1], "street", round(SCORE_STREET * factor, 3), street, comps)

    def geocode_many(self, addresses: Iterable[object], *, conflicts: bool = False) -> pd.DataFrame:
        """Geocode many addresses; each distinct text is parsed and placed once.

        Returns
        -------
        pandas.DataFrame
            ``lon, lat, match_type, score, matched`` (and ``conflict`` with
            ``conflicts=True``: why the point contradicts the address, or None), indexed like
            ``addresses`` (its index
            when it is a Series, else 0..n-1).
        """
        if isinstance(addresses, pd.Series):
            index = addresses.index
            values = addresses.tolist()
        else:
            values = list(addresses)
            index = pd.RangeIndex(len(values))
        unique: dict[str, int] = {}
        keys = []
        for v in values:
            key = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
            keys.append(unique.setdefault(key, len(unique)))
        results = []
        for raw in unique:
            text = normalize_address(raw)
            results.append(self._geocode_normalized(text, parse_normalized(text)))
        take = np.asarray(keys, dtype=np.int64)
        frame = pd.DataFrame(
            {
                "lon": np.array([r.lon for r in results], dtype=float)[take] if results else [],
                "lat": np.array([r.lat for r in results], dtype=float)[take] if results else [],
                "match_type": np.array([r.match_type for r in results], dtype=object)[take]
                if results
                else [],
                "score": np.array([r.score for r in results], dtype=float)[take] if results else [],
                "matched": np.array([r.matched for r in results], dtype=object)[take]
                if results
                else [],
            },
            index=index,
        )
        if conflicts:
            frame["conflict"] = (
                np.array([r.conflict for r in results], dtype=object)[take] if results else []
            )
        return frame
