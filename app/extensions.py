"""Unbound extensions. Imports nothing else of ``app`` so every module may import it."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_wtf.csrf import CSRFProtect

db = SQLA(metadata=Model.metadata)
csrf = CSRFProtect()
