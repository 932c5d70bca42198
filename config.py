"""Platform configuration.

Everything a deployer sets is an environment variable (see README "Configuration").
Development defaults keep state under ``instance/``.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("JM_INSTANCE_DIR", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _secret_key() -> str:
    """SECRET_KEY from the environment; in development generated once and kept under instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_uri() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs say postgres://, SQLAlchemy wants postgresql://
        return url.replace("postgres://", "postgresql://", 1)
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'platform.sqlite'}"


def _redis_url() -> str:
    """The shared store for several workers or machines (HUEY_REDIS_URL, else REDIS_URL), or ""."""
    return os.environ.get("HUEY_REDIS_URL") or os.environ.get("REDIS_URL") or ""


def _password_complexity(password: str) -> None:
    """FAB calls this with every new password (it wants a callable, not a dotted path)."""
    from app.security.passwords import check_password_complexity

    check_password_complexity(password)


class Config:
    APP_NAME = "江门市物业管理公众服务平台"
    APP_ICON = ""
    APP_THEME = ""
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = _database_uri()
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Flask-AppBuilder
    FAB_CREATE_DB = False  # Alembic owns the schema, ab_* tables included
    # Permissions are written by `flask security sync`, not by every process start.
    FAB_UPDATE_PERMS = False
    FAB_API_SWAGGER_UI = True
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_ADD_SECURITY_API = True
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.PlatformSecurityManager"
    FAB_INDEX_VIEW = "app.views.home.HomeView"
    FAB_BASE_TEMPLATE = "platform_base.html"
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_USER_REGISTRATION = False  # our own 开发商注册 replaces FAB's (no reCAPTCHA, no e-mail)
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_RATE_LIMITED = _env_bool("AUTH_RATE_LIMITED", True)
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per 20 second")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    # Per-account lockout (app/services/lockout.py): this many failed logins within the window
    # lock the account for LOCKOUT_MINUTES, from any address.
    LOCKOUT_MAX_FAILURES = _env_int("LOCKOUT_MAX_FAILURES", 10)
    LOCKOUT_WINDOW_MINUTES = _env_int("LOCKOUT_WINDOW_MINUTES", 15)
    LOCKOUT_MINUTES = _env_int("LOCKOUT_MINUTES", 15)
    # The per-address limit counts in Redis when one is configured, so every worker counts together.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", _redis_url() or "memory://")
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    FAB_PASSWORD_COMPLEXITY_VALIDATOR = _password_complexity
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=_env_int("JWT_ACCESS_MINUTES", 30))

    # Sessions and CSRF
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_HOURS", 8))

    # i18n: Chinese by default, English selectable
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {
        "zh": {"flag": "cn", "name": "中文"},
        "en": {"flag": "gb", "name": "English"},
    }

    # Uploads (要件 attachments, Excel imports)
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH_MB", 60) * 1024 * 1024
    ATTACHMENT_MAX_MB = _env_int("ATTACHMENT_MAX_MB", 10)
    ATTACHMENT_EXTENSIONS = ("pdf", "jpg", "jpeg", "png")
    REGISTRATION_RATE_LIMIT = os.environ.get("REGISTRATION_RATE_LIMIT", "10 per hour")
    IMPORT_MAX_ROWS = _env_int("IMPORT_MAX_ROWS", 100_000)
    #: Days a finished import or fetch (and a refused import's marked copy) is kept for the user.
    IMPORT_KEEP_DAYS = _env_int("IMPORT_KEEP_DAYS", 7)
    IMPORT_MAX_MB = _env_int("IMPORT_MAX_MB", 50)
    EXPORT_MAX_ROWS = _env_int("EXPORT_MAX_ROWS", 100_000)
    #: Run long order jobs (imports, trading-system fetches) inside the request instead of queueing.
    ORDER_JOBS_INLINE = _env_bool("ORDER_JOBS_INLINE", False)

    # Background queue (huey, app/queue.py): order jobs, outbox delivery, the nightly backup run in
    # a consumer process (`huey_consumer app.worker.huey`). Redis when a URL is set (several
    # workers and machines share it), else a SQLite file under instance/ (nothing to install).
    HUEY_NAME = os.environ.get("HUEY_NAME", "jm")
    HUEY_REDIS_URL = _redis_url()
    HUEY_SQLITE_PATH = os.environ.get("HUEY_SQLITE_PATH", str(INSTANCE_DIR / "queue.sqlite"))
    #: Run every task at once in the enqueuing process (tests, scripts); periodic tasks then never run.
    HUEY_IMMEDIATE = _env_bool("HUEY_IMMEDIATE", False)
    #: /health fails its queue part when no consumer has reported for this many seconds.
    HEALTH_QUEUE_MAX_SILENCE_SECONDS = _env_int("HEALTH_QUEUE_MAX_SILENCE_SECONDS", 180)

    # Special account shown on payment notices (专户银行)
    FUND_BANK_NAME = os.environ.get("FUND_BANK_NAME", "中国建设银行江门分行营业部")
    FUND_ACCOUNT_NAME = os.environ.get("FUND_ACCOUNT_NAME", "江门市住宅专项维修资金专户")
    FUND_ACCOUNT_NO = os.environ.get("FUND_ACCOUNT_NO", "44050167000100000888")
    BANK_HMAC_SECRET = os.environ.get("BANK_HMAC_SECRET", "")
    #: Seconds a bank request's X-Bank-Timestamp may differ from the server clock (app/api/bank.py).
    BANK_SIGNATURE_WINDOW = _env_int("BANK_SIGNATURE_WINDOW", 300)

    # Trading system (房地产交易系统)
    TRADE_BASE_URL = os.environ.get("TRADE_BASE_URL", "http://127.0.0.1:5001")
    TRADE_TOKEN = os.environ.get("TRADE_TOKEN", "dev-trade-token")
    #: What the trading system sends to ask a house's deposit status (app/api/trade_inbound.py).
    TRADE_INBOUND_TOKEN = os.environ.get("TRADE_INBOUND_TOKEN", "")
    TRADE_CONNECT_TIMEOUT = float(os.environ.get("TRADE_CONNECT_TIMEOUT", "3"))
    TRADE_READ_TIMEOUT = float(os.environ.get("TRADE_READ_TIMEOUT", "10"))
    TRADE_RETRIES = _env_int("TRADE_RETRIES", 2)
    TRADE_BACKOFF_FACTOR = float(os.environ.get("TRADE_BACKOFF_FACTOR", "0.5"))
    #: Deliver the outbox from the queue: right after each commit that queued a push, and every
    #: minute (retries, pushes of other processes).
    TRADE_BACKGROUND_DELIVERY = _env_bool("TRADE_BACKGROUND_DELIVERY", True)
    OUTBOX_MAX_ATTEMPTS = _env_int("OUTBOX_MAX_ATTEMPTS", 8)
    OUTBOX_BACKOFF_SECONDS = _env_int("OUTBOX_BACKOFF_SECONDS", 60)
    OUTBOX_BACKOFF_MAX_SECONDS = _env_int("OUTBOX_BACKOFF_MAX_SECONDS", 3600)
    OUTBOX_BATCH_SIZE = _env_int("OUTBOX_BATCH_SIZE", 100)  # pushes per trading-system request

    WKHTMLTOPDF_PATH = os.environ.get("WKHTMLTOPDF_PATH", "/usr/bin/wkhtmltopdf")

    # Operations: backups, health, logs (README "Backup and restore", "Health and logs")
    MIGRATIONS_DIR = str(BASE_DIR / "migrations")
    BACKUP_DIR = os.environ.get("BACKUP_DIR", str(INSTANCE_DIR / "backups"))
    #: The queue consumer runs the nightly backup at BACKUP_AT local time (BABEL_DEFAULT_TIMEZONE).
    BACKUP_NIGHTLY = _env_bool("BACKUP_NIGHTLY", True)
    BACKUP_AT = os.environ.get("BACKUP_AT", "02:30")
    BACKUP_KEEP = _env_int("BACKUP_KEEP", 14)
    PG_DUMP_PATH = os.environ.get("PG_DUMP_PATH", "pg_dump")
    PG_RESTORE_PATH = os.environ.get("PG_RESTORE_PATH", "pg_restore")
    #: /health fails its outbox part when the oldest undelivered push is older than this.
    HEALTH_OUTBOX_MAX_LAG_SECONDS = _env_int("HEALTH_OUTBOX_MAX_LAG_SECONDS", 3600)
    #: "keyvalue" (logfmt) or "json" (one object per line).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "keyvalue")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-long-enough-for-hmac-sha256"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False  # CSRF is switched back on in tests/test_security_csrf.py
    AUTH_RATE_LIMITED = False
    RATELIMIT_ENABLED = False
    TRADE_BACKGROUND_DELIVERY = False
    HUEY_IMMEDIATE = True  # tasks run in the test's process; tests/test_queue*.py run a consumer
    HUEY_REDIS_URL = ""    # a test opts into Redis itself (TEST_REDIS_URL, scripts/test-redis.sh)
    RATELIMIT_STORAGE_URI = "memory://"
    BANK_HMAC_SECRET = "test-bank-secret"
    TRADE_INBOUND_TOKEN = "test-inbound-token"  # the API is on in tests, as the bank API is
