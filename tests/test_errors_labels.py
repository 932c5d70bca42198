"""Problems name their field by its translated label, never by the internal field name."""
from __future__ import annotations

from flask import get_flashed_messages
from flask_babel import force_locale

from app.errors import FIELD_LABELS, Problem, ValidationFailed, register_field_labels
from app.views.errors import flash_domain_error

RAW_NAMES = ("agent_id_no", "id_no", "area.name", "opinion", "houses")


def test_labels_replace_internal_names_in_both_languages(app) -> None:
    problems = [Problem("agent_id_no", "x"), Problem("id_no", "x", row=1),
                Problem("area.name", "x"), Problem("opinion", "必填。"), Problem("houses", "x"),
                Problem("lines.3.id_no", "x")]
    with app.test_request_context(), force_locale("zh"):
        shown = [str(p) for p in problems]
        assert shown[0] == "经办人证件号码: x"
        assert shown[1].startswith("第 1 行 证件号码")
        assert shown[2].startswith("物业区域名称") and shown[3] == "意见: 必填。"
        assert shown[5].startswith("证件号码")
        assert problems[0].to_dict() == {"field": "agent_id_no", "label": "经办人证件号码",
                                         "reason": "x"}
    with app.test_request_context(), force_locale("en"):
        assert str(problems[1]) == "Row 1, ID number: x"
    for text in shown:
        assert not any(raw in text for raw in RAW_NAMES), text


def test_data_fields_are_shown_as_they_are_and_unknown_names_not_at_all(app) -> None:
    with app.test_request_context(), force_locale("zh"):
        assert str(Problem("440703000010000012", "已交清")) == "440703000010000012: 已交清"
        assert str(Problem("房屋编号", "必填", row=4)) == "第 4 行 房屋编号：必填"
        assert str(Problem("some_internal_flag", "不对")) == "不对"
        assert str(Problem("x_y", "z", label="自定义")) == "自定义: z"


def test_a_business_registers_its_own_labels(app) -> None:
    from flask_babel import lazy_gettext as _l

    register_field_labels({"deposit_time_point": _l("Deposit time point")})
    try:
        with app.test_request_context(), force_locale("en"):
            assert str(Problem("deposit_time_point", "bad")) == "Deposit time point: bad"
    finally:
        FIELD_LABELS.pop("deposit_time_point")


def test_one_submit_flashes_one_list(app) -> None:
    error = ValidationFailed(problems=[Problem("name", "必填"), Problem("agent_phone", "格式不对"),
                                       Problem("id_no", "<b>x</b>", row=2)])
    with app.test_request_context(), force_locale("zh"):
        flash_domain_error(error)
        flashed = get_flashed_messages(with_categories=True)
    assert len(flashed) == 1
    category, html = flashed[0]
    assert category == "danger" and html.count("<li") == 3 and "<ul" in html
    assert "经办人电话: 格式不对" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert 'data-field="agent_phone"' in html
