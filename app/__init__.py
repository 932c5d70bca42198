"""Application factory: configuration first, then one small init step per concern."""
from __future__ import annotations

from typing import Any, Optional

from flask import Flask


def create_app(config: Optional[Any] = None, **overrides: Any) -> Flask:
    """Build the platform app. ``config`` is a config class/object; ``overrides`` win over it."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config or "config.Config")
    app.config.update(overrides)

    from app import init

    init.init_logging(app)
    init.init_extensions(app)
    init.init_appbuilder(app)
    init.init_error_handlers(app)
    init.init_request_guards(app)
    init.init_security_headers(app)
    init.init_cli(app)
    init.init_queue(app)
    return app
