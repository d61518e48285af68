#!/usr/bin/env bash
# The system packages `make run` and `make test` need, installed when missing (Debian/Ubuntu, apt).
#
#   Java runtime   default-jre-headless   the OWL reasoner (HermiT, through owlready2) in `econsec build`
#   Node and npm   nodejs npm             the pages' assets (YASGUI, d3) and the tests' Comunica, from package-lock.json
#   curl           curl                   the tests run curl as a client, and the README's examples use it
#   Chromium       chromium chromium-driver  the browser tests (Playwright drives /usr/bin/chromium)
#   CJK fonts      fonts-noto-cjk         Japanese and Chinese labels in the browser tests' pages
#   venv           python3-venv           `make setup` creates .venv
#   Virtuoso 7     virtuoso-opensource    the second engine behind remote mode in the tests (virtuoso-t, isql-vt)
#
# Nothing is missing: exits at once (no apt-get update). Something is missing and we are root with
# apt: installs it. Otherwise: stops with the exact command to run. ECONSEC_UID overrides `id -u`
# (for the test of the not-root branch).
set -euo pipefail

missing=()
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
{ command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; } || missing+=(nodejs npm)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
{ command -v fc-list >/dev/null 2>&1 && fc-list :lang=ja 2>/dev/null | grep -q .; } || missing+=(fonts-noto-cjk)
"${PYTHON:-python3}" -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
{ command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1; } || missing+=(virtuoso-opensource)

[ ${#missing[@]} -eq 0 ] && exit 0

command="apt-get install -y ${missing[*]}"
if [ "${ECONSEC_UID:-$(id -u)}" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
  exit 0
fi
echo "missing system packages: ${missing[*]}" >&2
echo "run:  sudo $command" >&2
echo "then run make again." >&2
exit 1
