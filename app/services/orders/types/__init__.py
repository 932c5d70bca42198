"""One handler per business, registered on import; ``handler_for(order.type)`` finds it.

Every module of this package is imported here, so a new business is one new module: nothing else
lists the businesses.
"""
import importlib
import pkgutil

from app.services.orders.types.base import (BUILDING_PICK, HOUSE_PICK, SHEET_ROUNDTRIP,  # noqa: F401
                                            TEMPLATE_IMPORT, TRADE_FETCH,
                                            ExtraTable, FormContent, LineRow, LinesTable,
                                            OrderHandler, display_handler, handler_by_slug,
                                            handler_for, handlers, register_handler,
                                            registered_types, unregister_handler)

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")
