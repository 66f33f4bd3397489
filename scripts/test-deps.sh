#!/usr/bin/env bash
# Installs what the tests need besides Go and PostgreSQL, from Debian's
# packages: a real SMTP server (python3-aiosmtpd, run by /usr/bin/python3)
# for the email tests and a real IMAP server (dovecot-imapd) for the
# mailbox tests, and Chromium for the console's browser tests.
set -euo pipefail
missing=()
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
/usr/bin/python3 -c 'import aiosmtpd' && echo "aiosmtpd ready"
/usr/sbin/dovecot --version >/dev/null && echo "dovecot ready"
chromium --version && echo "chromium ready"
