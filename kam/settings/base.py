"""Settings shared by every environment; values come from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from core import webhook_signing

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# A checkout has templates/, static/ and locale/ beside manage.py; an installed KAM
# (the wheel) carries them inside the package, in kam/assets/ (see setup.py).
SOURCE_TREE = (BASE_DIR / "manage.py").is_file()
ASSETS_DIR = (
    BASE_DIR if SOURCE_TREE else Path(__file__).resolve().parent.parent / "assets"
)

env = environ.Env()
if SOURCE_TREE:
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# What KAM writes (the embedded database and broker, media, collected static files):
# var/ in the checkout, else var/ in the folder it is started from, or KAM_VAR_DIR.
VAR_DIR = Path(
    env("KAM_VAR_DIR", default=str((BASE_DIR if SOURCE_TREE else Path.cwd()) / "var"))
)

KAM_ENVIRONMENT = "base"

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "mozilla_django_oidc",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "django_filters",
    "django_htmx",
    "simple_history",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "csp",
    "axes",
    # ours, in import order (each may import only from those above it)
    "core",
    "catalog",
    "accounts",
    "offers",
    "contracts",
    "renewals",
    "planning",
    "insights",
    "portal",
    "home",
    "demo",  # seeding only: writes through the apps above, imported by none
]

MIDDLEWARE = [
    "core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # last, as django-axes asks
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"
ASGI_APPLICATION = "kam.asgi.application"

TEMPLATES = [
    {
        # the pages (core.jinja2): in templates/jinja2/ and each app's jinja2/; first,
        # so that a page is not looked for among Django's templates (and the admin's
        # registration/ pages do not hide ours)
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [ASSETS_DIR / "templates" / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "core.jinja2.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
    {
        # what libraries render (the admin, crispy-forms' packs, django-filter), the
        # documents (pdf/) and the e-mails (emails/)
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ASSETS_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

# Embedded default: SQLite in var/. DATABASE_URL switches to PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kam.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: WAL lets readers run beside a
    # writer, IMMEDIATE avoids "database is locked" on lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # covering indexes (INCLUDE) speed up PostgreSQL; SQLite builds them without the
    # included columns, which is all the warning says
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # The reports' statements are estimated costly enough for PostgreSQL's JIT,
    # whose compilation took 300 ms of a 310 ms query (50,000 accounts); the app's
    # queries are short, so the connection turns it off.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # Pages read a KAM's few hundred accounts through indexes; at the default
    # random_page_cost of 4 (spinning disks) PostgreSQL preferred scanning whole
    # tables (the home page's MRR sum: 35 ms by a scan of 400,000 subscriptions,
    # 5 ms by index). 1.1 is the usual value for SSDs and a cached database.
    page_cost = env.float("KAM_DB_RANDOM_PAGE_COST", 1.1)
    options["options"] = (
        f"{options.get('options', '')} -c jit=off -c random_page_cost={page_cost}"
    ).strip()
    # an unreachable server fails the request in seconds instead of hanging it
    options.setdefault("connect_timeout", env.int("KAM_DB_CONNECT_TIMEOUT", 5))
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", 0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend reading the user's roles and unread count with the user
    "core.auth.UserBackend",
]

# company sign-in with OpenID Connect (core.oidc), on where a client id is given;
# the README shows the settings for Entra ID, Google Workspace and Keycloak
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", default="openid email profile")
OIDC_USE_PKCE = True
# a callback that fails (no or a wrong state, a refused user) goes back to sign-in
LOGIN_REDIRECT_URL_FAILURE = "/auth/login/"
OIDC_CREATE_USER = True  # core.oidc decides, by KAM_OIDC_CREATE_USERS
# the claim with the user's groups, and which group gives which role
KAM_OIDC_GROUPS_CLAIM = env("KAM_OIDC_GROUPS_CLAIM", default="groups")
KAM_OIDC_GROUP_ROLES = env.dict("KAM_OIDC_GROUP_ROLES", default={})
KAM_OIDC_CREATE_USERS = env.bool("KAM_OIDC_CREATE_USERS", default=False)
KAM_OIDC_PROVIDER_NAME = env("KAM_OIDC_PROVIDER_NAME", default="company sign-in")
# local passwords: off for everyone but the break-glass administrators
KAM_LOCAL_PASSWORDS = env.bool("KAM_LOCAL_PASSWORDS", default=True)
KAM_BREAK_GLASS_USERS = env.list("KAM_BREAK_GLASS_USERS", default=["admin"])
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("core.oidc.KamOIDCBackend")
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Login throttling (django-axes): a username from one address is locked out
# after repeated failures; the message never says whether the user exists.
AXES_FAILURE_LIMIT = env.int("KAM_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KAM_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: no inline scripts or styles anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [ASSETS_DIR / "locale"]
# Unambiguous English dates (2 Oct 2027); German keeps Django's (02.10.2027)
FORMAT_MODULE_PATH = ["kam.formats"]
TIME_ZONE = env("KAM_TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [ASSETS_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("KAM_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Source maps are fetched by a browser's developer tools only: served as they are,
# they save collectstatic most of its time (brotli on megabytes of maps)
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    *Compressor.SKIP_COMPRESS_EXTENSIONS,
    "map",
)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: every message is stored in the outbox first; a Celery task delivers
# it through OUTBOX_DELIVERY_BACKEND (anymail in production).
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="KAM <kam@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_BACKEND = env(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
OUTBOX_DELIVERY_BACKEND = env("OUTBOX_DELIVERY_BACKEND", default=EMAIL_BACKEND)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", 6)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", 30)
OUTBOX_SWEEP_AGE_SECONDS = env.int("OUTBOX_SWEEP_AGE_SECONDS", 60)
OUTBOX_SENDING_LEASE_SECONDS = env.int("OUTBOX_SENDING_LEASE_SECONDS", 15 * 60)
# The provider's keys (API, and where it signs its webhooks, the signing key: see
# core/webhook_signing.py), each only when set: an empty key is no key.
ANYMAIL = {
    name: env(name) for name in webhook_signing.SETTINGS if env(name, default="")
}
ANYMAIL["WEBHOOK_SECRET"] = env("ANYMAIL_WEBHOOK_SECRET", default="")
ADMINS = [("KAM administrators", a) for a in env.list("KAM_ADMIN_EMAILS", default=[])]

# Celery. Embedded default: kombu's filesystem transport (made safe for several
# processes in core/broker.py), so no broker server is needed;
# CELERY_BROKER_URL=redis://... switches to Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = str(VAR_DIR / "celery" / "queue")
    # The embedded broker is a folder; make sure it exists for every process.
    (VAR_DIR / "celery" / "queue").mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "core.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _queue_dir,
        "data_folder_out": _queue_dir,
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # the broadcast (control) exchanges' tables, kept out of the folder it runs in
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", 5 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", 6 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that queues work gives up on an unreachable broker within about a second;
# the work is kept in the database and a sweep queues it again (core/queueing.py).
KAM_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.25,
    "interval_max": 0.5,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = False

REST_FRAMEWORK = {
    # the token first: its WWW-Authenticate header makes a refused call a 401
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "EXCEPTION_HANDLER": "core.drf.exception_handler",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KAM API",
    "DESCRIPTION": "Key account management: accounts, offers, contracts, renewals.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # request and response components apart: a read-only field is no input
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api_schema.document_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("KAM_LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

KAM_DEMO_PASSWORD_DEFAULT = "kam-demo"  # noqa: S105 (demo data only)

# Accounts
KAM_DOCUMENT_MAX_BYTES = env.int("KAM_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
KAM_IMPORT_MAX_BYTES = env.int("KAM_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
KAM_IMPORT_MAX_ROWS = env.int("KAM_IMPORT_MAX_ROWS", 50_000)
# Public base URL for links in emails and calendar feeds, e.g. https://kam.example.com
KAM_BASE_URL = env("KAM_BASE_URL", default="http://127.0.0.1:8000")
# The cache: this process's memory by default; CACHE_URL (e.g. redis://host:6379/2)
# shares it between the web workers
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://kam")}
# the longest an account 360's panel is kept (a write concerning the account makes
# it new at once: accounts.versions)
KAM_PANEL_CACHE_SECONDS = env.int("KAM_PANEL_CACHE_SECONDS", 3600)
# how long an industry-and-tier segment's product buyers are reused by account 360s
KAM_SEGMENT_CACHE_SECONDS = env.int("KAM_SEGMENT_CACHE_SECONDS", 3600)
# how long a report's workbook (written by a worker) stays for download
KAM_EXPORT_KEEP_HOURS = env.int("KAM_EXPORT_KEEP_HOURS", 24)
KAM_OFFER_REMINDER_DAYS = env.int("KAM_OFFER_REMINDER_DAYS", 5)
# how long a contract's signing link works, counted from sending
KAM_SIGNING_LINK_DAYS = env.int("KAM_SIGNING_LINK_DAYS", 30)
# the customer portal's sign-in link: valid this long, used once; at most this many
# links per address (and ten times as many per client address) in that time
KAM_PORTAL_LINK_MINUTES = env.int("KAM_PORTAL_LINK_MINUTES", 15)
# two-factor sign-in (core.two_factor): required for these roles, optional for
# the others; the authenticator app shows this issuer
KAM_TWO_FACTOR_REQUIRED_ROLES = env.list(
    "KAM_TWO_FACTOR_REQUIRED_ROLES", default=["Administrator", "Customer Services"]
)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="KAM")
KAM_PORTAL_LINKS_PER_ADDRESS = env.int("KAM_PORTAL_LINKS_PER_ADDRESS", 3)
# how many days before a trial ends the KAM and the customer are reminded
KAM_TRIAL_REMINDER_DAYS = env.int("KAM_TRIAL_REMINDER_DAYS", 7)
# the seller's own country: customers elsewhere in the EU need a VAT id
KAM_HOME_COUNTRY = env("KAM_HOME_COUNTRY", default="DE")
# the nightly renewal job locks and processes contracts in chunks of this size
KAM_RENEWALS_CHUNK = env.int("KAM_RENEWALS_CHUNK", 1000)
# how many missed business dates one run catches up at most
KAM_RENEWALS_MAX_CATCH_UP_DAYS = env.int("KAM_RENEWALS_MAX_CATCH_UP_DAYS", 400)
# when the nightly renewal job runs (local time, HH:MM); setup_periodic_tasks applies it
KAM_RENEWALS_RUN_AT = env("KAM_RENEWALS_RUN_AT", default="02:30")
# parallel workers (threads with their own connection) per step of the renewal job
KAM_RENEWALS_WORKERS = env.int("KAM_RENEWALS_WORKERS", 2)

# Insights: above this many accounts in a report's selection, the upsell report
# reads the rows the nightly recompute wrote instead of computing them live
KAM_UPSELL_LIVE_LIMIT = env.int("KAM_UPSELL_LIVE_LIMIT", 1000)
