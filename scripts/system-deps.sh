#!/usr/bin/env bash
# Debian packages for PDF printing, Chinese fonts, the PostgreSQL and Redis test runs and the browser tests.
# Installed only when running as root (CI and fresh machines); otherwise we just report what is missing.
set -euo pipefail
packages=(wkhtmltopdf fonts-noto-cjk chromium postgresql poppler-utils redis-server)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "warning: missing Debian packages (run as root to install): ${missing[*]}" >&2
fi
