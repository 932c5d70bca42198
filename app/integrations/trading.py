"""Client of the city's 房地产交易系统 (real-estate trading system).

The contract is docs/trading-api.yaml; docs/trading.md explains tokens, idempotency and errors.
Only services call this client. Every failure becomes a ``TradingError`` whose message is a
translated sentence a screen can show as it is; the technical cause stays in ``detail`` for logs
and for the outbox's "last error" column.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, TypeVar
from urllib.parse import quote

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from app.errors import DomainError

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-Trade-Token"
KEY_HEADER = "Idempotency-Key"
MATCH_BATCH = 500  # the contract's maxItems per match request
PUSH_BATCH = 500   # the contract's maxItems per batch push

T = TypeVar("T")


class TradingError(DomainError):
    """The trading system could not do what was asked; ``detail`` says why, for logs."""

    status = 502
    default_message = _l("The trading system could not complete the request.")

    def __init__(self, message: Any = None, *, detail: str = "", code: str = "") -> None:
        super().__init__(message)
        self.detail = detail or str(self.message)
        self.code = code


class TradingUnavailable(TradingError):
    """Unreachable, too slow or failing (5xx): trying again later may work."""

    status = 503
    default_message = _l(
        "The trading system cannot be reached at the moment. Please try again later.")


class TradingUnreachable(TradingUnavailable):
    """No answer at all (refused, timed out): other calls right now will fail the same way."""


class TradingRejected(TradingError):
    """The trading system answered and said no (4xx): sending the same again will not help."""

    status = 502
    default_message = _l("The trading system rejected the request.")


class TradingNotConfigured(TradingError):
    status = 503
    default_message = _l(
        "The link to the trading system is not configured. Please tell the administrator.")


_REJECTION_MESSAGES: dict[str, LazyString] = {
    "unauthorized": _l("The trading system did not accept this platform's credentials. "
                       "Please tell the administrator."),
    "project_not_found": _l("The trading system has no such project."),
    "house_not_found": _l("The trading system has no such house."),
    "contract_mismatch": _l(
        "The contract number is not this house's contract in the trading system."),
    "idempotency_conflict": _l(
        "The trading system already received a different push with the same key."),
    "invalid_request": _l("The trading system found the request incomplete or malformed."),
}

_MATCH_REASONS: dict[str, LazyString] = {
    "invalid_item": _l("Owner name, ID number and contract number are all required."),
    "house_not_found": _l("The trading system has no such house."),
    "contract_not_found": _l("The trading system has no such contract number."),
    "contract_house_mismatch": _l("The contract number belongs to another house."),
    "owner_mismatch": _l("The owner name or ID number does not match a buyer on the contract."),
}


@dataclass(frozen=True, slots=True)
class TradeProject:
    project_id: str
    name: str
    address: str
    district_code: str
    presale_permit_no: str
    developer_uscc: str
    developer_name: str
    building_count: int
    house_count: int


@dataclass(frozen=True, slots=True)
class TradeHouse:
    house_code: str
    unit: str
    floor: int
    room_no: str
    address: str
    building_area: Decimal
    inner_area: Decimal | None
    use: str             # 住宅 / 商业 / 办公 / 车库/车位 / 其他非住宅
    sales_status: str    # 未售 / 已售 / 已网签 / 已备案
    price: Decimal | None


@dataclass(frozen=True, slots=True)
class TradeBuilding:
    building_code: str
    name: str
    address: str
    structure: str       # 钢结构 / 钢筋混凝土结构 / 混合结构 / 砖木结构 / 其他
    floors_above: int
    floors_below: int
    lift: str            # 有 / 无
    unit_count: int
    built_ym: str | None
    houses: tuple[TradeHouse, ...]

    @property
    def has_lift(self) -> bool:
        return self.lift == "有"


@dataclass(frozen=True, slots=True)
class TradeProjectHouses:
    project: TradeProject
    buildings: tuple[TradeBuilding, ...]

    @property
    def houses(self) -> list[TradeHouse]:
        return [h for b in self.buildings for h in b.houses]


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchItem:
    """One row to match; leave ``house_code`` out for a house not fetched from the trading system."""

    owner_name: str
    id_number: str
    contract_no: str
    house_code: str | None = None


@dataclass(frozen=True, slots=True)
class MatchResult:
    """One row of a match, in request order.

    When matched, ``house_code`` / ``house_address`` are the contract's house in the trading
    system; otherwise ``reason`` is a translated sentence saying why not.
    """

    index: int
    house_code: str | None
    house_address: str | None
    contract_no: str
    matched: bool
    reason_code: str | None
    reason: Any


@dataclass(frozen=True, slots=True)
class PushReceipt:
    push_id: int
    idempotency_key: str
    house_code: str
    received_at: str
    applied: bool
    duplicate: bool


@dataclass(frozen=True, slots=True)
class BatchPushResult:
    """One item of a batch push: its receipt, or the error the single push would have raised."""

    idempotency_key: str
    receipt: PushReceipt | None
    error: TradingError | None


class TradingClient:
    """A ``requests`` session bound to one trading-system base URL and token.

    GETs and the two POSTs are retried on connection failures and 502/503/504 with exponential
    back-off: the POSTs are safe to repeat because they carry an idempotency key (match is
    read-only anyway). A read timeout is not retried, so a slow system costs one read timeout,
    not several.
    """

    def __init__(self, base_url: str, token: str, *, connect_timeout: float = 3.0,
                 read_timeout: float = 10.0, retries: int = 2, backoff_factor: float = 0.5) -> None:
        # requests (and urllib3) are imported by the first client: about 5 MB that a web
        # worker which never calls the trading system need not carry.
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        self.session.headers.update({TOKEN_HEADER: token, "Accept": "application/json",
                                     "User-Agent": "jm-maintenance-fund-platform/1.0"})
        retry = Retry(
            total=retries, connect=retries, read=0, status=retries, other=0,
            backoff_factor=backoff_factor, status_forcelist=(429, 502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}), raise_on_status=False,
            respect_retry_after_header=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "TradingClient":
        """Build a client from ``TRADE_BASE_URL``, ``TRADE_TOKEN`` and the ``TRADE_*`` timeouts."""
        base_url = (config.get("TRADE_BASE_URL") or "").strip()
        if not base_url:
            raise TradingNotConfigured(detail="TRADE_BASE_URL is not set")
        return cls(
            base_url, config.get("TRADE_TOKEN") or "",
            connect_timeout=float(config.get("TRADE_CONNECT_TIMEOUT", 3)),
            read_timeout=float(config.get("TRADE_READ_TIMEOUT", 10)),
            retries=int(config.get("TRADE_RETRIES", 2)),
            backoff_factor=float(config.get("TRADE_BACKOFF_FACTOR", 0.5)),
        )

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "TradingClient":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def list_projects(self, uscc: str, query: str | None = None) -> list[TradeProject]:
        """Return the projects of the developer with this 统一社会信用代码, optionally filtered."""
        params = {"q": query} if query else None
        path = f"/api/v1/developers/{quote(uscc, safe='')}/projects"
        data = self._request("GET", path, params=params)
        return _parse(lambda: [_project(p) for p in data["items"]])

    def get_project_houses(self, project_id: str, *, uscc: str | None = None) -> TradeProjectHouses:
        """Return a project with its buildings and houses; with ``uscc``, only that developer's."""
        params = {"developer_uscc": uscc} if uscc else None
        path = f"/api/v1/projects/{quote(project_id, safe='')}/houses"
        data = self._request("GET", path, params=params)
        return _parse(lambda: TradeProjectHouses(
            project=_project(data["project"]),
            buildings=tuple(_building(b) for b in data["buildings"]),
        ))

    def match_contracts(self, items: Iterable[MatchItem], *,
                        uscc: str | None = None) -> list[MatchResult]:
        """Match each (house, owner, ID number, contract) against the trading system, in order.

        With ``uscc``, houses and contracts of other developers answer "not found".
        """
        items = list(items)
        results: list[MatchResult] = []
        for start in range(0, len(items), MATCH_BATCH):
            batch = items[start:start + MATCH_BATCH]
            body: dict[str, Any] = {"items": [
                {"house_code": i.house_code or None, "owner_name": i.owner_name,
                 "id_number": i.id_number, "contract_no": i.contract_no} for i in batch]}
            if uscc:
                body["developer_uscc"] = uscc
            data = self._request("POST", "/api/v1/contracts/match", json=body,
                                 key=f"match-{uuid.uuid4().hex}")
            results += _parse(lambda: [_match_result(r, start) for r in data["results"]])
        return results

    def push_deposit_status(self, payload: Mapping[str, Any], idempotency_key: str) -> PushReceipt:
        """Send one deposit status; repeating it with the same key never counts twice."""
        data = self._request("POST", "/api/v1/deposit-statuses", json=dict(payload),
                             key=idempotency_key)
        return _parse(lambda: _receipt(data))

    def push_deposit_statuses(self, items: Iterable[tuple[str, Mapping[str, Any]]]
                              ) -> list[BatchPushResult]:
        """Send several (idempotency key, payload) pushes, ``PUSH_BATCH`` per request.

        Returns one result per item in order. A failure of a whole request (unreachable, 5xx,
        credentials) raises as ``push_deposit_status`` would; a failure of one item is that item's
        ``error``: ``TradingUnavailable`` (resend later) or ``TradingRejected`` (do not resend).
        """
        items = list(items)
        results: list[BatchPushResult] = []
        for start in range(0, len(items), PUSH_BATCH):
            batch = items[start:start + PUSH_BATCH]
            body = {"items": [{"idempotency_key": key, "push": dict(payload)}
                              for key, payload in batch]}
            data = self._request("POST", "/api/v1/deposit-statuses/batch", json=body)
            answered = _parse(lambda: [_batch_result(r) for r in data["results"]])
            if [r.idempotency_key for r in answered] != [key for key, _p in batch]:
                raise TradingError(
                    _l("The trading system sent an answer this platform cannot read."),
                    detail="batch push answer does not match the request's items")
            results += answered
        return results

    def _request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                 json: Any = None, key: str | None = None) -> Any:
        import requests

        headers = {KEY_HEADER: key} if key else None
        url = self.base_url + path
        try:
            response = self.session.request(method, url, params=params, json=json,
                                            headers=headers, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            log.warning("trading system unreachable: %s %s: %s", method, path, exc)
            raise TradingUnreachable(detail=_describe(exc)) from exc
        except requests.RequestException as exc:
            log.warning("trading system request failed: %s %s: %s", method, path, exc)
            raise TradingError(detail=f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise _error_for(response, method, path)
        try:
            return response.json()
        except ValueError as exc:
            raise TradingError(_l("The trading system sent an answer this platform cannot read."),
                               detail=f"HTTP {response.status_code}: not JSON") from exc


def _describe(exc: requests.RequestException) -> str:
    """A one-line cause: the pool error inside requests' wrapper, not the whole retry story."""
    reason = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)  # urllib3 MaxRetryError → the last real error
    return f"{type(exc).__name__}: {reason}"


def _error_for(response: requests.Response, method: str, path: str) -> TradingError:
    """Turn an HTTP error answer into the matching ``TradingError`` subclass."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        error = None
    return _error_from(response.status_code, error, response.text[:200], f"{method} {path}")


def _error_from(status: int, error: Any, fallback_text: str, where: str) -> TradingError:
    """The ``TradingError`` for an answer status and its contract ``error`` object."""
    try:
        code, text = str(error.get("code", "")), str(error.get("message", ""))
        details = "; ".join(f"{d.get('field')}: {d.get('reason')}"
                            for d in error.get("details") or [])
    except (KeyError, TypeError, AttributeError):
        code, text, details = "", fallback_text, ""
    detail = f"HTTP {status} {code}: {text}" + (f" ({details})" if details else "")
    log.warning("trading system answered %s to %s", detail, where)
    if status >= 500 or status == 429:
        return TradingUnavailable(detail=detail, code=code)
    if status in (401, 403):
        code = "unauthorized"
    return TradingRejected(_REJECTION_MESSAGES.get(code), detail=detail, code=code)


def _receipt(data: Mapping[str, Any]) -> PushReceipt:
    return PushReceipt(
        push_id=int(data["push_id"]), idempotency_key=str(data["idempotency_key"]),
        house_code=str(data["house_code"]), received_at=str(data["received_at"]),
        applied=bool(data["applied"]), duplicate=bool(data["duplicate"]),
    )


def _batch_result(r: Mapping[str, Any]) -> BatchPushResult:
    key = str(r["idempotency_key"])
    status = int(r["status"])
    if status < 300:
        return BatchPushResult(key, _receipt(r["receipt"]), None)
    error = _error_from(status, r.get("error"), "", f"batch push item {key}")
    return BatchPushResult(key, None, error)


def _parse(build: Callable[[], T]) -> T:
    """Run ``build``; a malformed answer becomes a readable ``TradingError``, not a KeyError."""
    try:
        return build()
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise TradingError(_l("The trading system sent an answer this platform cannot read."),
                           detail=f"unexpected answer: {type(exc).__name__}: {exc}") from exc


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _project(p: Mapping[str, Any]) -> TradeProject:
    return TradeProject(
        project_id=str(p["project_id"]), name=str(p["name"]), address=str(p["address"]),
        district_code=str(p["district_code"]), presale_permit_no=str(p["presale_permit_no"]),
        developer_uscc=str(p["developer_uscc"]), developer_name=str(p["developer_name"]),
        building_count=int(p["building_count"]), house_count=int(p["house_count"]),
    )


def _house(h: Mapping[str, Any]) -> TradeHouse:
    area = _decimal(h["building_area"])
    if area is None:
        raise ValueError("building_area is missing")
    return TradeHouse(
        house_code=str(h["house_code"]), unit=str(h.get("unit") or ""), floor=int(h["floor"]),
        room_no=str(h["room_no"]), address=str(h["address"]), building_area=area,
        inner_area=_decimal(h.get("inner_area")), use=str(h["use"]),
        sales_status=str(h["sales_status"]), price=_decimal(h.get("price")),
    )


def _building(b: Mapping[str, Any]) -> TradeBuilding:
    return TradeBuilding(
        building_code=str(b["building_code"]), name=str(b["name"]), address=str(b["address"]),
        structure=str(b["structure"]), floors_above=int(b["floors_above"]),
        floors_below=int(b["floors_below"]), lift=str(b["lift"]), unit_count=int(b["unit_count"]),
        built_ym=b.get("built_ym"), houses=tuple(_house(h) for h in b["houses"]),
    )


def _match_result(r: Mapping[str, Any], offset: int) -> MatchResult:
    code = r.get("reason_code")
    matched = bool(r["matched"])
    reason = None if matched else _MATCH_REASONS.get(code or "", r.get("reason") or code)
    return MatchResult(index=offset + int(r["index"]), house_code=r.get("house_code") or None,
                       house_address=r.get("house_address"), contract_no=str(r["contract_no"]),
                       matched=matched, reason_code=code, reason=reason)
