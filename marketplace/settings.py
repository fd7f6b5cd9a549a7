"""
Settings for the marketplace cancellations portal.

Everything that differs between a laptop, CI and production comes from the
environment (12-factor), parsed by django-environ. With no variable set the
portal runs on SQLite under ``var/`` with a broker that needs no server.
"""

from pathlib import Path
from typing import TYPE_CHECKING

import environ
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.csp import CSP

if TYPE_CHECKING:
    from catalog.models import Listing

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A laptop's settings may live in .env (see .env.example); real variables win over it.
ENV_FILE = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE:
    env.read_env(ENV_FILE)

# Off unless asked for: a deploy that forgets DEBUG must not run in debug mode.
DEBUG = env.bool("DEBUG", default=False)

DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-only-for-debug-mode"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="") or (DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure")
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off: at least 50 random characters, "
        'not the development key. Generate one with: python -c "import secrets; '
        'print(secrets.token_urlsafe(50))"'
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "marketplace.apps.MarketplaceAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "axes",
    "allauth",
    "allauth.account",
    "imagekit",
    "marketplace",
    "core",
    "accounts",
    "catalog",
    "payments",
    "notifications",
    "orders",
    "cancellations",
    "returns",
    "disputes",
    "sellercentral",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "marketplace.middleware.PrivatePagesMiddleware",
    "marketplace.middleware.DisplayTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns lock-outs into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketplace.urls"


def _listing_url(listing: "Listing") -> str:
    return reverse("storefront:listing", args=[listing.pk])


# A listing's page is the storefront's (orders, a floor above catalog: docs/DESIGN.md §12),
# so its address, Listing.get_absolute_url (Inventory's links, the admin's "View on site"),
# is wired here where the apps meet rather than named by catalog.
ABSOLUTE_URL_OVERRIDES = {"catalog.listing": _listing_url}

WSGI_APPLICATION = "marketplace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "marketplace.context_processors.roles",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The laptop setup has a web process and Celery workers writing at once: WAL lets
    # readers go on beside a writer, IMMEDIATE takes the write lock up front, and the
    # timeout waits for it instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Persistent connections roughly triple a signed-in page's throughput (docs/DESIGN.md §1).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------
# Rendered page fragments, keyed on the versions of the rows they show (a changed row
# makes a new key, so nothing is ever invalidated by hand; old keys expire). Redis when
# there is one, shared by the web workers; each process's memory otherwise. The prefix
# is the database's name: two databases on one Redis (tests, benchmarks, a laptop and
# CI) never read each other's fragments. A Redis that is down or hung costs a page its
# cache, never an error (core.fragments), within the short timeouts below.
_cache_redis_url = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_redis_url,
            "OPTIONS": {"socket_timeout": 0.2, "socket_connect_timeout": 0.2},
        }
        if _cache_redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {}}
    )
    | {
        "KEY_PREFIX": str(DATABASES["default"]["NAME"]).rsplit("/", 1)[-1],
        "TIMEOUT": env.int("FRAGMENT_CACHE_SECONDS", default=3600),
    }
}
# The release the code is (the git commit, say): it names the cached fragments, so every
# process of one release shares them and a deploy never serves the old HTML. Without it
# each process keys its fragments by its own start (core.fragments).
RELEASE = env.str("RELEASE", default="")
# Whole pages cached under a digest of the rows they show (core.pagecache); PostgreSQL only
# (it hashes the rows), so on SQLite every page is rendered. PAGE_CACHE=0 turns it off.
PAGE_CACHE = env.bool("PAGE_CACHE", default=True)
# What every page's frame (nav, name, badges) shows of the viewer: part of a cached page's key.
PAGE_CACHE_VIEWER_FACTS = "marketplace.context_processors.viewer_facts"

