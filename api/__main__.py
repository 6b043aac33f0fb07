"""``python -m api``: serve the Open311 API with uvicorn on API_HOST:API_PORT (default 8502)."""

from __future__ import annotations

import os

import uvicorn


def main() -> None:
    uvicorn.run(
        "api.app:app",
        host=os.environ.get("API_HOST", "127.0.0.1"),
        port=int(os.environ.get("API_PORT", "8502")),
        workers=1,  # the rate limiter counts in-process (api/limits.py)
        log_level=os.environ.get("API_LOG_LEVEL", "info"),
        access_log=False,
    )


if __name__ == "__main__":
    main()
