#!/bin/bash
# demo-web.sh BIN: the demo's fourth scene, a web server published with
# -p and reached from the "host" (demo.sh runs this in a network
# namespace of its own). Uses demo.sh's store, where alpine already is.
set -u
bin=$1
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }
cleanup() { "$bin" rm -f web >/dev/null 2>&1; }
trap cleanup EXIT

mkdir -p www && echo "hello from a container" >www/index.html
# Docker Hub's alpine keeps httpd in busybox-extras; then the host's
# static busybox is bound in to serve.
httpd="httpd"
if ! "$bin" run --rm --network none alpine sh -c 'command -v httpd' >/dev/null 2>&1; then
	httpd="/bin/busybox-static httpd"
	extra=(-v /bin/busybox:/bin/busybox-static:ro)
fi

say "Scene 4: a web server on the default bridge, published on the host's port 8080"
show "minirun run -d --name web -p 8080:80 -v \$PWD/www:/www:ro alpine $httpd -f -p 80 -h /www"
"$bin" run -d --name web -p 8080:80 -v "$PWD/www:/www:ro" ${extra[@]+"${extra[@]}"} alpine $httpd -f -p 80 -h /www | cut -c1-12 || exit 1
show "minirun port web"
"$bin" port web
get="curl -fsS --max-time 1"
command -v curl >/dev/null || get="busybox wget -q -T 1 -O-"
show "${get%% *} http://127.0.0.1:8080/"
ok=
for _ in $(seq 50); do
	$get http://127.0.0.1:8080/ 2>/dev/null && ok=1 && break
	sleep 0.1
done
[ -n "$ok" ] || { echo "no reply on 127.0.0.1:8080"; exit 1; }
show "minirun rm -f web"
"$bin" rm -f web
trap - EXIT
