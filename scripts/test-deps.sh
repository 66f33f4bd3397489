#!/usr/bin/env bash
# Installs what the tests need besides Go and PostgreSQL: a real SMTP server
# (Debian's python3-aiosmtpd, run by /usr/bin/python3) for the email tests.
set -euo pipefail
if ! /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "installing python3-aiosmtpd from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-aiosmtpd >/dev/null
fi
/usr/bin/python3 -c 'import aiosmtpd' && echo "aiosmtpd ready"
