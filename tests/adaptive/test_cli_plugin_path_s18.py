"""``adaptive serve --plugin NAME`` finds a module NAME in the current directory, as
``python -m`` would, though the console script's sys.path does not hold that directory."""

import os
import subprocess
import sys
from pathlib import Path

from adaptive.cli import _import_plugins
from adaptive.client import Client
from tests.system.test_serve_plugin import MINE, PLUGIN, stop
from tests.system.test_serve_signals11 import REPO, SPACE, endpoint_of

#: ``PLUGIN`` whose strategy imports a module beside it only when it suggests, after the
#: server started: one suggestion per call, ``lab_limits.MOST``.
LAB_PLUGIN = f"""{PLUGIN}
    def _choose(self, n, taken):
        import lab_limits

        return super()._choose(min(n, lab_limits.MOST), taken)
"""


def test_the_console_script_serves_a_plugin_module_of_the_current_directory(tmp_path):
    (tmp_path / "lab_strategies.py").write_text(LAB_PLUGIN)
    (tmp_path / "lab_limits.py").write_text("MOST = 1\n")
    console = Path(sys.executable).with_name("adaptive")  # its sys.path[0] is its own folder
    journal = tmp_path / "journal.sqlite"
    command = [sys.executable, str(console), "serve", "--bind", "tcp://127.0.0.1:0"]
    command += ["--journal", str(journal), "--plugin", "lab_strategies"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}  # not tmp_path
    run = subprocess.Popen(
        command, cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        with Client(endpoint_of(run), timeout_s=30) as client:
            client.call("campaign_create", space=SPACE, strategy=MINE, campaign_id="mine")
            suggested = client.call("suggestions_get", campaign_id="mine", n=3)["suggestions"]
        err = stop(run)
    finally:
        run.kill()
    assert [s["strategy"] for s in suggested] == ["plugin_scan"]  # lab_limits.MOST
    assert "warning" not in err and "error" not in err, err


def write_module(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(text)


def test_a_plugin_name_resolves_first_in_the_current_directory_which_then_goes_last(
    tmp_path, monkeypatch
):
    lab, installed = tmp_path / "lab", tmp_path / "site-packages"
    plugin = "def limit():\n    import lab_limits_s18\n\n    return lab_limits_s18.MOST\n"
    write_module(lab, "lab_plugin_s18", f"WHERE = 'lab'\n{plugin}")
    write_module(installed, "lab_plugin_s18", "WHERE = 'installed'\n")
    write_module(lab, "lab_limits_s18", "MOST = 1\n")
    write_module(lab, "lab_queue_s18", "WHERE = 'lab'\n")  # a file named as a library
    write_module(installed, "lab_queue_s18", "WHERE = 'installed'\n")
    monkeypatch.chdir(lab)
    # the console script's sys.path: neither "" nor the current directory on it
    monkeypatch.setattr(sys, "path", [str(installed), *(p for p in sys.path if p)])
    names = ("lab_plugin_s18", "lab_limits_s18", "lab_queue_s18")
    try:
        _import_plugins(["lab_plugin_s18"])
        plugin_module = sys.modules["lab_plugin_s18"]
        assert plugin_module.WHERE == "lab"  # as python -m would import it
        assert sys.path[-1] == str(lab) and str(lab) not in sys.path[:-1]
        assert plugin_module.limit() == 1  # its later import of a module beside it
        import lab_queue_s18

        assert lab_queue_s18.WHERE == "installed"  # the lab's file takes no library's place
    finally:
        for name in names:
            sys.modules.pop(name, None)


def test_a_plugin_file_imports_the_modules_beside_it_from_any_directory(tmp_path, monkeypatch):
    # as when the file runs as a script: its own folder is searched for its imports
    lab = tmp_path / "lab"
    write_module(
        lab, "lab_file_plugin_s18", "import lab_beside_s18\n\nMOST = lab_beside_s18.MOST\n"
    )
    write_module(lab, "lab_beside_s18", "MOST = 2\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p])
    try:
        _import_plugins([str(lab / "lab_file_plugin_s18.py")])
        assert sys.modules["adaptive_plugin_lab_file_plugin_s18"].MOST == 2
        assert sys.path[-1] == str(lab)
    finally:
        for name in ("adaptive_plugin_lab_file_plugin_s18", "lab_beside_s18"):
            sys.modules.pop(name, None)


def test_plugin_files_importing_one_another_run_once_in_either_order(tmp_path, monkeypatch):
    # derived.py's "from base import ..." ran base.py a second time under its own name,
    # registering its class twice: the server did not start (review Z17)
    lab = tmp_path / "lab"
    write_module(lab, "base_z17", "import sys\n\nsys.base_z17_runs += 1\n")
    write_module(lab, "derived_z17", "import base_z17  # noqa: F401\n")
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p])
    monkeypatch.chdir(tmp_path)
    files = [str(lab / "base_z17.py"), str(lab / "derived_z17.py")]
    names = ("base_z17", "derived_z17", "adaptive_plugin_base_z17", "adaptive_plugin_derived_z17")
    for order in (files, files[::-1], [files[0], "lab/base_z17.py"]):
        monkeypatch.setattr(sys, "base_z17_runs", 0, raising=False)
        try:
            _import_plugins(order)
            assert sys.base_z17_runs == 1, order
        finally:
            for name in names:
                sys.modules.pop(name, None)


def test_a_plugin_file_takes_no_other_module_s_name(tmp_path, monkeypatch):
    # named apart so that it shadows no module of its name found elsewhere on sys.path
    write_module(tmp_path / "lab", "shadow_z17", "MINE = True\n")
    write_module(tmp_path / "site", "shadow_z17", "MINE = False\n")
    monkeypatch.setattr(sys, "path", [*(p for p in sys.path if p), str(tmp_path / "site")])
    try:
        _import_plugins([str(tmp_path / "lab" / "shadow_z17.py")])
        assert sys.modules["adaptive_plugin_shadow_z17"].MINE
        assert "shadow_z17" not in sys.modules
    finally:
        for name in ("shadow_z17", "adaptive_plugin_shadow_z17"):
            sys.modules.pop(name, None)
