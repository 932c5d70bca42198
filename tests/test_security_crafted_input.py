"""Crafted request arguments never crash the platform (5xx) on any list, action or API route.

Like the tenant walk, the routes come from ``app.url_map``, so a new list or API is covered the day
it is registered. Every list page (and export) gets filter indexes past its column's filters, filters
on unknown columns, unknown order columns and nonsense page arguments; every action route an unknown
action name; every FAB ``download/`` a missing file; every REST API broken rison and out-of-range
``q`` values. The admin sends them (the role that reaches the most routes), and a developer sends the
action requests too, because FAB used to crash there before checking the permission.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.conftest import api_token, login

#: Routes that are not lists or APIs a crafted argument could reach, or must not be called here.
SKIPPED = {"static", "appbuilder.static", "AuthDBView.logout", "LocaleView.index", "UtilView.back",
           "RateLimitedSecurityApi.login", "RateLimitedSecurityApi.refresh"}
LIST_SUFFIXES = (".list", ".export", ".api_read")
RISON_JUNK = ["(", "(page_size:abc)", "(page:-1,page_size:-5)", "(page:99999999999999999999)",
              "(order_column:nosuch,order_direction:up)", "(filters:!((col:nosuch,opr:eq,value:1)))",
              "(filters:!((col:id,opr:nosuch,value:1)))", "(filters:!((col:id,opr:eq,value:abc)))",
              "(columns:!(nosuch))", "(keys:!(nosuch))", "!(1,2)", "(filters:x)"]


def _view(app: Flask, endpoint: str) -> Any:
    name = endpoint.split(".", 1)[0]
    return next((v for v in app.appbuilder.baseviews if getattr(v, "endpoint", None) == name), None)


def _filter_columns(view: Any) -> dict[str, int]:
    filters = getattr(view, "_filters", None)
    return {name: len(items) for name, items in getattr(filters, "_all_filters", {}).items()}


def list_queries(view: Any) -> Iterator[str]:
    """Query strings that used to reach FAB's list machinery unchecked."""
    name = view.__class__.__name__
    for column, count in _filter_columns(view).items():
        yield f"_flt_{min(count, 9)}_{column}=1"
        yield f"_flt_0_{column}=%ZZ&_flt_1_{column}="
    yield "_flt_0_nosuch=1"
    yield f"_oc_{name}=nosuch&_od_{name}=asc"
    yield f"_oc_{name}=id&_od_{name}=sideways"
    yield f"psize_{name}=abc"
    yield f"psize_{name}=-5&page_{name}=-3"
    yield f"page_{name}=abc"
    yield f"page_{name}=99999999999999999999"
    yield f"psize_{name}=99999999999999999999"


def _rules(app: Flask) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED),
                  key=lambda r: r.rule)


def _arguments(rule: Rule) -> dict[str, Any]:
    return {arg: ("nosuchaction" if arg == "name" else "nosuch.pdf" if arg == "filename" else 1)
            for arg in rule.arguments}


