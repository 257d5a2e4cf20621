#!/bin/sh
# Build the Wardline appliance: a bootable Debian 12 (bookworm) disk image
# for x86-64 UEFI machines, with every package from Debian's archive and
# Wardline from this repository's build.
#
#   image/build.sh OUT_DIR      (as root, from the top of the repository,
#                                after `make all web`)
#
# Writes OUT_DIR/wardline.img, a GPT disk of three partitions:
#   1 EFI system partition (FAT32): systemd-boot, the kernel, the initramfs
#   2 root (ext4, label wardline-root)
#   3 data (ext4, label wardline-data), mounted on /var/lib/wardline
# and OUT_DIR/root.ext4, the root file system alone, which image-test.sh
# reuses. The file systems are made with mkfs from directories and copied
# into the disk file, so the build mounts nothing but what mmdebstrap
# mounts inside its own chroot, and needs no loop device.
#
# Environment: MIRROR (default: the Debian mirror of the build machine's
# apt sources), DATA_MIB (size of the data partition, default 1024),
# ROOT_MIB (size of the root partition, default 4096). The partitions have
# fixed sizes so that a newer image's EFI and root partitions fit where
# an older image's are, over the same data partition.
set -eu

out=$(realpath "$1")
top=$(pwd)
data_mib=${DATA_MIB:-1024}
root_mib=${ROOT_MIB:-4096}
esp_mib=256
rootfs="$out/rootfs"
here="$top/image"

# The packages of the appliance besides the essential set. wardline's own
# dependencies come with its package. polkitd is there because logind
# lets the kiosk's compositor take over the screen (activate its session)
# only when polkit allows it, and xwayland because cage 0.1.4 does not
# start without it, although Chromium runs as a Wayland client.
packages="systemd systemd-sysv systemd-timesyncd udev dbus libpam-systemd
login passwd linux-image-amd64 initramfs-tools systemd-boot-efi nftables
iproute2 procps less curl cage xwayland chromium fonts-dejavu-core
libgl1-mesa-dri polkitd"

log() { printf 'image: %s\n' "$*"; }

mirror_url() {
	if [ -n "${MIRROR:-}" ]; then
		echo "$MIRROR"
		return
	fi
	grep -h -E '^(URIs:|deb )' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v security | grep -o 'https\?://[^ ]*debian/\?' |
		head -n 1
}

[ "$(id -u)" -eq 0 ] || { echo "image: run as root" >&2; exit 1; }
mkdir -p "$out"
deb=$("$here/mkdeb.sh" "$out")
log "package $deb"
mirror=$(mirror_url)
mirror=${mirror%/}
[ -n "$mirror" ] || { echo "image: no Debian mirror found; set MIRROR" >&2;
	exit 1; }
security="${mirror%/debian}/debian-security"
log "mirror $mirror"

# ---- root file system ----
start=$(date +%s)
rm -rf "$rootfs"
log "installing Debian into $rootfs"
# shellcheck disable=SC2086
mmdebstrap --variant=apt --quiet \
	--aptopt='Apt::Install-Recommends "false"' \
	--include="$(echo $packages | tr ' ' ',')" \
	--customize-hook="cp '$deb' \"\$1/tmp/wardline.deb\"" \
	--customize-hook='chroot "$1" apt-get install -y -q --no-install-recommends /tmp/wardline.deb' \
	--customize-hook='rm -f "$1/tmp/wardline.deb"' \
	bookworm "$rootfs" \
	"deb $mirror bookworm main" \
	"deb $mirror bookworm-updates main" \
	"deb $security bookworm-security main"
log "Debian installed in $(($(date +%s) - start)) s"

cp -a "$here/rootfs/." "$rootfs/"
systemd-sysusers --root="$rootfs"
systemctl --root="$rootfs" enable wardline-node.service \
	wardline-kiosk.service nftables.service systemd-networkd.service \
	systemd-timesyncd.service >/dev/null 2>&1
systemctl --root="$rootfs" set-default graphical.target >/dev/null 2>&1
# First boot runs unattended: no prompts for locale, time zone or a root
# password on the console.
systemctl --root="$rootfs" mask systemd-firstboot.service >/dev/null 2>&1
# No login prompt on the serial console: root is locked, so it would serve
# nobody, and while a getty holds the console systemd stops printing unit
# status there, which image-test.py reads to see the node become ready.
systemctl --root="$rootfs" mask serial-getty@ttyS0.service >/dev/null 2>&1
chroot "$rootfs" passwd -q -l root
# Each device makes its own machine id at first boot. Devices from one
# image must not share it, because DHCP client ids and link-local
# addresses derive from it.
: > "$rootfs/etc/machine-id"
mkdir -p "$rootfs/boot/efi"
rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin

