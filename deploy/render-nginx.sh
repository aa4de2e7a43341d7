#!/bin/sh
# deploy/nginx.conf filled in for a production host, on stdout:
#
#   deploy/render-nginx.sh [LISTEN] [UPSTREAM] [RUNTIME] [USER] > /etc/nginx/nginx.conf
#
# LISTEN    what nginx listens on (default 80; TLS: put "443 ssl" and the certificate lines
#           in the server block, or terminate TLS at a load balancer in front)
# UPSTREAM  gunicorn's BIND, on loopback (default 127.0.0.1:8000)
# RUNTIME   a directory for nginx's error log, cache and temporary bodies
#           (default /var/lib/myborder-nginx; created here, owned by USER); the pid file
#           is /run/nginx.pid, where Debian's nginx.service looks for it
# USER      the user nginx's workers run as (default www-data, Debian's)
set -eu
here=$(dirname "$0")
listen=${1:-80}
upstream=${2:-127.0.0.1:8000}
runtime=${3:-/var/lib/myborder-nginx}
user=${4:-www-data}
case $upstream in
    127.*|localhost:*|\[::1\]:*|unix:*) ;;
    *) echo "render-nginx.sh: gunicorn must listen on loopback or a unix socket, not $upstream" >&2
       exit 2 ;;
esac
mkdir -p "$runtime"
chown "$user" "$runtime" 2>/dev/null || true
printf 'user %s;\n' "$user"
sed -e "s|^pid @RUNTIME@/nginx.pid;|pid /run/nginx.pid;|" -e "s|@LISTEN@|$listen|g" -e "s|@UPSTREAM@|$upstream|g" \
    -e "s|@RUNTIME@|$runtime|g" -e "s|@STATIC@|$runtime/no-static|g" "$here/nginx.conf"
