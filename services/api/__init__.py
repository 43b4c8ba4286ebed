"""The HTTP API (FastAPI): routers per resource, one error mapping, one app factory."""
