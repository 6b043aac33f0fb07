"""Open311 GeoReport v2 over Lianxin's cases: services, POST/GET requests, tokens.

Transport-free: the API (``api/app.py``) parses HTTP and renders JSON or XML; this module
checks the parameters, calls the same services as the pages (:func:`services.cases.locate`
and :func:`services.cases.intake`, the working-day calendar through intake) and shapes the
GeoReport records. Every refusal is an :class:`~core.errors.InvalidInputError` (400) or
:class:`~core.errors.NotFoundError` (404) with a Chinese message, raised *before* anything
is written.

Status mapping (README, "Open311 接口"): Lianxin's open states → ``open``, ``closed`` and
``rated`` → ``closed``. The richer state travels in ``status_notes`` (Chinese) and, as
FixMyStreet's Open311 extensions carry it, in ``extended_status`` (FixMyStreet's codes:
OPEN, ACTION_SCHEDULED, IN_PROGRESS, INVESTIGATING, INTERNAL_REFERRAL, FIXED, CLOSED) plus
``lianxin_state`` (our key).

Public records carry no personal data: no name, phone or e-mail field; the point and the
address are the cell's (as FixMyStreet rounds a report's location); the description has
phone-like numbers, ID numbers, door-plate numbers and the requester's name masked.

The package: :mod:`.catalogue` (GET services, the attributes a category asks for),
:mod:`.posting` (POST requests) and :mod:`.public` (GET requests and tokens, the public record).
"""