# --- Auth -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Sign in by username or email (django-allauth); admin's form signs in by username.
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = 1  # hours
# Lock a username only from the address that keeps failing: locking on the username
# alone would let anyone lock any account from anywhere. A success clears the count.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# That lock lets one address try a password against every username, so the address is
# also locked once its failures over all usernames reach this (marketplace.security).
# Higher than the per-username limit: an office or a mobile carrier puts many people
# behind one address, and they mistype too.
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=3 * AXES_FAILURE_LIMIT)
AXES_HANDLER = "marketplace.security.AddressCapHandler"
# The sign-in form (django-allauth's) takes a username or an email in one "login" field,
# and allauth authenticates with either ``username`` or ``email``: both count against
# the one account they name (marketplace.security.login_username), so switching between
# them does not double the tries.
AXES_USERNAME_CALLABLE = "marketplace.security.login_username"
# The lock-out in the site's layout (429), as allauth's own throttles answer.
AXES_LOCKOUT_TEMPLATE = "429.html"
# No "AXES: BEGIN …" banner on every manage.py command and worker start; failures and
# lock-outs are still logged, by the lock-out parameters (username and address).
AXES_VERBOSE = False
# How many reverse proxies in front of the portal append to X-Forwarded-For. 0 (the
# default): the header is ignored, since any client can send it. Behind one TLS proxy,
# 1: the client is the address that proxy appended (the header's last entry).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "marketplace.security.client_ip"

# django-allauth (docs/DESIGN.md §15): sign up with email and password, sign in by email or
# username, a verified email before a first order or opening a store (the checks are the
# portal's own; signing in does not wait for it), and emails through the outbox
# (accounts.adapter). Its sign-in page is the portal's /accounts/sign-in/ (marketplace.urls).
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # GET never changes state: the link opens a page with a button
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True  # the reset and sign-up forms never tell who has an account
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None  # "Remember me" on the sign-in form
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Tell the owner when their password or email changes (the email goes to the old address
# too), so a stolen session that changes them does not go unnoticed.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "marketplace.forms.SignInForm",
    "change_password": "marketplace.forms.PasswordChangeForm",
    "reset_password_from_key": "marketplace.forms.PasswordResetKeyForm",
}
# Confirming who you are before a sensitive change is by password only: no emailed sign-in
# codes, which the portal does not offer for signing in either.
ACCOUNT_REAUTHENTICATION_METHODS = ["password"]
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# allauth's own throttles (in the cache) for the forms axes does not watch: sign up,
# reset, confirmation emails, email changes; axes locks repeated failed sign-ins.
# ACCOUNT_RATE_LIMITS_ENABLED=0 turns them off (benchmarks, drills: many sign-ins from one
# address), as allauth reads ACCOUNT_RATE_LIMITS = False.
_account_rate_limits = {
    "signup": "10/h/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_email": "6/h/user",
    "change_password": "10/m/user",
    "manage_email": "20/m/user",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
}
ACCOUNT_RATE_LIMITS = (
    _account_rate_limits if env.bool("ACCOUNT_RATE_LIMITS_ENABLED", default=True) else False
)

# --- I18N, time -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# The zone pages and emails show dates in (named on every time shown), e.g. America/New_York.
DISPLAY_TIME_ZONE = env.str("DISPLAY_TIME_ZONE", default=TIME_ZONE)
USE_I18N = True
USE_TZ = True
# The portal's one date style ("Nov 28, 2026, 7:05 PM EST") for what Django formats
# itself, admin included (marketplace/formats/en/formats.py).
FORMAT_MODULE_PATH = ["marketplace.formats"]

# --- Static files ---------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# --- Media (product photos) -------------------------------------------------------------
# The file system under var/media on a laptop (`make run` serves it, DEBUG only); in
# production an S3-compatible bucket through django-storages (README, Production): set
# MEDIA_BUCKET and the AWS_* variables. whitenoise serves static files only, never media.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_BUCKET = env.str("MEDIA_BUCKET", default="")
# Serve MEDIA_ROOT from Django itself: for DEBUG and for trying DEBUG=0 on a laptop, never
# for real traffic (each photo would hold a web worker).
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG and not MEDIA_BUCKET)
if MEDIA_BUCKET:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_BUCKET,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
            "default_acl": None,  # the bucket's policy decides (public-read for photos)
            "querystring_auth": False,  # photos are public: stable URLs the browser caches
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Uploads bigger than this go to a temporary file rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# django-imagekit makes a photo's thumbnails when the photo is saved, so a page builds
# their URLs from names alone (no storage call, no query).
IMAGEKIT_DEFAULT_CACHEFILE_STRATEGY = "imagekit.cachefiles.strategies.Optimistic"
IMAGEKIT_CACHEFILE_DIR = "thumbnails"
# A listing photo's limits (catalog.photos, docs/DESIGN.md §17): the upload's bytes, and
# its pixels as its header states them, checked before anything is decoded.
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=40_000_000)

STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email --------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587; console by default.
_email = env.email_url("EMAIL_URL", default="consolemail://")
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {
            key.lower(): value
            for key, value in {
                "HOST": _email.get("EMAIL_HOST"),
                "PORT": _email.get("EMAIL_PORT"),
                "USERNAME": _email.get("EMAIL_HOST_USER"),
                "PASSWORD": _email.get("EMAIL_HOST_PASSWORD"),
                "USE_TLS": _email.get("EMAIL_USE_TLS"),
                "USE_SSL": _email.get("EMAIL_USE_SSL"),
                # A hung SMTP server must not hold a worker (and its outbox lease) forever.
                "TIMEOUT": env.int("EMAIL_TIMEOUT", default=10),
            }.items()
            if value and "smtp" in _email["EMAIL_BACKEND"]
        },
    },
}
# Where the portal is served: emails link to its pages with absolute URLs. On a laptop,
# the port `make run PORT=…` serves on (not PORT itself: honcho gives each process its own).
_dev_server = f"http://127.0.0.1:{env.int('DEV_SERVER_PORT', default=8000)}"
SITE_URL = env.str("SITE_URL", default=_dev_server).rstrip("/")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Marketplace <orders@example.com>")

# --- Security -----------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *([MEDIA_URL] if MEDIA_URL.startswith("http") else [])],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Celery -------------------------------------------------------------------------
# Production uses Redis (REDIS_URL). Without it, kombu's filesystem transport gives
# a broker that needs no server, so `make run` works on a bare laptop.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_FILESYSTEM_BROKER_DIR = VAR_DIR / "celery"
# A Redis that accepts connections but never answers (failover, a stalled host) must
# not hang a request: without timeouts a publish waits forever. Redis answers in well
# under a millisecond; half a second is generous. A failed publish loses nothing (the
# outbox row stays pending and the sweep delivers it), so a request waits for one
# quick retry only (a stale pooled connection), about three timeouts in all.
_broker_timeout = env.float("CELERY_BROKER_TIMEOUT", default=0.5)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": _broker_timeout,
    "socket_connect_timeout": _broker_timeout,
    # Redis redelivers a message not acknowledged within this many seconds (acks_late:
    # a worker died mid-task). Keep it above every task's hard time limit and retry
    # countdown (core.tasks.BEAT_JOB_OPTIONS: 300 s, 120 s), or a live task runs twice.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_BROKER_CONNECTION_TIMEOUT = _broker_timeout
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_REDIS_SOCKET_TIMEOUT = _broker_timeout
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = _broker_timeout
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(CELERY_FILESYSTEM_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_FILESYSTEM_BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Delivers outbox rows the broker never saw (an outage) and retries that are due.
    "deliver-pending-outbox": {
        "task": "notifications.tasks.deliver_pending_outbox_task",
        "schedule": env.int("OUTBOX_SWEEP_SECONDS", default=60),
        "options": {"expires": 50},
    },
    # Open cases past the seller's response deadline go to marketplace staff.
    "escalate-unresponsive-disputes": {
        "task": "disputes.tasks.escalate_unresponsive_disputes_task",
        "schedule": env.int("DISPUTE_ESCALATION_SECONDS", default=600),
        "options": {"expires": 540},
    },
    # The pages' change log (orders.changelog): many rows of one owner folded into one.
    "compact-change-log": {
        "task": "orders.tasks.compact_change_log_task",
        "schedule": env.int("CHANGE_LOG_COMPACT_SECONDS", default=600),
        "options": {"expires": 540},
    },
    # Shipping delays, payment timeouts, request deadlines, stuck money calls (docs/DESIGN.md §6).
    # Each run is idempotent and safe beside another; a message older than its expiry
    # (a backlog after an outage) is dropped, as the next beat brings a fresh one.
    "send-delay-notices": {
        "task": "orders.tasks.send_delay_notices_task",
        "schedule": env.int("DELAY_NOTICE_SECONDS", default=60),
        "options": {"expires": 50},
    },
    "auto-cancel-late-orders": {
        "task": "cancellations.tasks.auto_cancel_late_orders_task",
        "schedule": env.int("AUTO_CANCEL_SECONDS", default=60),
        "options": {"expires": 50},
    },
    "cancel-unpaid-orders": {
        "task": "cancellations.tasks.cancel_unpaid_orders_task",
        "schedule": env.int("PAYMENT_TIMEOUT_SECONDS", default=60),
        "options": {"expires": 50},
    },
    "answer-overdue-requests": {
        "task": "cancellations.tasks.answer_overdue_requests_task",
        "schedule": env.int("REQUEST_DEADLINE_SECONDS", default=60),
        "options": {"expires": 50},
    },
    "returns-authorize-overdue": {
        "task": "returns.tasks.authorize_overdue_returns_task",
        "schedule": env.int("RETURN_DEADLINE_SECONDS", default=60),
        "options": {"expires": 50},
    },
    "returns-close-unshipped": {
        "task": "returns.tasks.close_unshipped_returns_task",
        "schedule": env.int("RETURN_DEADLINE_SECONDS", default=60),
        "options": {"expires": 50},
    },
    "returns-refund-unreceived": {
        "task": "returns.tasks.refund_unreceived_returns_task",
        "schedule": env.int("RETURN_DEADLINE_SECONDS", default=60),
        "options": {"expires": 50},
    },
    "reconcile-payments": {
        "task": "payments.tasks.reconcile_pending_transactions_task",
        "schedule": env.int("PAYMENT_RECONCILE_SECONDS", default=300),
        "options": {"expires": 270},
    },
}

