"""Settings for the coursework tracker: one file, driven by environment variables.

The defaults give the embedded set-up: SQLite and uploaded files inside the project folder,
debug off unless DEBUG=true. See docs in README.md for every variable.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tracker.env import env_bool, env_choice, env_int, env_list, env_str, env_url
from tracker.lib.oidc import normal_domains, settings_problem

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)
DATABASE_URL = env_str("DATABASE_URL")


def _secret_key() -> str:
    """Return SECRET_KEY, or a development key kept in an ignored local file.

    The local file serves the embedded set-up (debug, or SQLite on this machine). A real
    deployment (DEBUG off with DATABASE_URL) must set the key: a key generated on one
    machine would differ between the app servers and sign users out at random.
    """
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG and DATABASE_URL:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off and DATABASE_URL is set"
        )
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The address people reach the site at, for links in emails and printed output (workers
# and commands have no request to take it from).
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "criteria",
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.notifications.context.notifications",
            ],
        },
    },
]

# Each app process keeps its connection for DATABASE_CONN_MAX_AGE seconds (default 60)
# instead of opening one per request: on PostgreSQL a new connection is a new server
# process, which cost about a third of the throughput (docs/performance.md, "Under load").
# A kept connection is checked before each request reuses it (CONN_HEALTH_CHECKS), so a
# database restart costs one reconnect, not a failed request.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as a web app needs it: every transaction takes the write lock when it starts
    # (IMMEDIATE), so two saves queue instead of one failing with "database is locked" when
    # a read turns into a write; readers never wait for the writer (WAL); a writer waits up
    # to SQLITE_BUSY_TIMEOUT seconds for the lock. PostgreSQL is left as it is.
    _busy_seconds = env_int("SQLITE_BUSY_TIMEOUT", 20, minimum=1)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": _busy_seconds,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                f"PRAGMA busy_timeout={_busy_seconds * 1000};"
            ),
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "tracker.auth.UsernameOrEmailBackend",
    "tracker.auth.SignInCodeBackend",
    # Signing in with a school account; does nothing unless OIDC_ISSUER is set (below).
    "tracker.people.sso.SchoolAccountBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end packages come from npm (package.json) and are served from here; never a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "tracker" / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
# Evidence is never served from a public URL; MEDIA_URL exists only for Django's checks.
MEDIA_URL = "/media-not-served/"
# Uploaded and generated files (evidence, exports, files waiting between an import's preview
# and its confirmation) live under MEDIA_ROOT, or in an S3-compatible bucket when one is named.
# Either way they are private: never a public URL, only streamed through permission-checked
# views, so the bucket needs no public access and objects get no ACL of their own.
if env_str("STORAGE_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("STORAGE_S3_BUCKET"),
            "location": env_str("STORAGE_S3_PREFIX").strip("/"),
            "endpoint_url": env_str("STORAGE_S3_ENDPOINT_URL") or None,
            "region_name": env_str("STORAGE_S3_REGION") or None,
            # Unset keys fall back to boto3's usual chain (environment, profile, instance role).
            "access_key": env_str("STORAGE_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("STORAGE_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            # A file being read is buffered here before it streams out; beyond this size the
            # buffer is a temporary file on disk, so a large file is never held in memory.
            "max_memory_size": 2 * 1024 * 1024,
        },
    }

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tracker@localhost")
# The local hour (TIME_ZONE) from which the housekeeping sends teachers' daily digest of work
# handed in; it sends each teacher at most one a day.
NOTIFICATION_DIGEST_HOUR = env_int("NOTIFICATION_DIGEST_HOUR", 7, minimum=0)
if NOTIFICATION_DIGEST_HOUR > 23:
    raise ImproperlyConfigured(
        f"NOTIFICATION_DIGEST_HOUR={NOTIFICATION_DIGEST_HOUR} is not an hour (0-23)"
    )

# HTTPS=true says the site is only ever reached over HTTPS (TLS ends at the reverse proxy,
# which must tell gunicorn with X-Forwarded-Proto; see docs/deployment.md). It turns on the
# redirect to HTTPS, HSTS and secure cookies. It is off by default so that `make run` and the
# tests, which use plain HTTP, keep working.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
# Browsers remember HSTS for this long; a deployment can start lower while it tries HTTPS out.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS or not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp): only this site's own scripts, styles and images; no
# inline script or style, so templates keep behaviour in tracker/static and styles in CSS
# classes (tests/tracker/test_security.py scans them). Evidence downloads send their own
# stricter policy, which the middleware leaves alone.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

CENTRE_NAME = env_str("CENTRE_NAME", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

AUTH_USER_MODEL = "tracker.User"

# Failed sign-ins are throttled per username and address (django-axes).
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGNIN_COOLOFF_MINUTES", 15, minimum=1))
# Failures count per account: every spelling of a username or email is the account's
# username (tracker.auth.signin_username). The lock is a cool-off counted from the last
# counted failure; attempts refused during it do not extend it. Each address has a second,
# higher limit (tracker.auth.SignInAttemptsHandler): pupils of one school share an address.
AXES_USERNAME_CALLABLE = "tracker.auth.signin_username"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "tracker.auth.SignInAttemptsHandler"
SIGNIN_ADDRESS_FAILURE_LIMIT = env_int("SIGNIN_ADDRESS_FAILURE_LIMIT", 50, minimum=1)
# Reverse proxies in front of the app (1 for the nginx set-up in docs/deployment.md): without
# this every request seems to come from the proxy, and one address limit covers everyone.
SIGNIN_PROXY_COUNT = env_int("SIGNIN_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "tracker.auth.client_address"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "tracker.auth.locked_out"
AXES_VERBOSE = False
# What axes writes down of a failed sign-in form: never the typed codes or new passwords.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code", "password1", "password2"]

# Invitation links stop working after this many days; printed sign-in codes after these.
INVITATION_DAYS = env_int("INVITATION_DAYS", 7, minimum=1)
SIGNIN_CODE_DAYS = env_int("SIGNIN_CODE_DAYS", 14, minimum=1)

# Evidence uploads: allowed extensions and the size limit (enforced while streaming).
EVIDENCE_ALLOWED_TYPES = env_list(
    "EVIDENCE_ALLOWED_TYPES",
    # fmt: off
    [
        "pdf",
        "doc",
        "docx",
        "odt",
        "ppt",
        "pptx",
        "odp",
        "xls",
        "xlsx",
        "txt",
        "jpg",
        "jpeg",
        "png",
        "mp4",
        "mov",
        "mp3",
        "m4a",
    ],
    # fmt: on
)
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_MB", 50, minimum=1) * 1024 * 1024
# Centre policy: how many resubmissions a criterion may have (authorised by the lead assessor).
RESUBMISSIONS_ALLOWED = env_int("RESUBMISSIONS_ALLOWED", 1, minimum=0)
# Which OCR exam result counts when a learner resits an examined unit: "best" (the highest
# grade of any real series) or "latest_series" (the most recently sat series, by the series'
# date). OCR's Cambridge Technicals entry rules (ocr.org.uk, administration, entry rules) allow
# two further attempts at a Level 3 examined unit but do not say which result counts; OCR says
# it takes the best result for Cambridge Nationals (subject update, 28 September 2018), not for
# Technicals. So "best" is an unverified default; never the mark saved last.
EXAM_RESULT_RULE = env_choice("EXAM_RESULT_RULE", "best", ("best", "latest_series"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Dashboards flag a learner who has handed in nothing for this many weeks.
AT_RISK_WEEKS_WITHOUT_EVIDENCE = env_int("AT_RISK_WEEKS_WITHOUT_EVIDENCE", 4, minimum=1)

# Background jobs (whole-centre exports) run through the task framework's database backend;
# `make run` starts a worker beside the site (`python manage.py db_worker`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A background export whose progress has not moved for this many minutes lost its worker and
# is marked failed (one still waiting to start, after an hour); `manage.py housekeeping`
# and the export's progress page both check.
EXPORT_STALL_MINUTES = env_int("EXPORT_STALL_MINUTES", 5, minimum=1)
EXPORT_QUEUE_STALL_MINUTES = env_int("EXPORT_QUEUE_STALL_MINUTES", 60, minimum=1)
# An uploaded learners file or data sheet waiting for its confirmation is deleted after this
# many hours (by `manage.py housekeeping`); cancelling or replacing it deletes it at once.
PENDING_UPLOAD_HOURS = env_int("PENDING_UPLOAD_HOURS", 24, minimum=1)

# Internal verification samples: the minimum share of learners, and never fewer than this.
IV_MINIMUM_SHARE = env_int("IV_MINIMUM_PERCENT", 25, minimum=1) / 100
IV_MINIMUM_LEARNERS = env_int("IV_MINIMUM_LEARNERS", 3, minimum=1)

# Signing in with a school account through OpenID Connect (tracker/people/sso.py, with
# mozilla-django-oidc):
# off unless OIDC_ISSUER is set. Only accounts that already exist here, matched by a
# verified email in OIDC_ALLOWED_DOMAINS; never a new account. docs/deployment.md has the
# set-up for Microsoft Entra ID and Google Workspace.
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_ALLOWED_DOMAINS = normal_domains(env_list("OIDC_ALLOWED_DOMAINS", []))
OIDC_BUTTON_LABEL = env_str("OIDC_BUTTON_LABEL")
if OIDC_ISSUER:
    _oidc_problem = settings_problem(
        OIDC_ISSUER, OIDC_RP_CLIENT_ID, OIDC_RP_CLIENT_SECRET, OIDC_ALLOWED_DOMAINS
    )
    if _oidc_problem:
        raise ImproperlyConfigured(_oidc_problem)
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email"
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10, minimum=1)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"
