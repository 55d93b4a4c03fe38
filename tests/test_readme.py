"""The README documents every setting and starts with the two commands."""

from webapp.config import ENV_NAMES, PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def test_every_environment_variable_is_in_the_readme_table():
    missing = [name for name in ENV_NAMES if f"| `{name}` |" not in README]
    assert missing == [], f"add these settings to the README configuration table: {missing}"


def test_readme_starts_with_run_and_test():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make run" in first_block
    assert "make test" in first_block


def test_the_production_web_command_is_the_one_the_benchmarks_measure():
    from benchmarks.stack import README_COMMAND

    assert f"`{README_COMMAND}`" in README
