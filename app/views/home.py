"""The landing page: login and 开发商注册 for visitors, a short work list for users."""
from __future__ import annotations

from flask import g
from flask_appbuilder import IndexView, expose

from app.extensions import db
from app.services.home import home_summary


class HomeView(IndexView):
    route_base = ""
    index_template = "home.html"

    @expose("/")
    def index(self):  # noqa: ANN201 - FAB view
        user = g.user if getattr(g.user, "is_authenticated", False) else None
        summary = home_summary(db.session, user) if user else None
        return self.render_template(self.index_template, appbuilder=self.appbuilder,
                                    summary=summary)
