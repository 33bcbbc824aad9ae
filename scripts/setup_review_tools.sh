#!/usr/bin/env bash
# The tools `fda review` works with, for its tests and for a first try on one machine:
#  - Label Studio Community in its OWN virtual environment (its pins — numpy, openai < 2, Django — clash with
#    fdacli's, so it never goes into the same one). fda talks to it over REST only.
#  - Debian's headless chromium and its driver, which the editor test drives with selenium.
# Safe to run again: what is there already is kept.
set -euo pipefail

VENV="${FDA_LABEL_STUDIO_VENV:-$HOME/.local/share/fdacli/label-studio}"
VERSION="${FDA_LABEL_STUDIO_VERSION:-1.23.2}"
PY="${PYTHON:-python}"  # the python of the README's install

if [ ! -x "$VENV/bin/label-studio" ]; then
    echo "installing Label Studio $VERSION into $VENV (about 1 GB, a few minutes)"
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "label-studio==$VERSION"
fi
echo "Label Studio: $VENV/bin/label-studio"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""
        if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
        echo "installing chromium and chromium-driver (apt)"
        if ! { $SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium chromium-driver >/dev/null; }; then
            echo "note: could not install chromium (no root or sudo?): the browser test is skipped outside CI" >&2
        fi
    else
        echo "note: no apt-get here; install chromium and its chromedriver by hand for the browser test" >&2
    fi
fi
command -v chromium >/dev/null 2>&1 && echo "chromium: $(command -v chromium)" || true
