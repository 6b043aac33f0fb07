from tests.dbfixtures import db_url, demo_db, demo_session, session  # noqa: F401
