#!/bin/sh
# Real peers for the test suite come from Debian (install whatever is missing), and
# webtorrent-cli from npm into test/peers/webtorrent (by its lock file, no install scripts;
# not `npm ci`: the lock lacks an optional dependency missing from the registry).
set -e
peers="$(dirname "$0")/peers/webtorrent"
[ -f "$peers/node_modules/webtorrent-cli/bin/cmd.js" ] || (cd "$peers" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
missing=""
[ -x /usr/bin/opentracker ] || missing="$missing opentracker"
[ -x /usr/bin/aria2c ] || missing="$missing aria2"
[ -x /usr/bin/ffmpeg ] || missing="$missing ffmpeg"
[ -x /usr/bin/curl ] || missing="$missing curl"
[ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
[ -x /usr/bin/openssl ] || missing="$missing openssl"
[ -x /usr/bin/transmission-cli ] || missing="$missing transmission-cli"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v ip >/dev/null || missing="$missing iproute2"
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || missing="$missing python3-libtorrent"
[ -x /usr/bin/tmux ] || missing="$missing tmux"
[ -x /usr/bin/microsocks ] || missing="$missing microsocks"
[ -x /usr/bin/pv ] || missing="$missing pv"
command -v fincore >/dev/null || missing="$missing util-linux-extra"
[ -z "$missing" ] && exit 0
echo "test/deps.sh: installing Debian packages for the real-peer tests:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
