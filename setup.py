"""stdpolicy: Jiaxing's 2022 standards-city policy as rules that run."""

from setuptools import find_packages, setup

# The top-level names are generic (core, plugins, webadmin, migrations): find
# packages under those four only, so nothing else in the checkout (tests,
# benchmarks, a stray folder) is swept into the wheel.
TOP_LEVEL = ("core", "plugins", "webadmin", "migrations")
# A built-in plugin's tests (plugins/<name>/tests/) stay in the checkout.
PACKAGES = find_packages(include=[name for top in TOP_LEVEL for name in (top, f"{top}.*")],
                         exclude=["plugins.*.tests", "plugins.*.tests.*"])

setup(
    name="stdpolicy",
    version="0.1.0",
    description="Plugin-based rules library and admin for Jiaxing's 2022 standardisation policy",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=PACKAGES,
    # Data files: YAML declarations, templates, static files, translations and
    # Alembic scripts, wherever a package keeps them (plugins included). Revision
    # scripts are data to Alembic (versions/ folders are not packages): core's,
    # the admin's (webadmin/migrations), each plugin's (<plugin>/migrations/versions),
    # and the environment they share (core/alembic_env).
    package_data={
        "core": ["data/*.yaml", "data/*.json", "py.typed", "alembic_env/*.py", "alembic_env/*.mako",
                 "alembic_env/README", "scaffold/template/**/*",
                 "documents/templates/*.html"],
        "plugins": ["*/*.yaml", "*/templates/**/*", "*/static/**/*", "*/migrations/*.ini",
                    "*/migrations/*.mako", "*/migrations/versions/*.py", "*/data/**/*"],
        "migrations": ["alembic.ini", "script.py.mako", "README", "versions/*.py"],
        "webadmin": ["babel.cfg", "templates/**/*", "static/**/*", "translations/**/*", "migrations/README",
                     "migrations/versions/*.py"],
    },
    install_requires=[
        "flask>=3.1",  # a cap on one request's body (request.max_content_length)
        "flask-sqlalchemy>=3.1",
        "sqlalchemy>=2.0",
        "flask-migrate>=4.0",
        "alembic>=1.13",
        "pluggy>=1.7",
        # A plugin's declared hook-API range (core/registry.py), PEP 440 specifiers.
        "packaging>=23",
        "marshmallow>=4.0,<5",
        "wtforms>=3.1",
        "flask-wtf>=1.2",
        "flask-login>=0.6.3",
        "flask-babel>=4.0",
        "python-stdnum>=1.20",
        "pyyaml>=6.0",
        "click>=8.1",
        "openpyxl>=3.1",
        # Login throttling (its counters are kept in the database: webadmin/ratelimit_storage.py).
        "flask-limiter>=3.8",
        # How guessable a chosen password is (webadmin/security.py).
        "zxcvbn>=4.4",
        # The JSON API's OpenAPI document, from its marshmallow schemas (webadmin/openapi.py).
        "apispec>=6.6",
        # The result document of `stdpolicy evaluate`, encoded ~5x faster than the standard library's
        # encoder, byte for byte the same (core/interchange/fastjson.py).
        "orjson>=3.9",
        # Approval lists (core/documents): money in Chinese capital numerals (大写), and the printable PDF
        # rendered from HTML (needs Debian's libpango-1.0-0 and libpangoft2-1.0-0, and a CJK font).
        "cn2an>=0.5.22",
        "weasyprint>=68",  # URLFetcher (allowed_protocols; the fix of CVE-2025-68616)
        # The city's charts (plugins/city_targets/charts.py): SVG rendered on the server, the same in a page and a PDF.
        "pygal>=3.0",
    ],
    extras_require={
        "postgres": ["psycopg[binary]>=3.1"],
        "server": ["gunicorn>=22"],
        "test": [
            "pytest>=8",
            "psycopg[binary]>=3.1",
            "playwright>=1.45",
            "gunicorn>=22",
            "build>=1.2",
            # tests/test_scaffold.py builds the generated plugin's wheel without build isolation (no network).
            "wheel>=0.40",
            "time-machine>=2.14",
            "hypothesis>=6.100",
            # tests/test_openapi.py: the OpenAPI document validates, and the API's answers match it.
            "openapi-spec-validator>=0.7",
            # Type checks of core's public modules (mypy.ini; .ci/run).
            "mypy>=1.10",
            "types-PyYAML",
            "types-openpyxl",
            # The approval list PDFs' text is read back in the tests.
            "pypdf>=4",
        ],
    },
    entry_points={
        "console_scripts": ["stdpolicy = webadmin.cli:main"],
        "stdpolicy.plugins": [
            "reward_tiers = plugins.reward_tiers",
            "benchmarking = plugins.benchmarking",
            "carbon = plugins.carbon",
            "public_services = plugins.public_services",
            "city_targets = plugins.city_targets",
        ],
        # The test kit (core/testing): fixtures and policy cases for plugins' tests.
        "pytest11": [
            "stdpolicy = core.testing.plugin",
        ],
    },
)