uuid_root=$(cat /proc/sys/kernel/random/uuid)
uuid_data=$(cat /proc/sys/kernel/random/uuid)
esp_serial=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
esp_uuid="$(echo "$esp_serial" | cut -c1-4)-$(echo "$esp_serial" | cut -c5-8)"
# The data partition is mounted by its label, which every build gives it,
# so that the root partition of a newer image finds the data partition
# that the device already has.
cat > "$rootfs/etc/fstab" <<FSTAB
# The appliance's partitions. The data partition keeps the node's keys,
# certificate and store across updates of the root partition. When it is
# missing, wardline-node does not start (RequiresMountsFor=).
UUID=$uuid_root      /                  ext4  errors=remount-ro           0 1
UUID=$esp_uuid       /boot/efi          vfat  umask=0077,nofail           0 2
LABEL=wardline-data  /var/lib/wardline  ext4  nosuid,nodev,noexec,nofail  0 2
FSTAB

# ---- file systems and disk ----
kernel=$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -n 1)
initrd="$rootfs/boot/initrd.img-${kernel##*/vmlinuz-}"
cmdline="root=UUID=$uuid_root rw console=tty1 console=ttyS0,115200n8"
cmdline="$cmdline loglevel=4 panic=10"

esp="$out/esp.vfat"
rm -f "$esp"
mkfs.vfat -C -F 32 -n WARDLINE -i "$esp_serial" "$esp" $((esp_mib * 1024)) \
	>/dev/null
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$esp" "$rootfs/usr/lib/systemd/boot/efi/systemd-bootx64.efi" \
	::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$kernel" ::/vmlinuz
mcopy -i "$esp" "$initrd" ::/initrd.img
# No menu, and no editing of the kernel command line at the boot screen
# (it would let anyone at the device boot into a root shell).
printf 'default wardline.conf\ntimeout 0\neditor no\n' |
	mcopy -i "$esp" - ::/loader/loader.conf
printf 'title Wardline\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' \
	"$cmdline" | mcopy -i "$esp" - ::/loader/entries/wardline.conf

data_owner=$(grep '^wardline:' "$rootfs/etc/passwd" | cut -d: -f3,4)
tree_mib=$(du -sm "$rootfs" | cut -f1)
if [ $((tree_mib * 5 / 4)) -gt "$root_mib" ]; then
	echo "image: the root tree ($tree_mib MiB) does not fit ROOT_MIB" \
		"($root_mib MiB) with a quarter to spare; raise ROOT_MIB" >&2
	exit 1
fi
log "root file system ${root_mib} MiB (tree ${tree_mib} MiB), data" \
	"${data_mib} MiB"
rm -f "$out/root.ext4" "$out/data.ext4"
mkfs.ext4 -q -L wardline-root -U "$uuid_root" -d "$rootfs" \
	"$out/root.ext4" "${root_mib}M"
mkfs.ext4 -q -L wardline-data -U "$uuid_data" -E root_owner="$data_owner" \
	"$out/data.ext4" "${data_mib}M"

img="$out/wardline.img"
rm -f "$img"
truncate -s $((1 + esp_mib + root_mib + data_mib + 1))M "$img"
sfdisk -q "$img" <<LAYOUT
label: gpt
start=1MiB, size=${esp_mib}MiB, type=uefi, name=esp
size=${root_mib}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=wardline-root
size=${data_mib}MiB, type=linux, name=wardline-data
LAYOUT
dd if="$esp" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$out/root.ext4" of="$img" bs=1M seek=$((1 + esp_mib)) \
	conv=notrunc,sparse status=none
dd if="$out/data.ext4" of="$img" bs=1M seek=$((1 + esp_mib + root_mib)) \
	conv=notrunc,sparse status=none
rm -f "$esp" "$out/data.ext4"
echo "$((1 + esp_mib))" > "$out/root.offset_mib"
log "wrote $img ($(du -h --apparent-size "$img" | cut -f1) apparent," \
	"$(du -h "$img" | cut -f1) allocated) in $(($(date +%s) - start)) s"
