#!/usr/bin/env bash
# Regenerates the model-zoo table in README.md and docs/model-zoo.md from the
# built-in registry (the table lies between the zoo-table markers). A test
# fails when the committed tables differ from what the tool prints.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${1:-build/dev/apps/modelspec}
table=$("$tool" list --format markdown)
for file in README.md docs/model-zoo.md; do
  python3 - "$file" "$table" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
text = open(path).read()
begin, end = "<!-- zoo-table:begin -->", "<!-- zoo-table:end -->"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(path, "w").write(head + begin + "\n" + table + "\n" + end + tail)
PY
done
