"""The month summaries are refreshed by the background job, and by a page only on small tables."""

from __future__ import annotations

from sqlalchemy import text

from services.stats.dashboard import refresh_summaries


def _dirty(s) -> dict[str, bool]:
    return dict(s.execute(text("SELECT name, dirty FROM dashboard_refresh")).fetchall())


def test_the_background_job_refreshes_what_a_change_marked_dirty(demo_session):
    s = demo_session
    refresh_summaries(session=s)
    assert not any(_dirty(s).values())
    # a clerk's change to any case marks the case summaries dirty (statement trigger)
    s.execute(
        text("UPDATE cases SET rework_count = rework_count WHERE id = (SELECT min(id) FROM cases)")
    )
    assert _dirty(s)["case_summaries"] is True
    assert refresh_summaries(session=s) == 1
    assert _dirty(s)["case_summaries"] is False


def test_a_page_view_refreshes_a_small_town_at_once(demo_session):
    from db.stats import cells as cell_queries

    s = demo_session
    # a clerk's committed change (a no-op on the values, so the shared demo stays as it was)
    with s.get_bind().engine.begin() as clerk:
        clerk.execute(
            text(
                "UPDATE cases SET rework_count = rework_count "
                "WHERE id = (SELECT min(id) FROM cases)"
            )
        )
    assert _dirty(s)["case_summaries"] is True
    # the demo has 3,000 cases: small, so the page sees its change without waiting for the job
    assert cell_queries.refresh_summaries(session=s, in_request=True) >= 1
    assert _dirty(s)["case_summaries"] is False


def test_a_page_refresh_holds_no_lock_for_the_rest_of_the_page(demo_session):
    """The refresh commits on its own: a clerk's case step does not wait for the page to end."""
    from db.stats import cells as cell_queries

    s = demo_session
    engine = s.get_bind().engine
    with engine.begin() as clerk:
        clerk.execute(
            text(
                "UPDATE cases SET rework_count = rework_count WHERE id = (SELECT min(id) FROM cases)"
            )
        )
    assert cell_queries.refresh_summaries(session=s, in_request=True) >= 1
    # the page's transaction is still open; another clerk's step marks the summaries dirty
    with engine.begin() as clerk:
        clerk.execute(text("SET LOCAL lock_timeout = '2s'"))  # fails here if the page held it
        clerk.execute(
            text(
                "UPDATE cases SET rework_count = rework_count WHERE id = (SELECT min(id) FROM cases)"
            )
        )
    assert _dirty(s)["case_summaries"] is True
