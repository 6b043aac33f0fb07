"""Addresses without the database: parse them, geocode a roster with a gazetteer from files.

``lianxin parse-address`` and ``lianxin geocode`` call these; the gazetteer the database
holds is :func:`services.geocoding.load_gazetteer`. The address parser and the gazetteer
(``gis.addresses``, ``gis.gazetteer``) are imported when first used: the CRF model and the
geometry libraries are not loaded for the other commands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

GEOCODE_COLUMNS = ["lon", "lat", "match_type", "score", "matched"]


def parse_address_texts(*, texts: Iterable[str]) -> list[dict[str, str]]:
    """The components (province, city, district, sub-district, community, street, house number …) of
    each address, in order; see :func:`gis.addresses.parse_addresses`."""
    from gis.addresses import parse_addresses

    return parse_addresses(texts)


def gazetteer_from_files(
    *,
    streets: str | Path,
    door_plates: str | Path,
    street_name_field: str = "name",
    door_plate_street_field: str = "street_name",
    door_plate_number_field: str = "house_number",
    communities: str | Path | None = None,
    compounds: str | Path | None = None,
) -> Any:
    """A :class:`gis.gazetteer.geocoder.Gazetteer` from street-centreline and door-plate
    files (and optional community outlines and compound points)."""
    from gis.gazetteer.geocoder import Gazetteer

    return Gazetteer.from_files(
        streets,
        door_plates,
        street_name_field=street_name_field,
        door_plate_street_field=door_plate_street_field,
        door_plate_number_field=door_plate_number_field,
        communities_path=communities,
        compounds_path=compounds,
    )


@dataclass(frozen=True)
class GeocodedTable:
    """What :func:`geocode_table` wrote: the number of rows and the rows per match type."""

    rows: int
    match_counts: pd.Series


def geocode_table(
    *, table: pd.DataFrame, address_column: str, gazetteer: Any, output: Path
) -> GeocodedTable:
    """Add :data:`GEOCODE_COLUMNS` to ``table`` (replacing columns of those names) by
    geocoding ``address_column`` with ``gazetteer``, and write it to ``output`` (.csv or
    .xlsx, through the formula-safe writers of :mod:`services.exports`)."""
    from services.exports import write_table

    result = gazetteer.geocode_many(table[address_column])
    clash = [c for c in GEOCODE_COLUMNS if c in table.columns]
    out = table.drop(columns=clash).join(result[GEOCODE_COLUMNS])
    output.parent.mkdir(parents=True, exist_ok=True)
    write_table(out, output, sheet="地址匹配")
    return GeocodedTable(rows=len(out), match_counts=result["match_type"].value_counts())