# --- Domain rules (docs/DESIGN.md §4); each overridable by env -----------------------
BUYER_DIRECT_CANCEL_MINUTES = env.int("BUYER_DIRECT_CANCEL_MINUTES", default=30)
CANCELLATION_REQUEST_RESPONSE_HOURS = env.int("CANCELLATION_REQUEST_RESPONSE_HOURS", default=48)
AUTO_CANCEL_AFTER_DAYS = env.int("AUTO_CANCEL_AFTER_DAYS", default=7)
PAYMENT_REVISE_DAYS = env.int("PAYMENT_REVISE_DAYS", default=3)
# Returns (docs/DESIGN.md §19): days after delivery a buyer may ask; hours the seller has
# to answer before the request is authorized for them; days the buyer has to ship it back;
# days the seller has to mark a delivered parcel received before it is refunded for them;
# the largest restocking fee, as a share of the returned units' price (Amazon's 20 %).
RETURN_WINDOW_DAYS = env.int("RETURN_WINDOW_DAYS", default=30)
RETURN_RESPONSE_HOURS = env.int("RETURN_RESPONSE_HOURS", default=48)
RETURN_SHIP_BACK_DAYS = env.int("RETURN_SHIP_BACK_DAYS", default=14)
RETURN_RECEIVE_DAYS = env.int("RETURN_RECEIVE_DAYS", default=3)
RESTOCKING_FEE_MAX_PERCENT = env.int("RESTOCKING_FEE_MAX_PERCENT", default=20)
# A capture, void or refund still pending this long (its call timed out and the outbox's
# retries stalled) is looked up at the gateway by its key and settled. Above the outbox
# lease (5 min), so a delivery in progress is not raced for nothing.
PAYMENT_RECONCILE_AFTER_MINUTES = env.int("PAYMENT_RECONCILE_AFTER_MINUTES", default=15)
DISPUTE_SELLER_RESPONSE_HOURS = env.int("DISPUTE_SELLER_RESPONSE_HOURS", default=48)
# How long a refund or a released hold may take to reach the buyer's card. Only after it
# may the buyer open a "Refund not received" case about it.
REFUND_SETTLEMENT_DAYS = env.int("REFUND_SETTLEMENT_DAYS", default=10)
DELIVERY_DAYS_AFTER_SHIPPING = env.int("DELIVERY_DAYS_AFTER_SHIPPING", default=5)
# Your Orders' default tab keeps a delivered order in view this long after its delivery:
# the weeks in which a buyer comes back to ask about it or open a case (eBay gives buyers
# 30 days from delivery to report a problem; the case rules here set no end).
YOUR_ORDERS_DELIVERED_DAYS = env.int("YOUR_ORDERS_DELIVERED_DAYS", default=30)
# A listing with this many "No inventory" cancellations within the window goes off sale
# until its seller updates the stock.
NO_INVENTORY_DEACTIVATE_AFTER = env.int("NO_INVENTORY_DEACTIVATE_AFTER", default=2)
NO_INVENTORY_WINDOW_DAYS = env.int("NO_INVENTORY_WINDOW_DAYS", default=30)
# Inventory warns of an active listing with this many units or fewer left (but not none).
LOW_STOCK = env.int("LOW_STOCK", default=3)
# "shipment": authorize at checkout, capture what ships (Amazon). "checkout": capture all at once.
PAYMENT_CAPTURE = env.str("PAYMENT_CAPTURE", default="shipment")
if PAYMENT_CAPTURE not in ("shipment", "checkout"):
    raise ImproperlyConfigured(
        f"PAYMENT_CAPTURE must be 'shipment' or 'checkout', not {PAYMENT_CAPTURE!r}."
    )
