"""docs/config.md is generated from the option tables: it must match."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from sonaetest import SOURCE, check, done, exe  # noqa: E402

out = subprocess.run([exe("sonae-confdoc")], capture_output=True, check=True).stdout.decode("utf-8")
with open(os.path.join(SOURCE, "docs", "config.md"), encoding="utf-8") as f:
    doc = f.read()
check(out == doc, "docs/config.md equals sonae-confdoc's output (regenerate: build/tools/sonae-confdoc > docs/config.md)")
for key in ["backend", "max_body", "exercise", "speed", "interval"]:
    check(f"`{key}`" in doc, f"docs/config.md documents {key}")
done("test_confdoc")
