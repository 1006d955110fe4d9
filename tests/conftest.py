"""Options that must exist before pytest parses the command line.

pytest only reads `pytest_addoption` from conftests it loads at start-up;
`tests/cli/conftest.py` is not one of them for a bare `pytest` run from the
repo root, so the golden-test option is registered here.
"""


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden", action="store_true", default=False,
        help="rewrite tests/cli/*.t files with the actual output of their commands",
    )
