"""The iDoklad v3 answer shapes: the `ApiResult` envelope `{Data, ErrorCode, IsSuccess, Message,
StatusCode}`, JSON with money as numbers, and the date-time format the API returns."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response


class ApiError(Exception):
    """An answer in the ApiResult envelope with IsSuccess=false."""

    def __init__(self, status: int, message: str, error_code: int = 0) -> None:
        super().__init__(message)
        self.status, self.message, self.error_code = status, message, error_code


class ValidationFailed(ApiError):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        text = "Validation failed.\n" + "\n".join(f"{path}: {msg}" for path, msg in problems)
        super().__init__(400, text, 400)


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def json_response(payload: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(jsonable(payload), ensure_ascii=False),
        status=status,
        mimetype="application/json",
        headers=headers or {},
    )


def envelope(
    data: Any, status: int = 200, error_code: int = 0, message: str = "", headers: dict[str, str] | None = None
) -> Response:
    return json_response(
        {
            "Data": data,
            "ErrorCode": error_code,
            "IsSuccess": 200 <= status < 300,
            "Message": message,
            "StatusCode": status,
        },
        status,
        headers,
    )


def api_datetime(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    return value.isoformat() + "T00:00:00"
