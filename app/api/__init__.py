"""REST APIs (FAB ``ModelRestApi``/``BaseApi``). Each module defines ``register(appbuilder)``."""
