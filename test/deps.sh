#!/bin/sh
# Real peers for the test suite come from Debian: install whatever is missing.
set -e
missing=""
[ -x /usr/bin/opentracker ] || missing="$missing opentracker"
[ -x /usr/bin/aria2c ] || missing="$missing aria2"
[ -x /usr/bin/ffmpeg ] || missing="$missing ffmpeg"
[ -x /usr/bin/curl ] || missing="$missing curl"
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || missing="$missing python3-libtorrent"
[ -x /usr/bin/tmux ] || missing="$missing tmux"
[ -z "$missing" ] && exit 0
echo "test/deps.sh: installing Debian packages for the real-peer tests:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