# "sandbox" (the default: Stripe's rules kept in the database, no card leaves the machine)
# or "stripe" (payments.stripe_gateway: PaymentIntents through Stripe's API). A dotted
# path names any other class with the PaymentGateway protocol (tests use it).
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="sandbox")
if PAYMENT_GATEWAY not in ("sandbox", "stripe") and "." not in PAYMENT_GATEWAY:
    raise ImproperlyConfigured(
        f"PAYMENT_GATEWAY must be 'sandbox', 'stripe' or a dotted path, not {PAYMENT_GATEWAY!r}."
    )
# Stripe, read when PAYMENT_GATEWAY="stripe". The API and Stripe.js addresses are
# Stripe's own unless a test points them at localstripe (README → Payments).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
# Seconds Stripe's client waits for an answer; then the call counts as a timeout
# (retried with the same idempotency key, or settled by reconciliation).
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=20)
# A deployment that is not production (a staging site) may run the Stripe gateway with
# test-mode keys; production refuses to start with them.
STAGING = env.bool("STAGING", default=False)
if PAYMENT_GATEWAY == "stripe" and not DEBUG and not STAGING:
    if not STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_")):
        raise ImproperlyConfigured(
            "PAYMENT_GATEWAY=stripe needs a live STRIPE_SECRET_KEY (sk_live_…) in production; "
            "set STAGING=1 to run a staging deployment with test-mode keys."
        )
    if not (STRIPE_PUBLISHABLE_KEY.startswith("pk_live_") and STRIPE_WEBHOOK_SECRET):
        raise ImproperlyConfigured(
            "PAYMENT_GATEWAY=stripe needs STRIPE_PUBLISHABLE_KEY (pk_live_…) and "
            "STRIPE_WEBHOOK_SECRET in production."
        )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_client_errors": {"()": "marketplace.log_filters.QuietClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        # Django's request and security loggers: one line for a 4xx, a traceback for a 5xx.
        "django.request": {"filters": ["quiet_client_errors"]},
        "django.security": {"filters": ["quiet_client_errors"]},
        # Stripe's client logs every request at INFO; the gateway logs what matters.
        "stripe": {"level": "WARNING"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
