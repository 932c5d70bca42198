"""The simulator's own SQLite storage: schema, seeding and the queries the endpoints need.

One short-lived connection per request (sqlite3 connections are not shared between threads);
WAL mode lets the threaded server read while a push is being written.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from tradesim.seed import seed_dataset

SCHEMA = """
CREATE TABLE IF NOT EXISTS developer (
    uscc TEXT PRIMARY KEY, name TEXT NOT NULL, district_code TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS project (
    project_id TEXT PRIMARY KEY, developer_uscc TEXT NOT NULL REFERENCES developer(uscc),
    name TEXT NOT NULL, address TEXT NOT NULL, district_code TEXT NOT NULL,
    presale_permit_no TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS building (
    building_code TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES project(project_id),
    name TEXT NOT NULL, address TEXT NOT NULL, structure TEXT NOT NULL,
    floors_above INTEGER NOT NULL, floors_below INTEGER NOT NULL, lift TEXT NOT NULL,
    unit_count INTEGER NOT NULL, built_ym TEXT);
CREATE TABLE IF NOT EXISTS house (
    house_code TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES project(project_id),
    building_code TEXT NOT NULL REFERENCES building(building_code),
    unit TEXT NOT NULL, floor INTEGER NOT NULL, room_no TEXT NOT NULL, address TEXT NOT NULL,
    building_area TEXT NOT NULL, inner_area TEXT, use TEXT NOT NULL, sales_status TEXT NOT NULL,
    price TEXT);
CREATE INDEX IF NOT EXISTS ix_house_project ON house(project_id);
CREATE TABLE IF NOT EXISTS contract (
    contract_no TEXT PRIMARY KEY, house_code TEXT NOT NULL UNIQUE REFERENCES house(house_code),
    status TEXT NOT NULL, signed_on TEXT NOT NULL, total_price TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS buyer (
    contract_no TEXT NOT NULL REFERENCES contract(contract_no), seq INTEGER NOT NULL,
    name TEXT NOT NULL, id_type TEXT NOT NULL, id_number TEXT NOT NULL, phone TEXT,
    PRIMARY KEY (contract_no, seq));
CREATE TABLE IF NOT EXISTS push (
    push_id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NOT NULL UNIQUE,
    house_code TEXT NOT NULL, body TEXT NOT NULL, body_hash TEXT NOT NULL,
    received_at TEXT NOT NULL, requests INTEGER NOT NULL DEFAULT 1, applied INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deposit_status (
    house_code TEXT PRIMARY KEY REFERENCES house(house_code), contract_no TEXT,
    amount_due TEXT NOT NULL, amount_paid TEXT NOT NULL, status TEXT NOT NULL,
    occurred_at TEXT NOT NULL, push_id INTEGER NOT NULL REFERENCES push(push_id));
"""


def connect(path: str) -> sqlite3.Connection:
    """Open a connection with row dicts, foreign keys and a busy timeout for concurrent writers."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def initialise(path: str) -> None:
    """Create the schema and load ``seed_dataset()`` unless the file already holds projects."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA)
        if conn.execute("SELECT COUNT(*) FROM project").fetchone()[0] == 0:
            _load(conn, seed_dataset())
    finally:
        conn.close()


def _load(conn: sqlite3.Connection, data: dict[str, Any]) -> None:
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO developer VALUES (?, ?, ?)",
                     [(d["uscc"], d["name"], d["district_code"]) for d in data["developers"]])
    for p in data["projects"]:
        conn.execute("INSERT INTO project VALUES (?, ?, ?, ?, ?, ?)",
                     (p["project_id"], p["developer_uscc"], p["name"], p["address"],
                      p["district_code"], p["presale_permit_no"]))
        for b in p["buildings"]:
            conn.execute("INSERT INTO building VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (b["building_code"], p["project_id"], b["name"], b["address"],
                          b["structure"], b["floors_above"], b["floors_below"], b["lift"],
                          b["unit_count"], b["built_ym"]))
            conn.executemany(
                "INSERT INTO house VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(h["house_code"], p["project_id"], b["building_code"], h["unit"], h["floor"],
                  h["room_no"], h["address"], h["building_area"], h["inner_area"], h["use"],
                  h["sales_status"], h["price"]) for h in b["houses"]])
    for c in data["contracts"]:
        conn.execute("INSERT INTO contract VALUES (?, ?, ?, ?, ?)",
                     (c["contract_no"], c["house_code"], c["status"], c["signed_on"],
                      c["total_price"]))
        conn.executemany("INSERT INTO buyer VALUES (?, ?, ?, ?, ?, ?)",
                         [(c["contract_no"], seq, b["name"], b["id_type"], b["id_number"], b["phone"])
                          for seq, b in enumerate(c["buyers"], start=1)])
    conn.execute("COMMIT")


def list_projects(conn: sqlite3.Connection, uscc: str, query: str | None) -> list[dict[str, Any]]:
    sql = """
        SELECT p.project_id, p.name, p.address, p.district_code, p.presale_permit_no,
               p.developer_uscc, d.name AS developer_name,
               (SELECT COUNT(*) FROM building b WHERE b.project_id = p.project_id) AS building_count,
               (SELECT COUNT(*) FROM house h WHERE h.project_id = p.project_id) AS house_count
        FROM project p JOIN developer d ON d.uscc = p.developer_uscc
        WHERE p.developer_uscc = ?"""
    params: list[Any] = [uscc]
    if query:
        sql += (" AND (p.name LIKE ? ESCAPE '\\' OR p.address LIKE ? ESCAPE '\\'"
                " OR p.presale_permit_no LIKE ? ESCAPE '\\')")
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        params += [like, like, like]
    return [dict(r) for r in conn.execute(sql + " ORDER BY p.project_id", params)]


def get_project(conn: sqlite3.Connection, project_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        """SELECT p.project_id, p.name, p.address, p.district_code, p.presale_permit_no,
                  p.developer_uscc, d.name AS developer_name
           FROM project p JOIN developer d ON d.uscc = p.developer_uscc
           WHERE p.project_id = ?""", (project_id,)).fetchone()
    return dict(row) if row else None


def project_buildings(conn: sqlite3.Connection, project_id: str) -> list[dict[str, Any]]:
    """Return the project's buildings, each with its houses ordered by unit, floor and room."""
    buildings = [dict(r) for r in conn.execute(
        """SELECT building_code, name, address, structure, floors_above, floors_below, lift,
                  unit_count, built_ym
           FROM building WHERE project_id = ? ORDER BY building_code""", (project_id,))]
    by_code = {b["building_code"]: b for b in buildings}
    for b in buildings:
        b["houses"] = []
    for r in conn.execute(
            """SELECT house_code, building_code, unit, floor, room_no, address, building_area,
                      inner_area, use, sales_status, price
               FROM house WHERE project_id = ? ORDER BY house_code""", (project_id,)):
        house = dict(r)
        by_code[house.pop("building_code")]["houses"].append(house)
    return buildings


def find_house(conn: sqlite3.Connection, house_code: str) -> dict[str, Any] | None:
    row = conn.execute(
        """SELECT h.house_code, h.project_id, p.developer_uscc, c.contract_no
           FROM house h JOIN project p ON p.project_id = h.project_id
           LEFT JOIN contract c ON c.house_code = h.house_code
           WHERE h.house_code = ?""", (house_code,)).fetchone()
    return dict(row) if row else None


def find_contract(conn: sqlite3.Connection, contract_no: str) -> dict[str, Any] | None:
    row = conn.execute(
        """SELECT c.contract_no, c.house_code, c.status, h.address AS house_address,
                  p.developer_uscc
           FROM contract c JOIN house h ON h.house_code = c.house_code
           JOIN project p ON p.project_id = h.project_id
           WHERE c.contract_no = ?""", (contract_no,)).fetchone()
    if row is None:
        return None
    contract = dict(row)
    contract["buyers"] = [dict(b) for b in conn.execute(
        "SELECT name, id_type, id_number FROM buyer WHERE contract_no = ? ORDER BY seq",
        (contract_no,))]
    return contract


def body_hash(body: dict[str, Any]) -> str:
    """Hash of a push body in canonical JSON, to tell a replay from a different push with the same key."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def find_push(conn: sqlite3.Connection, key: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM push WHERE idempotency_key = ?", (key,)).fetchone()
    return dict(row) if row else None


def record_replay(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("UPDATE push SET requests = requests + 1 WHERE idempotency_key = ?", (key,))


def store_push(conn: sqlite3.Connection, key: str, body: dict[str, Any],
               received_at: str) -> tuple[dict[str, Any], bool]:
    """Store a new push and apply it to the house's deposit status unless a newer one is there.

    Returns the stored push and whether it was new. Runs in one immediate transaction so two
    concurrent requests with the same key store it once: the second one gets the first's row back
    (and the caller treats it as a replay).
    """
    [(push, created)] = store_pushes(conn, [(key, body)], received_at)
    return push, created


def store_pushes(conn: sqlite3.Connection, items: list[tuple[str, dict[str, Any]]],
                 received_at: str) -> list[tuple[dict[str, Any], bool]]:
    """``store_push`` for several (key, body) pairs in one immediate transaction, in order.

    One transaction for the whole batch is what makes a batch cheap: a commit per push would cost
    a WAL sync each.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        stored = [_store_one(conn, key, body, received_at) for key, body in items]
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return stored


def _store_one(conn: sqlite3.Connection, key: str, body: dict[str, Any],
               received_at: str) -> tuple[dict[str, Any], bool]:
    existing = find_push(conn, key)
    if existing is not None:
        return existing, False
    current = conn.execute("SELECT occurred_at FROM deposit_status WHERE house_code = ?",
                           (body["house_code"],)).fetchone()
    applied = current is None or current["occurred_at"] <= body["occurred_at"]
    cur = conn.execute(
        """INSERT INTO push (idempotency_key, house_code, body, body_hash, received_at, applied)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (key, body["house_code"], json.dumps(body, ensure_ascii=False), body_hash(body),
         received_at, int(applied)))
    if applied:
        conn.execute(
            """INSERT INTO deposit_status VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(house_code) DO UPDATE SET contract_no = excluded.contract_no,
                   amount_due = excluded.amount_due, amount_paid = excluded.amount_paid,
                   status = excluded.status, occurred_at = excluded.occurred_at,
                   push_id = excluded.push_id""",
            (body["house_code"], body.get("contract_no"), body["amount_due"],
             body["amount_paid"], body["status"], body["occurred_at"], cur.lastrowid))
    return find_push(conn, key) or {}, True


def deposit_status(conn: sqlite3.Connection, house_code: str) -> dict[str, Any] | None:
    row = conn.execute(
        """SELECT house_code, contract_no, amount_due, amount_paid, status, occurred_at, push_id
           FROM deposit_status WHERE house_code = ?""", (house_code,)).fetchone()
    return dict(row) if row else None


def list_pushes(conn: sqlite3.Connection, *, house_code: str | None = None,
                key: str | None = None) -> list[dict[str, Any]]:
    sql, params = "SELECT * FROM push WHERE 1 = 1", []
    if house_code:
        sql, params = sql + " AND house_code = ?", params + [house_code]
    if key:
        sql, params = sql + " AND idempotency_key = ?", params + [key]
    rows = []
    for r in conn.execute(sql + " ORDER BY push_id", params):
        row = dict(r)
        row["body"] = json.loads(row["body"])
        row["applied"] = bool(row["applied"])
        rows.append(row)
    return rows


def clear_pushes(conn: sqlite3.Connection) -> None:
    conn.executescript("BEGIN; DELETE FROM deposit_status; DELETE FROM push; COMMIT;")

