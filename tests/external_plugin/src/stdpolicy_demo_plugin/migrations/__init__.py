"""The demo plugin's Alembic revision scripts (``versions/``), run by core (version table ``alembic_version_demo``)."""
