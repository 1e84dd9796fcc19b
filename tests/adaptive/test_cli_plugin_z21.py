"""Review Z21: a ``--plugin`` that exits on import (``sys.exit``, an argparse of its own) is
the plugin error, exit 2, not a server that quits in silence; Ctrl-C in one still stops it."""

import pytest

from adaptive.cli import main

PLUGINS = {
    "exits.py": "import sys\nsys.exit(0)\n",
    "parses.py": (
        "import argparse\n"
        "parser = argparse.ArgumentParser(prog='lab')\n"
        "parser.add_argument('--rate', type=float)\n"
        "parser.parse_args(['serve', '--bind', 'tcp://127.0.0.1:0'])\n"
    ),
}


def _serve(tmp_path, plugin: str) -> list[str]:
    journal = tmp_path / "journal.sqlite"
    return ["serve", "--bind", "tcp://127.0.0.1:0", "--journal", str(journal), "--plugin", plugin]


@pytest.mark.parametrize(("name", "code"), [("exits.py", 0), ("parses.py", 2)])
def test_a_plugin_that_exits_on_import_is_a_plugin_error_exit_2(tmp_path, capsys, name, code):
    plugin = tmp_path / name
    plugin.write_text(PLUGINS[name])
    assert main(_serve(tmp_path, str(plugin))) == 2
    err = capsys.readouterr().err
    line = err.strip().splitlines()[-1]
    assert line.startswith(
        f"error: --plugin {plugin} does not import: SystemExit({code}): it exits on import"
    ), err
    assert not (tmp_path / "journal.sqlite").exists()


def test_ctrl_c_while_a_plugin_imports_still_interrupts(tmp_path, capsys):
    plugin = tmp_path / "interrupted.py"
    plugin.write_text("raise KeyboardInterrupt\n")
    assert main(_serve(tmp_path, str(plugin))) == 130
    assert "does not import" not in capsys.readouterr().err
