"""One handler per business, registered on import; ``handler_for(order.type)`` finds it."""
from app.services.orders.types import area_collect, house_supplement  # noqa: F401
from app.services.orders.types.base import (FormContent, LineRow, LinesTable, OrderHandler,  # noqa: F401
                                            display_handler, handler_for, register_handler,
                                            registered_types)
