# Shared by scripts/demo.sh and scripts/test.sh: create .venv and install the project.
# Sourced, not run. Uses the newest Python that Django 6.x supports when one is
# installed (directly or through pyenv), else python3 (which gets Django 5.2).

# find_python 3.10: a working python3.10, on the PATH or installed by pyenv
# (whose shims answer only for the versions it is told to use).
find_python() {
  local version=$1 root="${PYENV_ROOT:-$HOME/.pyenv}" candidate
  for candidate in "python$version" "$root"/versions/"$version".*/bin/python"$version"; do
    if "$candidate" -c 'import venv' >/dev/null 2>&1; then
      echo "$candidate"
      return
    fi
  done
  return 1
}

pick_python() {
  find_python 3.12 || find_python 3.13 || echo python3
}

# setup_venv [DIR [PYTHON [REQUIREMENT...]]]: create the virtual environment DIR
# (.venv) with PYTHON (the one pick_python finds) and install the project with
# its [dev] extras, or the project as REQUIREMENT... say.
setup_venv() {
  local dir="${1:-.venv}" python="${2:-}"
  shift $(($# < 2 ? $# : 2))
  [ -n "$python" ] || python="$(pick_python)"
  if [ ! -x "$dir/bin/python" ]; then
    "$python" -m venv "$dir"
  fi
  [ $# -gt 0 ] || set -- -e ".[dev]"
  "$dir/bin/python" -m pip install --quiet --upgrade pip
  "$dir/bin/python" -m pip install --quiet "$@"
}
