"""Locust users for bench_load.py: clerks browsing the register, and the server floor.

``Clerk`` logs in once (the real login form, CSRF token included) as one of the demo accounts
and then, with a short pause (0–0.2 s) between clicks, opens what a clerk opens all day: house
lists (paged, searched), houses, area and building lists, notices, the home page.
``Floor`` fetches a trivial WSGI app's page (benchmarks/wsgi_floor.py): the server's and
locust's own ceiling on the same machine.

Both are ``FastHttpUser`` (geventhttpclient, part of locust), not ``HttpUser``
(python-requests): locust runs on the same two cores as the server, and python-requests spent
about 2.7 ms of locust's CPU per clerk's click against about 1.4 ms here. Same clicks, weights,
names, form login and cookie jar; only the HTTP client of the load generator changed.
"""
from __future__ import annotations

import itertools
import os
import random
import re

from locust import FastHttpUser, between, task

PASSWORD = os.environ.get("BENCH_PASSWORD", "Bench@2026")
ACCOUNTS = itertools.cycle(["dev_a", "dev_b", "officer", "dev_a_staff"])
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SHOW = re.compile(r"/property/houses/show/(\d+)")


class Clerk(FastHttpUser):
    wait_time = between(0, 0.2)

    def on_start(self) -> None:
        self.username = next(ACCOUNTS)
        page = self.client.get("/login/", name="/login/ (form)")
        token = CSRF.search(page.text)
        with self.client.post("/login/", data={"username": self.username, "password": PASSWORD,
                                               "csrf_token": token.group(1) if token else ""},
                              name="/login/ (post)", catch_response=True,
                              allow_redirects=False) as response:
            if response.status_code != 302:
                response.failure(f"login of {self.username} answered {response.status_code}")
        listing = self.client.get("/property/houses/list/", name="/property/houses/list/")
        self.house_ids = [int(i) for i in SHOW.findall(listing.text)] or [1]

    @task(6)
    def house_list_page(self) -> None:
        page = random.randint(0, 40)
        self.client.get(f"/property/houses/list/?page_HouseView={page}",
                        name="/property/houses/list/?page")

    @task(3)
    def house_search(self) -> None:
        self.client.get(f"/property/houses/list/?q={random.randint(0, 99999):05d}",
                        name="/property/houses/list/?q")

    @task(4)
    def house(self) -> None:
        self.client.get(f"/property/houses/show/{random.choice(self.house_ids)}",
                        name="/property/houses/show/<id>")

    @task(2)
    def areas(self) -> None:
        self.client.get("/property/areas/list/")

    @task(2)
    def buildings(self) -> None:
        self.client.get("/property/buildings/list/")

    @task(2)
    def notices(self) -> None:
        self.client.get("/notices/list/")

    @task(1)
    def home(self) -> None:
        self.client.get("/")


class Floor(FastHttpUser):
    wait_time = between(0, 0.2)

    @task
    def page(self) -> None:
        self.client.get("/")
