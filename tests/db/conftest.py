from tests.db.access_world import world  # noqa: F401  (the access tests' small world)
from tests.dbfixtures import db_url, demo_db, demo_session, session  # noqa: F401