class Crafter:
    def __init__(self, web: FlaskClient, headers: dict[str, str]) -> None:
        self.web, self.headers = web, headers
        self.failures: list[str] = []
        self.sent = 0

    def send(self, method: str, url: str, **kwargs: Any) -> None:
        self.sent += 1
        try:
            response = self.web.open(url, method=method, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a crash is the finding
            self.failures.append(f"{method} {url}: raised {type(exc).__name__}: {exc}"[:300])
            return
        if response.status_code >= 500:
            self.failures.append(f"{method} {url} → {response.status_code}")


def _substitute(rule: Rule) -> str:
    """The rule's URL with a harmless value for each argument (converters are ignored)."""
    values = _arguments(rule)
    return re.sub(r"<(?:[a-zA-Z_]+(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>",
                  lambda match: str(values[match.group(1)]), rule.rule)


def craft_everything(app: Flask, crafter: Crafter, *, actions_only: bool = False) -> None:
    for rule in _rules(app):
        endpoint, methods = rule.endpoint, rule.methods - {"HEAD", "OPTIONS"}
        api = rule.rule.startswith("/api/")
        url = _substitute(rule)
        headers = crafter.headers if api else {}
        suffix = endpoint.rsplit(".", 1)[-1]
        if suffix == "action":
            for method in sorted(methods):
                crafter.send(method, url)
            continue
        if suffix == "action_post":
            crafter.send("POST", url, data={"action": "nosuchaction", "rowid": ["1"]})
            crafter.send("POST", url, data={"rowid": ["1"]})
            continue
        if actions_only:
            continue
        if suffix == "download":
            crafter.send("GET", url)
            crafter.send("GET", url.replace("nosuch.pdf", "..%2F..%2Fconfig.py"))
            continue
        if "GET" not in methods:
            continue
        if api:
            for junk in RISON_JUNK:
                crafter.send("GET", f"{url}?q={junk}", headers=headers)
            continue
        view = _view(app, endpoint)
        if view is not None and (endpoint.endswith(LIST_SUFFIXES) or not rule.arguments):
            for query in list_queries(view):
                crafter.send("GET", f"{url}?{query}")


def test_no_crafted_argument_gives_a_server_error(app: Flask) -> None:
    crafter = Crafter(login(app.test_client(), "admin"),
                      {"Authorization": f"Bearer {api_token(app.test_client(), 'admin')}"})
    craft_everything(app, crafter)
    assert crafter.sent > 500, crafter.sent
    assert not crafter.failures, f"{len(crafter.failures)} of {crafter.sent}:\n" + "\n".join(crafter.failures[:80])


def test_unknown_actions_are_not_found_for_a_developer_too(app: Flask) -> None:
    crafter = Crafter(login(app.test_client(), "dev_a"),
                      {"Authorization": f"Bearer {api_token(app.test_client(), 'dev_a')}"})
    craft_everything(app, crafter, actions_only=True)
    assert crafter.sent > 20, crafter.sent
    assert not crafter.failures, "\n".join(crafter.failures[:80])


@pytest.mark.parametrize("url", ["/property/houses/list/?_flt_2_area=1",
                                 "/property/houses/export/?_flt_2_area=1"])
def test_filter_index_past_the_columns_filters_is_a_bad_request(admin_client: FlaskClient,
                                                                url: str) -> None:
    response = admin_client.get(url)
    assert response.status_code == 400
    assert "filter" in response.get_data(as_text=True).lower() or "筛选" in response.get_data(as_text=True)


@pytest.mark.parametrize("prefix", ["/groups", "/permissions", "/permissionviews", "/viewmenus", "/roles",
                                    "/users"])
def test_unknown_action_names_on_fab_views_are_not_found(client_for: Any, prefix: str) -> None:
    for username in ("admin", "dev_a"):
        client = client_for(username)
        assert client.post(f"{prefix}/action/delete/1").status_code == 404
        assert client.post(f"{prefix}/action_post", data={"action": "nosuch", "rowid": "1"}).status_code == 404


def test_fab_download_of_a_missing_file_is_not_found(admin_client: FlaskClient) -> None:
    assert admin_client.get("/groups/download/nosuch.pdf").status_code == 404
    assert admin_client.get("/users/download/nosuch.pdf").status_code == 404


@pytest.mark.parametrize("query", ["_flt_0_has_lift=abc", "_flt_0_area=abc", "_flt_1_area=%ZZ"])
def test_filter_values_a_column_cannot_hold_are_a_bad_request(dev_a_client: FlaskClient, query: str) -> None:
    """PostgreSQL refuses comparing a boolean or an id with text: once a 500, now a 400."""
    for page in ("list", "export"):
        assert dev_a_client.get(f"/property/houses/{page}/?{query}").status_code == 400


def test_an_unfinished_filter_row_is_ignored(dev_a_client: FlaskClient, demo: Any) -> None:
    assert dev_a_client.get("/property/houses/list/?_flt_0_area=").status_code == 200
    response = dev_a_client.get(f"/property/houses/list/?_flt_0_area={demo.area_a.id}&_flt_0_has_lift=y")
    assert response.status_code == 200
