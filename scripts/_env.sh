# Shared by scripts/demo and scripts/test: a project virtualenv with credo installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# CREDO_EXTRAS: the optional dependencies to install too ("test" unless set; the demo sets it
# empty, so a newcomer's first command installs only what runs credo).
extras=${CREDO_EXTRAS-test}
stamp=.venv/.credo-installed${extras:+-$extras}
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
  touch "$stamp"
  [ -n "$extras" ] && touch .venv/.credo-installed  # what runs credo is installed too
fi
export PATH="$PWD/.venv/bin:$PATH"
# Python keeps its bytecode (in __pycache__/, which git ignores) even where the machine says
# not to (PYTHONDONTWRITEBYTECODE, set on ours): otherwise every `credo` process compiles
# credo's 36,000 lines again (`import credo.cli` 1.4 -> 1.0 s of CPU with the cache) and every
# pytest worker compiles the tests again (collecting them, from a fresh clone: 19.7 -> 9.7 s).
unset PYTHONDONTWRITEBYTECODE
