"""Write docs/errors.md: every mistake of tests/test_cli_mistakes.py with the message and exit code it gets.

Run from the repository root with the data releases available:
``CEVNS_DATA_DIR=... python scripts/errors_table.py [BEFORE.txt]``. BEFORE.txt, optional, holds
one classification per case (traceback / silent-exit0 / exit2-multiline / one-line, first
word of each line, in table order) measured on the code before issue #11.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import test_cli_mistakes as t  # noqa: E402
from cevns.data import data_dir  # noqa: E402

BEFORE_WORDS = {"traceback": "traceback", "silent-exit0": "silent, exit 0", "exit2-multiline": "multi-line usage text",
                "one-line": "one line"}


def main() -> None:
    before = []
    if len(sys.argv) > 1:
        before = [BEFORE_WORDS.get(ln.split()[0], ln.split()[0]) for ln in Path(sys.argv[1]).read_text().splitlines()
                  if ln.split() and ln.split()[0] in BEFORE_WORDS]
    fixture = getattr(t.workspace, "_get_wrapped_function", None)
    make_ws = fixture() if fixture else t.workspace.__wrapped__
    rows = []
    src = (ROOT / "tests" / "test_cli_mistakes.py").read_text().splitlines()
    sections = [ln.strip()[6:].strip(" -") for ln in src if ln.strip().startswith("# --- ")]
    for k, (argv, _frag) in enumerate(t.MISTAKES):
        with tempfile.TemporaryDirectory() as d:
            ws = make_ws(Path(d))
            res = t.run_case(argv, ws, data_dir())
            msg = res.stderr.strip().replace(str(ws.parent), "TMP").replace(str(ws), "{tmp}")
            cmd = " ".join(a if a and " " not in a else repr(a) for a in argv)
            was = before[k] if k < len(before) else ""
            rows.append(f"| {k + 1} | `cevns {cmd}` | {msg.replace('|', '&#124;')} | {res.exit_code} | {was} |")
    head = ["# What a mistake gets you", "",
            "Every ordinary mistake ends with one line on stderr, `cevns: error: ...`, naming the fix, and exit",
            "status 2, before any computation (`cevns --debug ...` shows the traceback). Ctrl-C exits with 130",
            "and, for `scan` and `scan2d --checkpoint`, prints the command that resumes. The table is",
            "`tests/test_cli_mistakes.py` (regenerate with `python scripts/errors_table.py`); `{tmp}` is a scratch",
            "folder with a sub-folder `adir` (and `adir.png`, `adir.csv`, `adir.toml`), damaged checkpoints and bad",
            "recipe files. \"Before\" is what the same input did before issue #11.", "",
            "Sections: " + "; ".join(sections) + ".", "",
            "| # | mistake | message | exit | before |", "|---|---|---|---|---|"]
    (ROOT / "docs" / "errors.md").write_text("\n".join(head + rows) + "\n")


if __name__ == "__main__":
    main()
