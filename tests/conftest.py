"""Test fixtures: the real app from the factory, a database per test restored from a template,
and one logged-in client per role.

The database is SQLite unless TEST_DATABASE_URL points at PostgreSQL (``scripts/test-postgres.sh``).
The template holds the migrated schema, the synced roles and the demo data (password DEMO_PASSWORD).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tradesim.testing import SimulatorServer

DEMO_PASSWORD = "Demo@2026"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


class _Database:
    """Knows how to build the template once and restore the working database from it."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="jm-test-"))
        url = os.environ.get("TEST_DATABASE_URL", "")
        self.postgres = url.startswith("postgresql")
        if self.postgres:
            self.url = url
            parsed = make_url(url)
            self.name = parsed.database
            self.template = f"{self.name}_tpl"
            self.admin_url = parsed.set(database="postgres")
        else:
            self.path = self.tmp / "test.sqlite"
            self.template_path = self.tmp / "template.sqlite"
            self.url = f"sqlite:///{self.path}"

    def _admin(self, *statements: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
        engine.dispose()

    def reset_empty(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.template}"',
                        f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                        f'CREATE DATABASE "{self.name}"')
        elif self.path.exists():
            self.path.unlink()

    def save_template(self) -> None:
        if self.postgres:
            self._admin(f'CREATE DATABASE "{self.template}" TEMPLATE "{self.name}"')
        else:
            shutil.copyfile(self.path, self.template_path)

    def restore(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                        f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"')
        else:
            shutil.copyfile(self.template_path, self.path)


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production.

    Tests hold an app context for their own session; without this, Flask would reuse it for the
    client's requests and ``g`` (and so Flask-Login's user) would leak from one client to another.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


def build_test_app(**overrides: Any) -> Flask:
    from app import create_app
    from config import TestConfig

    from app.cli.db import bind_migrate

    app = create_app(TestConfig, **overrides)
    bind_migrate(app)  # tests call Flask-Migrate's functions; the web app binds it only for `flask db`
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def _database() -> Iterator[_Database]:
    database = _Database()
    yield database
    shutil.rmtree(database.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def _app(_database: _Database) -> Iterator[Flask]:
    import logging

    logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    _database.reset_empty()
    app = build_test_app(SQLALCHEMY_DATABASE_URI=_database.url,
                         UPLOAD_FOLDER=str(_database.tmp / "uploads"))
    with app.app_context():
        from app.extensions import db
        from app.security.sync import sync_roles
        from app.services.demo import load_demo

        # The schema comes from the models here; tests/test_migrations.py proves the Alembic
        # migrations build the same schema.
        db.create_all()
        sync_roles(app.appbuilder.sm)
        load_demo(db.session, app.appbuilder.sm, DEMO_PASSWORD)
        db.session.remove()
        db.engine.dispose()
    _database.save_template()
    yield app


@pytest.fixture()
def app(_app: Flask, _database: _Database) -> Iterator[Flask]:
    """The session's app over a freshly restored database (demo data included)."""
    from app.extensions import db

    with _app.app_context():
        db.session.remove()
        db.engine.dispose()
    _database.restore()
    upload = Path(_app.config["UPLOAD_FOLDER"])
    shutil.rmtree(upload, ignore_errors=True)
    upload.mkdir(parents=True, exist_ok=True)
    with _app.app_context():
        yield _app
        db.session.remove()


@pytest.fixture()
def session(app: Flask) -> Any:
    from app.extensions import db

    return db.session


@pytest.fixture()
def is_postgres(_database: _Database) -> bool:
    return _database.postgres


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> FlaskClient:
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code in (302, 303), f"login of {username} failed: {response.status_code}"
    location = response.headers.get("Location", "")
    assert "/login" not in location, f"login of {username} was refused"
    return client


@pytest.fixture()
def client_for(app: Flask) -> Callable[[str], FlaskClient]:
    """``client_for("dev_a")``: a fresh test client logged in as that demo user."""

    def make(username: str, password: str = DEMO_PASSWORD) -> FlaskClient:
        return login(app.test_client(), username, password)

    return make


@pytest.fixture()
def anon_client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def admin_client(client_for: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_for("admin")


@pytest.fixture()
def officer_client(client_for: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_for("officer")


@pytest.fixture()
def teller_client(client_for: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_for("teller")


@pytest.fixture()
def dev_a_client(client_for: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_for("dev_a")


@pytest.fixture()
def dev_a_staff_client(client_for: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_for("dev_a_staff")


@pytest.fixture()
def dev_b_client(client_for: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_for("dev_b")


def api_token(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> str:
    response = client.post("/api/v1/security/login",
                           json={"username": username, "password": password, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


@pytest.fixture()
def api_headers(app: Flask) -> Callable[[str], dict[str, str]]:
    """``api_headers("dev_a")``: Authorization headers with a JWT of that demo user."""

    def make(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token(app.test_client(), username)}"}

    return make


@pytest.fixture()
def demo(session: Any) -> Any:
    """Handy ids of the demo data: organisations, users, areas, buildings, houses."""
    from sqlalchemy import select

    from app.models.organisation import Organisation
    from app.models.property import Building, House, PropertyArea
    from app.security.models import PlatformUser

    class Demo:
        pass

    d = Demo()
    orgs = {o.uscc: o for o in session.scalars(select(Organisation))}
    d.org_a = orgs["91440703MA4UJ7K26E"]
    d.org_b = orgs["91440705MA51Q8R367"]
    d.users = {u.username: u for u in session.scalars(select(PlatformUser))}
    d.area_a = session.scalar(select(PropertyArea).where(PropertyArea.org_id == d.org_a.id))
    d.area_b = session.scalar(select(PropertyArea).where(PropertyArea.org_id == d.org_b.id))
    d.building_a = session.scalar(select(Building).where(Building.area_id == d.area_a.id)
                                  .order_by(Building.id))
    d.building_b = session.scalar(select(Building).where(Building.area_id == d.area_b.id)
                                  .order_by(Building.id))
    d.house_a = session.scalar(select(House).where(House.area_id == d.area_a.id).order_by(House.id))
    d.house_b = session.scalar(select(House).where(House.area_id == d.area_b.id).order_by(House.id))
    return d


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorServer]:
    """The trading-system simulator served over HTTP on a loopback port, one per test module."""
    server = SimulatorServer(str(tmp_path_factory.mktemp("tradesim") / "sim.sqlite")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
