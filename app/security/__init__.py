"""Security: users, roles and permissions, and the one tenant filter (``tenant.py``)."""
