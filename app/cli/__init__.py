"""CLI commands. Each module here defines ``register(app)``; ``app.init.init_cli`` finds them."""
