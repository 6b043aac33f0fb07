"""Reading and writing planner layers (streets, blocks, cells, households) from files.

Files come from many hands: GeoJSON exported from web maps (sometimes in GCJ-02), GeoPackages,
Shapefiles zipped or not, often with GBK-encoded attributes and sometimes without a ``.prj``.
:func:`read_vector` turns all of them into one GeoDataFrame in the storage CRS (EPSG:4490), or
refuses the file with one clear Chinese line naming the file and what is wrong.

pyogrio (GDAL) does the reading: it handles ``.zip`` archives through GDAL's ``/vsizip/`` and
lets us choose the attribute encoding, which fiona-era readers guessed wrongly for GBK files.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from core.errors import InvalidInputError
from gis.crs import CHINA_BOUNDS, STORAGE_CRS, gcj02_to_wgs84

__all__ = ["read_vector", "write_layers", "EXPECTED_TYPES"]

#: Geometry families accepted by ``expected=``.
EXPECTED_TYPES: dict[str, frozenset[str]] = {
    "point": frozenset({"Point", "MultiPoint"}),
    "line": frozenset({"LineString", "MultiLineString", "LinearRing"}),
    "polygon": frozenset({"Polygon", "MultiPolygon"}),
}
_TYPE_LABELS = {"point": "点", "line": "线", "polygon": "面"}
_GEOM_LABELS = {
    "Point": "点",
    "MultiPoint": "点",
    "LineString": "线",
    "MultiLineString": "线",
    "LinearRing": "线",
    "Polygon": "面",
    "MultiPolygon": "面",
    "GeometryCollection": "几何集合",
}


def read_vector(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    gcj02: bool = False,
    expected: str | Iterable[str] | None = None,
    what: str = "图层",
) -> gpd.GeoDataFrame:
    """Read a vector file into a GeoDataFrame in EPSG:4490 (CGCS2000 lon/lat).

    Parameters
    ----------
    path : str or PathLike
        GeoJSON, GeoPackage, Shapefile (``.shp``) or zipped Shapefile (``.zip``).
    layer : str, optional
        Layer name for multi-layer files (GeoPackage); the first layer by default.
    gcj02 : bool, default False
        The coordinates are GCJ-02 lon/lat (digitised on Amap/Tencent maps); convert them.
    expected : {"point", "line", "polygon"} or iterable of them, optional
        Geometry families that are allowed; anything else is refused.
    what : str, default "图层"
        What the file is, in Chinese, for messages (e.g. "街道线", "网格").

    Returns
    -------
    geopandas.GeoDataFrame
        Rows with a non-empty geometry, in EPSG:4490, index reset.

    Raises
    ------
    core.errors.InvalidInputError
        Missing/unreadable/empty file, wrong geometry type, unusable CRS, or data that does
        not land in China (for instance lon/lat swapped). The message is one line naming the
        file.

    Warns
    -----
    UserWarning
        The file has no CRS and is taken as lon/lat EPSG:4490.
    """
    name = str(path)
    p = Path(path)
    if not p.exists():
        raise InvalidInputError(f"{name}：找不到{what}文件")
    if p.is_dir():
        raise InvalidInputError(f"{name}：这是一个文件夹，不是{what}文件")
    if p.stat().st_size == 0:
        raise InvalidInputError(f"{name}：{what}文件是空的（0 字节）")

    _check_declared_crs(p, name=name, what=what)
    gdf = _read_any(p, name=name, layer=layer, what=what)
    if len(gdf) == 0:
        raise InvalidInputError(f"{name}：{what}文件里没有任何要素")

    geoms = gdf.geometry.array
    usable = ~(pd.isna(geoms) | shapely.is_empty(np.asarray(geoms)))
    if not usable.any():
        raise InvalidInputError(f"{name}：{what}文件里的要素都没有几何图形")
    if not usable.all():
        warnings.warn(
            f"{name}：跳过 {int((~usable).sum())} 个没有几何图形的要素", UserWarning, stacklevel=2
        )
        gdf = gdf.loc[usable].reset_index(drop=True)

    if expected is not None:
        _check_types(gdf, expected=expected, name=name, what=what)
    gdf = _to_storage_crs(gdf, gcj02=gcj02, name=name, what=what)
    _check_in_china(gdf, name=name, what=what)
    return gdf


_GEOJSON_CRS = re.compile(
    rb'"crs"\s*:\s*\{[^{}]*"properties"\s*:\s*\{[^{}]*"name"\s*:\s*"([^"]{1,200})"'
)


def _check_declared_crs(p: Path, *, name: str, what: str) -> None:
    """Refuse a CRS the file names but nobody knows (``EPSG:999999``).

    GDAL quietly reads an unknown GeoJSON ``crs`` member as WGS 84, and an unreadable ``.prj``
    as "no CRS": both would be a silent guess, so the declaration is parsed here with pyproj.
    """
    declared: str | None = None
    suffix = p.suffix.lower()
    if suffix in {".geojson", ".json"}:
        with p.open("rb") as f:
            hit = _GEOJSON_CRS.search(f.read(1 << 20))
        declared = hit.group(1).decode("utf-8", "replace") if hit else None
    elif suffix == ".shp" and p.with_suffix(".prj").exists():
        declared = p.with_suffix(".prj").read_text(encoding="utf-8", errors="replace").strip()
    if not declared:
        return
    try:
        pyproj.CRS.from_user_input(declared)
    except pyproj.exceptions.CRSError as exc:
        shown = declared if len(declared) <= 60 else declared[:60] + "…"
        raise InvalidInputError(
            f"{name}：{what}文件声明的坐标系 {shown} 无法识别。"
            "请使用 EPSG 代码已知的坐标系（如 EPSG:4490、EPSG:4326、EPSG:4545）重新导出"
        ) from exc


def _read_any(p: Path, *, name: str, layer: str | None, what: str) -> gpd.GeoDataFrame:
    is_shape = p.suffix.lower() in {".shp", ".zip", ".dbf"}
    # Without a .cpg a Shapefile does not say its encoding, and GDAL then assumes ISO-8859-1,
    # which turns GBK Chinese into mojibake. Strict UTF-8 fails loudly on GBK bytes, so try
    # UTF-8 first and fall back to GBK (the usual encoding of Chinese desktop GIS exports).
    encodings: list[str | None] = [None]
    if is_shape and not _has_cpg(p):
        encodings = ["UTF-8", "GBK"]
    last: Exception | None = None
    for encoding in encodings:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                # Reading the first layer of a multi-layer GeoPackage is the documented default.
                warnings.filterwarnings("ignore", message="More than one layer found")
                kwargs: dict[str, object] = {"engine": "pyogrio"}
                if layer is not None:
                    kwargs["layer"] = layer
                if encoding is not None:
                    kwargs["encoding"] = encoding
                return gpd.read_file(p, **kwargs)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        except Exception as exc:  # pyogrio raises several DataSource/Field errors
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if layer is not None and "layer" in text.lower():
                raise InvalidInputError(f"{name}：没有名为 {layer} 的图层") from exc
            raise InvalidInputError(f"{name}：无法读取{what}文件（{text}）") from exc
    raise InvalidInputError(f"{name}：属性表编码既不是 UTF-8 也不是 GBK，无法读取") from last


def _has_cpg(p: Path) -> bool:
    if p.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(p) as z:
                return any(n.lower().endswith(".cpg") for n in z.namelist())
        except zipfile.BadZipFile as exc:
            raise InvalidInputError(f"{p}：不是有效的 zip 压缩包") from exc
    return p.with_suffix(".cpg").exists() or p.with_suffix(".CPG").exists()


def _normalise_expected(expected: str | Iterable[str]) -> list[str]:
    kinds = [expected] if isinstance(expected, str) else list(expected)
    for kind in kinds:
        if kind not in EXPECTED_TYPES:
            raise ValueError(f"expected 只能是 {sorted(EXPECTED_TYPES)}，收到 {kind!r}")
    return kinds


def _check_types(
    gdf: gpd.GeoDataFrame, *, expected: str | Iterable[str], name: str, what: str
) -> None:
    kinds = _normalise_expected(expected)
    allowed = frozenset().union(*(EXPECTED_TYPES[k] for k in kinds))
    types = gdf.geom_type
    bad = ~types.isin(allowed)
    if bad.any():
        found = "、".join(sorted({_GEOM_LABELS.get(t, t) for t in types[bad].unique()}))
        want = "或".join(_TYPE_LABELS[k] for k in kinds)
        first = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InvalidInputError(
            f"{name}：{what}应为{want}要素，但有 {int(bad.sum())} 个是{found}（第 {first} 个要素起）"
        )


def _to_storage_crs(
    gdf: gpd.GeoDataFrame, *, gcj02: bool, name: str, what: str
) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        warnings.warn(
            f"{name}：{what}文件没有坐标系，按经纬度 {STORAGE_CRS}（CGCS2000）读取",
            UserWarning,
            stacklevel=3,
        )
        gdf = gdf.set_crs(STORAGE_CRS)
    try:
        crs = pyproj.CRS.from_user_input(gdf.crs)
        if not (crs.is_geographic or crs.is_projected):
            raise InvalidInputError(
                f"{name}：{what}的坐标系 {crs.name} 既不是经纬度也不是投影坐标系，无法使用"
            )
        if gcj02:
            if not crs.is_geographic:
                raise InvalidInputError(
                    f"{name}：--gcj02 只适用于经纬度数据，但{what}的坐标系是投影坐标系 {crs.name}"
                )
            gdf = gdf.to_crs("EPSG:4326") if not _same_datum_lonlat(crs) else gdf
            gdf = gdf.set_geometry(gcj02_to_wgs84(np.asarray(gdf.geometry.array)), crs="EPSG:4326")
            # CGCS2000 and WGS-84 agree to centimetres here: relabel, do not transform.
            return gdf.set_crs(STORAGE_CRS, allow_override=True)
        out = gdf.to_crs(STORAGE_CRS)
    except InvalidInputError:
        raise
    except Exception as exc:  # pyproj.exceptions.CRSError, ProjError
        raise InvalidInputError(
            f"{name}：{what}的坐标系 {gdf.crs} 无法转换到 {STORAGE_CRS}（{exc}）"
        ) from exc
    bounds = out.total_bounds
    if not np.isfinite(bounds).all():
        raise InvalidInputError(
            f"{name}：{what}的坐标无法从 {gdf.crs} 转换到 {STORAGE_CRS}（坐标超出该坐标系的范围）"
        )
    return out


def _same_datum_lonlat(crs: pyproj.CRS) -> bool:
    return crs.to_epsg() in {4326, 4490}


def _check_in_china(gdf: gpd.GeoDataFrame, *, name: str, what: str) -> None:
    minx, miny, maxx, maxy = gdf.total_bounds
    west, south, east, north = CHINA_BOUNDS
    inside = west <= minx and maxx <= east and south <= miny and maxy <= north
    if inside:
        return
    swapped = west <= miny and maxy <= east and south <= minx and maxx <= north
    extent = f"经度 {minx:.4f}–{maxx:.4f}，纬度 {miny:.4f}–{maxy:.4f}"
    if swapped:
        raise InvalidInputError(
            f"{name}：{what}的经纬度似乎颠倒了（{extent}），数据落在中国境外；请交换经度和纬度列"
        )
    raise InvalidInputError(f"{name}：{what}不在中国范围内（{extent}），请检查坐标系是否正确")


# ---------------------------------------------------------------------------------------------
# Writing


def write_layers(path: str | os.PathLike[str], layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """Write named layers to a GeoPackage, GeoJSON or zipped Shapefile.

    Parameters
    ----------
    path : str or PathLike
        ``.gpkg`` holds every layer in one file. ``.geojson``/``.json`` gets the first layer;
        further layers go beside it as ``<stem>.<layer>.geojson``. ``.shp.zip``/``.zip`` holds one
        ``<layer>.shp`` per layer.
    layers : mapping of str to GeoDataFrame
        Layer name → data. List-valued columns (``cell_ids``, ``block_ids``) are written as
        comma-separated text, since none of these formats has a list type.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if not layers:
        raise InvalidInputError("没有要写出的图层")
    out = Path(path)
    lower = out.name.lower()
    try:
        if lower.endswith(".gpkg"):
            if out.exists():
                out.unlink()
            for layer, gdf in layers.items():
                _flatten(gdf).to_file(out, layer=layer, driver="GPKG", engine="pyogrio")
        elif lower.endswith((".geojson", ".json")):
            for i, (layer, gdf) in enumerate(layers.items()):
                target = out if i == 0 else out.with_name(f"{out.stem}.{layer}{out.suffix}")
                if target.exists():
                    target.unlink()
                _flatten(gdf).to_file(target, driver="GeoJSON", engine="pyogrio")
        elif lower.endswith(".zip"):
            with tempfile.TemporaryDirectory() as tmp:
                for layer, gdf in layers.items():
                    _flatten(gdf).to_file(
                        Path(tmp) / f"{layer}.shp",
                        driver="ESRI Shapefile",
                        engine="pyogrio",
                        encoding="UTF-8",
                    )
                with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
                    for f in sorted(Path(tmp).iterdir()):
                        z.write(f, arcname=f.name)
        else:
            raise InvalidInputError(f"{out}：不支持的输出格式，请使用 .gpkg、.geojson 或 .shp.zip")
    except InvalidInputError:
        raise
    except OSError as exc:
        raise InvalidInputError(f"{out}：无法写出文件（{exc.strerror or exc}）") from exc
    return out


def _flatten(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name or out[col].dtype != object:
            continue
        if out[col].map(lambda v: isinstance(v, list | tuple)).any():
            out[col] = out[col].map(
                lambda v: ",".join(map(str, v)) if isinstance(v, list | tuple) else v
            )
    return out
