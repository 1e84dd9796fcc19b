"""The README's library example runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_library_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1, "the README holds one Python example"
    monkeypatch.chdir(tmp_path)  # it writes runs/ under the working folder
    scope: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), scope)
    campaign = scope["campaign"]
    assert campaign.status == "stopped"
    assert len(campaign.journal.observations(campaign.id)) == 40
    assert scope["mean"].shape == scope["std"].shape == (2,)
    assert scope["endpoint"].startswith("tcp://127.0.0.1:")
    with scope["Server"]("runs/served.sqlite", bind="tcp://127.0.0.1:0"):  # the first let go
        pass
