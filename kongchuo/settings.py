"""Settings for 控辍保学平台, driven by the environment.

Environment variables:
  DEBUG            "1" for development (default "1" unless SECRET_KEY is set)
  SECRET_KEY       required when DEBUG is off
  DATABASE_URL     e.g. postgres://user@127.0.0.1:5432/kongchuo; default SQLite under var/
  ALLOWED_HOSTS    comma separated
  CSRF_TRUSTED_ORIGINS  comma separated (https://kc.example.gov.cn)
  SECURE_PROXY     "1" when behind a TLS-terminating proxy that sets X-Forwarded-Proto
  KC_LOCAL_HTTP    "1" = served over plain HTTP on loopback (`make run`, scripts/serve.sh): DEBUG off, but no
                   HTTPS redirect and no Secure-only cookies. Never set it on a server others reach.
  MEDIA_ROOT, STATIC_ROOT, NOTICE_FONT_FAMILY, LOG_LEVEL
"""
from datetime import timedelta
from pathlib import Path
import os

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", default=not SECRET_KEY)
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-insecure-key-only-for-local-demo-never-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "import_export",
    "simple_history",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "kongchuo",
    "students",
    "cases",
    "notices",
    "reports",
    "staff",  # go-live: staff import, one-time passwords, school admins managing their staff
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files served by the app itself (`make run`; behind nginx it is harmless): right after security.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "kongchuo.middleware.TextSanitiserMiddleware",  # after CSRF: cleans GET values, strips NUL from POST
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # go-live: an account holding a one-time password may only change it (staff/middleware.py)
    "staff.middleware.FirstPasswordMiddleware",
    # AxesMiddleware should be the last middleware in the list.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kongchuo.urls"

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
                "kongchuo.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "kongchuo.wsgi.application"

VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'kongchuo.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

