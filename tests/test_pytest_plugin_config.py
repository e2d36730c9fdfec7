"""The pytest plugin's configuration: one project (the rootdir's), checked once, with one-line errors.

Given a project in a sub-folder (pyproject with a provider option and a mocks folder) and pytest
started from the folder above it, when its suite replays, then cassettes, mocks and provider
options all come from that project. Given a bad ``[tool.recorder]`` or a bad marker, pytest
says so in one line: at start-up for the project, at the test's setup for its marker.
"""
from __future__ import annotations

import pytest
from standin import StandIn
from test_pytest_plugin_modes import DECLINED_MOCK, HEADER, run, stripe  # noqa: F401 - stripe is a fixture

pytest_plugins = ["pytester"]

NONCE = '''
@pytest.mark.recorder("stripe/nonce")
def test_nonce():
    import uuid
    assert requests.post(f"{STRIPE}/customers/cus_1", data={"metadata[nonce]": uuid.uuid4().hex}).status_code == 200

@pytest.mark.recorder(mocks=["stripe-declined"])
def test_declined():
    assert charge(1).status_code == 402
'''


def test_a_suite_run_from_another_folder_reads_everything_from_its_rootdirs_project(
        pytester: pytest.Pytester, stripe: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider option (ignore ``metadata.nonce``) and the mock are the sub-project's, not the
    current folder's: the run from above passes as the run from inside does."""
    app = pytester.mkdir("app")
    (app / "pyproject.toml").write_text('[tool.recorder]\ncassettes = "cassettes"\nmocks = "mocks"\n'
                                        '[tool.recorder.providers.stripe]\nignore_fields = ["metadata.nonce"]\n')
    (app / "mocks").mkdir()
    (app / "mocks/stripe-declined.yaml").write_text(DECLINED_MOCK)
    (app / "tests").mkdir()
    (app / "tests/test_app.py").write_text(HEADER + NONCE)
    stripe.route("POST", r"/v1/customers/\w+", lambda got: (200, {"Content-Type": "application/json"}, b"{}"))
    monkeypatch.chdir(app)
    run(pytester, "tests", "--recorder-mode=once", f"--recorder-target={stripe.url}").assert_outcomes(passed=2)
    monkeypatch.chdir(pytester.path)
    run(pytester, "app/tests").assert_outcomes(passed=2)
    assert len(stripe.received) == 1


@pytest.mark.parametrize(("table", "line"), [
    ("[tool.recorder]\nstrict = true\n", "*pyproject.toml:tool.recorder.strict: unknown key (expected one of *"),
    ('[tool.recorder.replay]\nstrict = "false"\n',
     "*pyproject.toml:tool.recorder.replay.strict: expected true or false, not 'false'"),
    ("[tool.recorder.replay]\nignore_fields = 3\n",
     "*pyproject.toml:tool.recorder.replay.ignore_fields: expected a field path or a list of them, not 3"),
], ids=["unknown-key", "string-bool", "wrong-type"])
def test_a_bad_project_table_is_one_usage_error_at_start_up(pytester: pytest.Pytester, table: str, line: str) -> None:
    pytester.makepyprojecttoml(table)
    pytester.makepyfile(test_suite=HEADER + "\ndef test_one():\n    pass\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: recorder: {line}"])
    assert "test_one" not in result.stdout.str()  # no test ran, none reported it


def test_a_bad_marker_fails_its_test_with_one_line_naming_test_marker_and_keyword(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.recorder]\ncassettes = "cassettes"\n')
    pytester.makepyfile(test_suite=HEADER + '''
@pytest.mark.recorder(mock=["stripe-declined"])
def test_typo():
    pass

@pytest.mark.recorder(strict="no")
def test_not_a_bool():
    pass

@pytest.mark.recorder("stripe/absent")
def test_missing(recorder):
    pass
''')
    result = run(pytester)
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines([
        "test_suite.py::test_typo: @pytest.mark.recorder(mock=...): unknown keyword (expected one of *mocks*)",
        "test_suite.py::test_not_a_bool: @pytest.mark.recorder(strict=...): expected true or false, not 'no'",
        "test_suite.py::test_missing: @pytest.mark.recorder: stripe/absent: no such cassette"])
    output = result.stdout.str()
    assert "Traceback" not in output and "During handling" not in output and "def _recorder_replay" not in output
