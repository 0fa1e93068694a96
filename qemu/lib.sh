# shellcheck shell=sh
# Shared by the QEMU scripts (qemu/fast, qemu/demo ...): sourced, not run.
# Everything is built under $W (default target/qemu) and kept there, so a
# second run only boots. Nothing here uses the network of this machine:
# guests get no NIC, or QEMU user networking with restrict=on.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
W=${EGRET_QEMU_WORK:-$repo/target/qemu}
mkdir -p "$W"
# mkfs.* live in /usr/sbin, which a non-login shell may not have.
export PATH="$PATH:/usr/sbin:/sbin"

say() { printf '== %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# need TOOL:PACKAGE ...: installs the packages of the tools that are missing.
need() {
	missing=""
	for t in "$@"; do
		command -v "${t%%:*}" >/dev/null 2>&1 || [ -e "${t%%:*}" ] || missing="$missing ${t#*:}"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages:$missing (run as root, or install them)"
	say "installing$missing"
	apt-get update -qq
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# The tools every tier needs.
need_base() {
	need qemu-system-x86_64:qemu-system-x86 /bin/busybox:busybox-static cpio:cpio \
		mkfs.ext4:e2fsprogs genisoimage:genisoimage mkfs.vfat:dosfstools mcopy:mtools \
		dpkg-deb:dpkg
}

# Debian's cloud kernel (linux-image-cloud-amd64, through apt like any
# package): sets KVER, VMLINUZ and MODROOT (the unpacked package).
kernel() {
	_k=$W/kernel
	if [ ! -f "$_k/ready" ]; then
		say "kernel: apt-get download linux-image-cloud-amd64's kernel"
		rm -rf "$_k" && mkdir -p "$_k"
		pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
		if [ -z "$pkg" ]; then
			apt-get update -qq
			pkg=$(apt-cache depends linux-image-cloud-amd64 |
				awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
		fi
		[ -n "$pkg" ] || die "no linux-image-cloud-amd64 in the apt sources"
		(cd "$_k" && apt-get download -q "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed"
		dpkg-deb -x "$_k"/linux-image-*.deb "$_k/x"
		touch "$_k/ready"
	fi
	MODROOT=$_k/x
	VMLINUZ=$(ls "$MODROOT"/boot/vmlinuz-*)
	KVER=${VMLINUZ##*/vmlinuz-}
}

# The release binary of this checkout: sets EGRET.
# shellcheck disable=SC2034 # used by the scripts that source this
egret_bin() {
	(cd "$repo" && cargo build --release -q)
	EGRET=$repo/target/x86_64-unknown-linux-musl/release/egret
}

# modules_into DIR MODULE...: copies the modules (with what they depend on,
# from modules.dep) into DIR/lib/modules/$KVER and indexes them there.
modules_into() {
	dst=$1
	shift
	src=$MODROOT/lib/modules/$KVER
	[ -f "$src/modules.dep" ] || busybox depmod -b "$MODROOT" "$KVER"
	mkdir -p "$dst/lib/modules/$KVER"
	for m in "$@"; do
		line=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "$src/modules.dep") || die "no module $m in $KVER"
		for f in $(printf '%s\n' "$line" | tr -d ':'); do
			mkdir -p "$dst/lib/modules/$KVER/${f%/*}"
			cp "$src/$f" "$dst/lib/modules/$KVER/$f"
		done
	done
	cp "$src/modules.builtin" "$src/modules.order" "$dst/lib/modules/$KVER/"
	busybox depmod -b "$dst" "$KVER"
}

# The Debian mirror of this machine's apt configuration (never a name of
# ours): EGRET_MIRROR, else the first non-security source for $SUITE.
SUITE=${EGRET_SUITE:-bookworm}
mirror() {
	MIRROR=${EGRET_MIRROR:-}
	if [ -z "$MIRROR" ]; then
		# deb822 stanzas (paragraphs): Types, URIs, Suites in any order.
		MIRROR=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$SUITE" '
			BEGIN { RS = "" }
			{
				deb = 0; uri = ""; hit = 0
				n = split($0, l, "\n")
				for (i = 1; i <= n; i++) {
					split(l[i], f, /[ \t]+/)
					if (f[1] == "Types:") for (j = 2; j in f; j++) if (f[j] == "deb") deb = 1
					if (f[1] == "URIs:") uri = f[2]
					if (f[1] == "Suites:") for (j = 2; j in f; j++) if (f[j] == s) hit = 1
				}
				if (deb && hit && uri != "") { print uri; exit }
			}')
	fi
	if [ -z "$MIRROR" ]; then
		MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk -v s="$SUITE" '$1 == "deb" { for (i = 2; i < NF; i++) if ($i ~ /^(http|https|file):/ && $(i + 1) == s) { print $i; exit } }')
	fi
	[ -n "$MIRROR" ] || die "no apt source for $SUITE in /etc/apt (set EGRET_MIRROR)"
}

# The demo's SSH key ($W/key), made once.
demo_key() {
	[ -f "$W/key" ] || ssh-keygen -q -t ed25519 -N '' -C demo@egret-qemu -f "$W/key"
}

# The NoCloud seed every full-tier image gets (egret and cloud-init read it
# alike): user demo with $W/key and passwordless sudo, hostname egret-demo
# (in /etc/hosts too).
# Prints the ISO's path.
seed_iso() {
	demo_key
	_d=$W/seed/demo
	rm -rf "$_d" && mkdir -p "$_d/tree"
	printf 'instance-id: iid-egret-demo-%s\nlocal-hostname: egret-demo\n' "$(date +%s)" >"$_d/tree/meta-data"
	cat >"$_d/tree/user-data" <<EOS
#cloud-config
manage_etc_hosts: localhost
users:
  - name: demo
    shell: /bin/bash
    sudo: ALL=(ALL) NOPASSWD:ALL
    ssh_authorized_keys:
      - $(cat "$W/key.pub")
EOS
	genisoimage -quiet -V cidata -r -J -o "$_d/seed.iso" "$_d/tree"
	echo "$_d/seed.iso"
}

# A free TCP port on 127.0.0.1 for hostfwd, from 10022 up.
free_port() {
	_p=${EGRET_SSH_PORT:-10022}
	while ss -Hltn "sport = :$_p" | grep -q .; do _p=$((_p + 1)); done
	echo "$_p"
}

# boot_image IMAGE_DIR PORT LOG QEMU_ARGS...: boots an image of qemu/image
# in the background (QEMU_PID), throw-away writes (-snapshot), sshd's port
# forwarded from 127.0.0.1:PORT. restrict=on: the guest reaches nothing.
boot_image() {
	_img=$1 _port=$2 _log=$3
	shift 3
	qemu-system-x86_64 -accel tcg -machine pc -cpu "${EGRET_QEMU_CPU:-max}" -m 1024 -smp 1 \
		-nodefaults -no-user-config -display none -no-reboot -snapshot \
		-serial "file:$_log" \
		-nic "user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:$_port-:22" \
		-kernel "$_img/vmlinuz" -initrd "$_img/initrd.img" \
		-append "console=ttyS0 root=/dev/vda rw quiet ${EGRET_APPEND:-}" \
		-drive "file=$_img/root.img,if=virtio,format=raw" "$@" 2>"$_log.qemu" &
	QEMU_PID=$!
}

guest_ssh() { # PORT COMMAND
	ssh -q -i "$W/key" -p "$1" -o BatchMode=yes -o ConnectTimeout=5 \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		demo@127.0.0.1 "$2"
}

# wait_ssh PORT SECONDS: until `ssh demo@127.0.0.1 true` succeeds.
wait_ssh() {
	_end=$(($(date +%s) + $2))
	while [ "$(date +%s)" -lt "$_end" ]; do
		kill -0 "$QEMU_PID" 2>/dev/null || return 1
		guest_ssh "$1" true 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# The seed's user, key and hostname as an Ignition v3 config (spec 3.3.0,
# what Debian's Ignition 2.14 reads). Prints the file's path.
ignition_config() {
	demo_key
	_d=$W/seed/demo-ign
	mkdir -p "$_d"
	cat >"$_d/config.ign" <<EOS
{"ignition": {"version": "3.3.0"},
 "passwd": {"users": [{"name": "demo", "shell": "/bin/bash", "groups": ["sudo"],
                       "sshAuthorizedKeys": ["$(cat "$W/key.pub")"]}]},
 "storage": {"files": [
   {"path": "/etc/hostname", "overwrite": true, "contents": {"source": "data:,egret-demo%0A"}},
   {"path": "/etc/sudoers.d/90-demo", "mode": 288,
    "contents": {"source": "data:,demo%20ALL%3D(ALL)%20NOPASSWD%3AALL%0A"}}]}}
EOS
	echo "$_d/config.ign"
}
