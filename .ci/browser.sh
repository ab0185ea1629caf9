#!/bin/sh
# Install a headless browser for tests/test_html_browser.py (the HTML report opened in Chromium).
# Debian's chromium where apt is available; elsewhere say so and leave the test to skip with its reason.
set -eu
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
        echo "browser: $name is installed ($("$name" --version 2>/dev/null || echo unknown version))"
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser: no apt-get here: tests/test_html_browser.py will skip (install chromium to run it)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "browser: not root and no sudo: tests/test_html_browser.py will skip"
        exit 0
    fi
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium
chromium --version
