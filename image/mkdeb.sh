#!/bin/sh
# Build the wardline Debian package from this repository's build: the
# daemon, the CLI, the web UI, the systemd unit, the service user and the
# default configuration.
#
# usage: image/mkdeb.sh OUT_DIR   (run from the top of the repository after
#                                  `make all web`; prints the .deb's path)
set -eu

out=$(realpath "$1")
top=$(pwd)
stage="$out/deb-stage"
version="0.1.0+git$(git log -1 --format=%cd --date=format:%Y%m%d%H%M%S)"
version="$version.$(git rev-parse --short HEAD)"
arch=$(dpkg --print-architecture)

for f in node/wardline-node node/wardline build/web/.built; do
	[ -e "$f" ] || { echo "mkdeb: $f is missing; run 'make all web'" >&2;
		exit 1; }
done

rm -rf "$stage" "$out"/wardline_*.deb
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/share/wardline" \
	"$stage/lib/systemd/system" "$stage/usr/lib/sysusers.d" \
	"$stage/etc/wardline" "$stage/usr/share/doc/wardline"
install -m 755 -s node/wardline-node node/wardline "$stage/usr/bin/"
cp -r build/web "$stage/usr/share/wardline/web"
rm -f "$stage/usr/share/wardline/web/.built"
install -m 644 image/deb/wardline-node.service "$stage/lib/systemd/system/"
install -m 644 image/deb/wardline.sysusers \
	"$stage/usr/lib/sysusers.d/wardline.conf"
install -m 644 image/deb/wardline.conf "$stage/etc/wardline/wardline.conf"
install -m 644 README.md "$stage/usr/share/doc/wardline/README.md"
install -m 755 image/deb/postinst image/deb/prerm image/deb/postrm \
	"$stage/DEBIAN/"
echo /etc/wardline/wardline.conf > "$stage/DEBIAN/conffiles"

# The shared libraries the binaries link, as package dependencies. The
# libuv event-loop plugin of libwebsockets is loaded at run time, so
# dpkg-shlibdeps cannot see it.
shlibs=$(mktemp -d)
mkdir "$shlibs/debian"
printf 'Source: wardline\n\nPackage: wardline\nArchitecture: any\n' \
	> "$shlibs/debian/control"
deps=$(cd "$shlibs" && dpkg-shlibdeps -O -e "$stage/usr/bin/wardline-node" \
	-e "$stage/usr/bin/wardline" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$shlibs"
[ -n "$deps" ] || { echo "mkdeb: dpkg-shlibdeps found no libraries" >&2;
	exit 1; }

cat > "$stage/DEBIAN/control" <<CONTROL
Package: wardline
Version: $version
Architecture: $arch
Maintainer: Wardline developers <wardline@localhost>
Depends: $deps, libwebsockets-evlib-uv, systemd
Section: net
Priority: optional
Installed-Size: $(du -sk "$stage" | cut -f1)
Description: secure messaging and shift handoff for hospital wards
 Every ward device runs a Wardline node. Nodes find each other with mDNS,
 replicate signed, encrypted events over WebSockets into LMDB, and serve
 a local web UI on 127.0.0.1.
CONTROL

deb="$out/wardline_${version}_$arch.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
rm -rf "$stage"
cd "$top"
echo "$deb"
