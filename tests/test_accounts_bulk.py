"""Bulk paths of approval: houses written in one executemany keep their order, lines are read once."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select

from app.services.accounts import ID_LOOKUP_CHUNK, BuildingInput, HouseInput, OwnerInput, open_houses
from app.services.standards import StandardBook


def test_opened_ids_follow_the_input_order_across_lookup_chunks(session: Any, demo: Any) -> None:
    from app.models.property import House, Owner

    count = ID_LOOKUP_CHUNK * 2 + 17
    # Interleaved buildings and descending rooms, so input order is neither id nor code order
    # of any one building.
    specs = [HouseInput(building_name=f"批量{i % 3}幢", floor=1 + i // 40, room=f"{count - i:05d}",
                        building_area=Decimal("50") + i % 7, use_code="residential",
                        has_lift=bool(i % 2),
                        owners=[OwnerInput(name=f"业主{i}", id_type="01",
                                           id_no="11010519491231002X")] if i % 5 == 0 else [])
             for i in range(count)]
    opened = open_houses(session, demo.area_a, [BuildingInput(name=f"批量{b}幢", floors=6) for b in range(3)],
                         specs, StandardBook.load(session), source="excel", on=dt.date(2026, 3, 1))
    session.commit()

    assert len(opened.house_ids) == len(set(opened.house_ids)) == count
    houses = {h.id: h for h in session.scalars(select(House).where(House.id.in_(opened.house_ids)))}
    for house_id, spec in zip(opened.house_ids, specs):
        house = houses[house_id]
        assert (house.building.name, house.room, house.has_lift) == (spec.building_name, spec.room,
                                                                    spec.has_lift)
        assert house.standard_text and house.amount_due > 0
    owners = dict(session.execute(select(Owner.house_id, Owner.name)
                                  .where(Owner.house_id.in_(opened.house_ids))).all())
    assert owners == {house_id: spec.owners[0].name for house_id, spec in zip(opened.house_ids, specs)
                      if spec.owners}
    assert opened.total_due == sum((houses[i].amount_due for i in opened.house_ids), Decimal(0))


def test_lines_read_once_reads_each_target_once_and_forgets_after_a_write(session: Any, demo: Any) -> None:
    from app.extensions import db
    from app.models.order import AREA_COLLECT
    from app.services.orders import staging
    from app.services.orders.drafts import AgentInput, DraftInput, save_draft
    from app.security.models import PlatformUser

    dev = session.scalars(select(PlatformUser).where(PlatformUser.username == "dev_a")).one()
    order = save_draft(session, dev, AREA_COLLECT, DraftInput(
        agent=AgentInput(name="李敏", phone="13800138001", id_no="11010519491231002X"),
        fields={"area": {"name": "一次读取花园", "district_code": "440703", "address": "江门市"}}))
    house = staging.house_data(building="A座", floor=1, room="101", building_area="80",
                               use_code="residential", has_lift=True, source="excel")
    staging.insert_lines(session, order.id, [(staging.BUILDING, staging.building_data(name="A座")),
                                             (staging.HOUSE, house)])
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM order_line" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with staging.lines_read_once(session):
            first = staging.staged(session, order.id, staging.HOUSE)
            again = staging.staged(session, order.id, staging.HOUSE)
            assert again == first and again is not first
            assert len(reads) == 1
            staging.insert_lines(session, order.id, [(staging.HOUSE, {**house, "room": "102"})])
            after_write = staging.staged(session, order.id, staging.HOUSE)
        outside = staging.staged(session, order.id, staging.HOUSE)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [data["room"] for _seq, data in after_write] == ["101", "102"]
    assert outside == after_write
    assert staging.READ_ONCE_KEY not in session.info


def test_collector_paused_for_the_block_and_on_again_after_it_even_on_error() -> None:
    import gc

    from app.services.bulk import collector_paused

    assert gc.isenabled()
    try:
        with collector_paused():
            assert not gc.isenabled()
            with collector_paused():  # nested (or another thread's): leaves it to the outer one
                assert not gc.isenabled()
            assert not gc.isenabled()
            raise RuntimeError("refused half-way")
    except RuntimeError:
        pass
    assert gc.isenabled()
