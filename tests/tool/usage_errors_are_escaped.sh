#!/bin/sh
# A usage error echoes the argument CLI11 rejected: escaped like every
# diagnostic of ours (an escape sequence and a byte that is not UTF-8 reach
# the terminal as text), with the usage exit code 2.
# Usage: usage_errors_are_escaped.sh MODELSPEC
tool=$1
escape=$(printf '\033')
bad_byte=$(printf '\377')
hostile=$(printf 'x\033[31my\377')
failed=0

check() {
  stderr=$("$tool" "$@" 2>&1 >/dev/null)
  status=$?
  if [ "$status" -ne 2 ]; then
    echo "modelspec $(printf '%s' "$*" | cat -v): exit $status, expected 2" >&2
    failed=1
  fi
  if ! printf '%s' "$stderr" | grep -qF 'x\x1b[31my\xff'; then
    echo "modelspec $(printf '%s' "$*" | cat -v): the argument is not escaped in:" >&2
    printf '%s\n' "$stderr" | cat -v >&2
    failed=1
  fi
  if printf '%s' "$stderr" | LC_ALL=C grep -q -e "$escape" -e "$bad_byte"; then
    echo "modelspec $(printf '%s' "$*" | cat -v): raw bytes on stderr" >&2
    failed=1
  fi
}

check show h0-mini --format "$hostile"  # a value outside the choices
check list "$hostile"                   # an argument nobody takes
exit $failed
