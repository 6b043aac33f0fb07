"""What the 导入名单 page calls: the mapping step's columns and masked preview, the import itself
(with a row-level-security refusal made readable), and the rejected rows as the importer may see
and export them. No Streamlit in this module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.errors import InvalidInputError, PermissionDeniedError
from services.households.roster_file import RosterFile, read_file


def read_upload(file_name: str, data: bytes) -> RosterFile:
    """An uploaded roster, read once: the page keeps it for the mapping step, the preview and
    the import (:func:`services.households.roster_file.read_file`)."""
    return read_file(file_name, data)


def roster_columns(file: RosterFile) -> tuple[int, list[str], pd.DataFrame]:
    """(header row index, headers, up to 5 rows below it) of a roster whose headers were not
    recognised, for the mapping step: the header row is the first of the first 10 rows with
    at least two non-empty cells."""
    from services.households.roster_parse import clean_header

    table = file.table
    if table.empty:
        raise InvalidInputError(f"{file.file_name}：文件是空的")
    for i in range(min(10, len(table))):
        values = [clean_header(v) for v in table.iloc[i].tolist()]
        filled = [v for v in values if v and v != "nan"]
        if len(filled) >= 2:
            headers = [v if v and v != "nan" else f"第{j + 1}列" for j, v in enumerate(values)]
            body = table.iloc[i + 1 : i + 6].copy()
            body.columns = headers
            return i, headers, body.fillna("")
    raise InvalidInputError(f"{file.file_name}：前10行中找不到表头（至少两个非空的列名）")


def rejected_rows_for(rows: pd.DataFrame, role: str | None) -> pd.DataFrame:
    """The rejected rows as ``role`` may see them: personal columns masked, and the ID numbers
    and phones quoted in the reasons masked too."""
    from services import masking

    out = masking.mask_frame(rows, role)
    if "problem" in out:
        out["problem"] = [masking.mask_text(p, role) for p in out["problem"]]
    return out


def export_rejections(report: Any, *, session: Session, actor: Any) -> bytes:
    """The rejected-rows .xlsx for the actor: masked for their role, with an audit row."""
    from services import masking
    from services.households.roster_parse import rejections_xlsx

    rows = masking.export_frame(
        report.rejected_rows,
        actor=actor,
        session=session,
        what=f"roster_rejections:{report.batch_id}",
        detail={"file": report.file_name},
    )
    if "problem" in rows:
        rows["problem"] = [masking.mask_text(p, actor.role) for p in rows["problem"]]
    return rejections_xlsx(rows, title=f"{report.file_name} 退回行")


def preview_for(
    file_name: str, preview: pd.DataFrame, *, session: Session, actor: Any
) -> pd.DataFrame:
    """The mapping step's preview rows, masked like every other table, with an audit row."""
    from services import audit, masking
    from services.households.roster_parse import HEADER_SYNONYMS

    kinds = {
        str(c): f for c in preview.columns for f, names in HEADER_SYNONYMS.items() if c in names
    }
    audit.record(
        session=session,
        username=actor.username,
        action=audit.PREVIEW_IMPORT,
        target=f"roster_file:{file_name}"[:100],
        detail={"rows": len(preview), "columns": [str(c) for c in preview.columns]},
        client=getattr(actor, "client", None),
    )
    return masking.mask_unlabelled(preview, actor.role, kinds=kinds)


def run_import(
    path: str | Path | RosterFile,
    *,
    session: Session,
    data: bytes | None = None,
    mapping: dict[str, str] | None = None,
    imported_by: str | None = None,
) -> Any:
    """:func:`services.households.roster_import.import_roster`, with a database refusal made readable.

    On the app's connection a grid leader may not update a household of another cell (RLS);
    the whole import is then rolled back and the message says what to do.
    """
    from services.households.roster_import import import_roster

    try:
        return import_roster(
            path, session=session, data=data, mapping=mapping, imported_by=imported_by
        )
    except DBAPIError as exc:
        if "row-level security" in str(exc.orig) or "permission denied" in str(exc.orig):
            raise PermissionDeniedError(
                "名单中有不在您权限范围内的住户（属于其他网格或社区），本次导入未保存任何数据。"
                "请只导入本网格的住户，或请管理员导入"
            ) from exc
        raise