AUTH_USER_MODEL = "kongchuo.User"
AUTHENTICATION_BACKENDS = [
    # AxesStandaloneBackend should be the first backend in the list.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Django's hashers, plus the cheap one for random one-time passwords only (staff/hashers.py explains why).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "staff.hashers.OneTimePasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "kongchuo.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workbench"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: 30 minutes of inactivity ends the session (§8).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after 5 failures per username + IP (schools share one NAT address).
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False
# Behind a reverse proxy, set AXES_IPWARE_PROXY_COUNT=1 so the client address comes from X-Forwarded-For.
if os.environ.get("AXES_IPWARE_PROXY_COUNT"):
    AXES_IPWARE_PROXY_COUNT = int(os.environ["AXES_IPWARE_PROXY_COUNT"])
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
# WhiteNoise serves STATIC_ROOT gzip/brotli-compressed. Not the manifest variant: the vendored minified files name
# source maps we do not ship, and the manifest would refuse them at collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
# Largest uploaded file (Excel imports, evidence) the app accepts.
KONGCHUO_MAX_UPLOAD_BYTES = 20 * 1024 * 1024 - 1
# Excel reader of the imports: auto (calamine, fast, holds the sheet; the flat openpyxl reader when the sheet would
# need more than KONGCHUO_IMPORT_MEMORY_MB), calamine or openpyxl. See README "学籍导入".
KONGCHUO_XLSX_ENGINE = os.environ.get("KONGCHUO_XLSX_ENGINE", "auto")
KONGCHUO_IMPORT_MEMORY_MB = int(os.environ.get("KONGCHUO_IMPORT_MEMORY_MB", "512"))
# Spreadsheet limits, checked before any reader opens a file (students/importing/guard.py; README "电子表格上传限制").
KONGCHUO_IMPORT_MAX_ROWS = int(os.environ.get("KONGCHUO_IMPORT_MAX_ROWS", "200000"))
KONGCHUO_IMPORT_MAX_COLUMNS = int(os.environ.get("KONGCHUO_IMPORT_MAX_COLUMNS", "200"))
KONGCHUO_IMPORT_MAX_XML_MB = int(os.environ.get("KONGCHUO_IMPORT_MAX_XML_MB", "160"))
KONGCHUO_IMPORT_MAX_SHARED_STRINGS_MB = int(os.environ.get("KONGCHUO_IMPORT_MAX_SHARED_STRINGS_MB", "48"))
KONGCHUO_IMPORT_MAX_ZIP_RATIO = int(os.environ.get("KONGCHUO_IMPORT_MAX_ZIP_RATIO", "100"))
KONGCHUO_IMPORT_MAX_ZIP_MEMBERS = int(os.environ.get("KONGCHUO_IMPORT_MAX_ZIP_MEMBERS", "500"))
KONGCHUO_IMPORT_MAX_SHEETS = int(os.environ.get("KONGCHUO_IMPORT_MAX_SHEETS", "200"))
KONGCHUO_IMPORT_XLS_SECONDS = int(os.environ.get("KONGCHUO_IMPORT_XLS_SECONDS", "20"))

# go-live (staff app): usernames of new accounts ("phone" = the 手机号, or "pinyin"), the SMS gateway (a class with
# send(phone, text); the console backend only logs), and how long an unused account may stay before review.
KONGCHUO_STAFF_USERNAME = os.environ.get("KONGCHUO_STAFF_USERNAME", "phone")
KONGCHUO_SMS_BACKEND = os.environ.get("KONGCHUO_SMS_BACKEND", "staff.passwords.ConsoleSmsBackend")
KONGCHUO_DORMANT_DAYS = int(os.environ.get("KONGCHUO_DORMANT_DAYS", "150"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (kongchuo/jobs, README "后台任务"): Django's tasks API through the django-tasks backport. The
# database backend's worker is `python manage.py db_worker`; KONGCHUO_TASK_BACKEND=django_tasks.backends.immediate.
# ImmediateBackend runs every job inside the request instead (tests; a demo without a worker).
TASKS = {"default": {"BACKEND": os.environ.get("KONGCHUO_TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}
KONGCHUO_JOB_FILE_DAYS = int(os.environ.get("KONGCHUO_JOB_FILE_DAYS", "7"))  # job files deleted after (run_deadlines)
KONGCHUO_JOB_STALE_SECONDS = int(os.environ.get("KONGCHUO_JOB_STALE_SECONDS", "90"))  # no heartbeat → 失败

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# Domain settings: thresholds are data a district may change.
KONGCHUO = {
    # Unexcused consecutive school days at which each level is reached (PITFALLS: national usage). Each is
    # "reached on the Nth consecutive unexcused school day": 3 → alert the 班主任 to visit; "more than one week"
    # = more than 5 school days → 6th day 疑似辍学; "more than one month" ≈ more than 22 school days → 23rd day 辍学.
    "ABSENCE_ALERT_DAYS": int(os.environ.get("KC_ABSENCE_ALERT_DAYS", "3")),
    "ABSENCE_SUSPECTED_DAYS": int(os.environ.get("KC_ABSENCE_SUSPECTED_DAYS", "6")),
    "ABSENCE_DROPOUT_DAYS": int(os.environ.get("KC_ABSENCE_DROPOUT_DAYS", "23")),
    # School days not yet recorded (today before roll-call, a forgotten day) that do not end a running streak.
    "ABSENCE_GRACE_DAYS": int(os.environ.get("KC_ABSENCE_GRACE_DAYS", "2")),
    "NOTICE_DEADLINE_DAYS": int(os.environ.get("KC_NOTICE_DEADLINE_DAYS", "7")),
    "NOTICE_FONT_FAMILY": os.environ.get("NOTICE_FONT_FAMILY", "Noto Serif CJK SC"),
    "RATE_EXCLUDE_DEATHS": env_bool("KC_RATE_EXCLUDE_DEATHS", True),
    # Age plausibility (students/plausibility.py): grade g expects SCHOOL_ENTRY_AGE + g - 1 ± GRADE_AGE_TOLERANCE
    # years on 1 September; outside it the student form asks for a confirmed reason, an import warns.
    "SCHOOL_ENTRY_AGE": int(os.environ.get("KC_SCHOOL_ENTRY_AGE", "6")),
    "GRADE_AGE_TOLERANCE": int(os.environ.get("KC_GRADE_AGE_TOLERANCE", "2")),
    # reports/asof.py: 疑似辍学 (a case in 劝返) for more than this many calendar days counts as 辍学 ("more than a
    # month"); a last home visit "未能联系" within this many days counts as 疑似辍学 (unreachable).
    "ROSTER_DROPOUT_AFTER_DAYS": int(os.environ.get("KC_ROSTER_DROPOUT_AFTER_DAYS", "30")),
    "ROSTER_UNREACHABLE_DAYS": int(os.environ.get("KC_ROSTER_UNREACHABLE_DAYS", "30")),
}

LOCAL_HTTP = env_bool("KC_LOCAL_HTTP")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not LOCAL_HTTP)
    SESSION_COOKIE_SECURE = not LOCAL_HTTP
    CSRF_COOKIE_SECURE = not LOCAL_HTTP
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    if env_bool("SECURE_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# ---- Security headers and error pages (issue 9; README "Security settings") --------------------------------------
# One block on purpose: django-csp's middleware and the private-cache middleware are inserted here, not in MIDDLEWARE
# above. CSP: scripts, styles, fonts and images from our own static files only — no 'unsafe-inline' (inline scripts
# and event handlers live in static/js/kongchuo.js; the notice preview's <style> blocks are allowed by hash on that
# one response, kongchuo.headers.allow_inline_styles). data: images are Bootstrap's SVG form icons in its CSS.
from csp.constants import NONE as CSP_NONE, SELF as CSP_SELF  # noqa: E402

INSTALLED_APPS.append("csp")
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
# Cache-Control: private, no-store on every response to a logged-in user (kongchuo/headers.py). Outermost but for
# the two above, so it also covers responses made by other middleware (CSRF failure, APPEND_SLASH redirects).
MIDDLEWARE.insert(MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1, "kongchuo.headers.PrivateCacheMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "frame-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    },
}
# The CSRF failure page in the Chinese shell (403), like 403/404/500.
CSRF_FAILURE_VIEW = "kongchuo.views.csrf_failure"
# ---- end of security headers block -------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
