"""The ledger: approved guide versions, approvals, per-channel deliveries and the event log.

It lives in the library's tool folder (``.guides/ledger.sqlite``, zero set-up) or, for many editors
and publishers, in PostgreSQL named by ``GUIDES_DATABASE_URL``
(``postgresql+psycopg://user@host/db``). The schema is created and upgraded by Alembic migrations
when a ledger is opened.
"""

from guidesrc.ledger.store import DATABASE_URL_ENV, Ledger, database_url, open_ledger

__all__ = ["DATABASE_URL_ENV", "Ledger", "database_url", "open_ledger"]
